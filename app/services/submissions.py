"""One-time form tokens: a create form posted twice (double click, two tabs, a retried request) creates one record.

The form carries a random token; the service that creates the record claims the token in the same transaction.
The second post of the same form instance finds the claim and gets AlreadySubmitted naming the first record.
"""
import datetime
import re
import uuid

from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from app.models import FormSubmission
from app.services import ServiceError

KEEP_DAYS = 7
_TOKEN = re.compile(r"[0-9a-f]{32}")


class AlreadySubmitted(ServiceError):
    """This form instance was submitted before: `object_id` is what the first submit created (None if unknown)."""

    def __init__(self, object_id):
        super().__init__("该表单已经提交过，未重复保存")
        self.object_id = object_id


def new_token():
    return uuid.uuid4().hex


def claim(token, user_id, object_type):
    """Record the form instance as the first write of the caller's transaction; AlreadySubmitted when it was
    submitted already (a savepoint is not used: on SQLite, pysqlite would commit at its release).

    A missing or malformed token claims nothing (API clients and old pages keep working, without the guard).
    Returns the FormSubmission (set its object_id before commit) or None.
    """
    if not token or not _TOKEN.fullmatch(token):
        return None
    existing = db.session.get(FormSubmission, token)
    if existing is None:
        existing = FormSubmission(token=token, user_id=user_id, object_type=object_type,
                                  created_at=datetime.datetime.now().replace(microsecond=0))
        db.session.add(existing)
        try:
            db.session.flush()  # a concurrent first submit holds the key: wait for it, then collide
        except IntegrityError:  # nothing else is in the transaction yet (claim comes first): roll it all back
            db.session.rollback()
            existing = db.session.get(FormSubmission, token)
        else:
            purge(user_id, existing.created_at)
            return existing
    if existing is None or existing.user_id != user_id or existing.object_type != object_type:
        raise ServiceError("表单已失效，请刷新页面后重新填写")
    raise AlreadySubmitted(existing.object_id)


def purge(user_id, now):
    """Forget the user's claims older than KEEP_DAYS (a page kept open longer gets a new token when reloaded)."""
    cutoff = now - datetime.timedelta(days=KEEP_DAYS)
    db.session.execute(delete(FormSubmission).where(FormSubmission.user_id == user_id,
                                                    FormSubmission.created_at < cutoff))
