"""Background tasks go out through an outbox: recorded in the caller's transaction, sent to the broker after
commit, and sent again by the periodic sweep when the broker was down. A page never fails because the broker does.

Services name tasks ("app.generate_certificates"), they never import app.tasks: the tasks import the services.
"""
import json
import logging

from flask import current_app
from sqlalchemy import exists, select, update

from app.extensions import celery, db
from app.models import QueuedTask
from app.models.base import now

SWEEP_BATCH = 200
log = logging.getLogger(__name__)


def subject_of(record):
    """(type, key) naming what a task works on: a model row, or a (type, key) pair as it is."""
    if isinstance(record, tuple):
        return record[0], str(record[1])
    return type(record).__name__, str(record.id)


def record(task, *args, subject=None):
    """Add a task to the outbox in the caller's transaction; call send() after the commit."""
    message = QueuedTask(task=task, args=json.dumps(list(args)), attempts=0)
    if subject is not None:
        message.subject_type, message.subject_key = subject_of(subject)
    db.session.add(message)
    db.session.flush()
    return message


def record_unless_waiting(task, *args, subject):
    """record(), unless a task for this subject already waits in the outbox (one message is enough): None then."""
    return None if waiting(subject) else record(task, *args, subject=subject)


def send(message):
    """Hand a committed outbox row to the broker exactly once; False when the broker could not take it.

    None (nothing was recorded, see record_unless_waiting) is a no-op."""
    if message is None:
        return True
    message_id = message if isinstance(message, int) else message.id
    # Claim first, so a click and the sweep racing over the same row send it once.
    claimed = db.session.execute(
        update(QueuedTask).where(QueuedTask.id == message_id, QueuedTask.sent_at.is_(None))
        .values(sent_at=now(), attempts=QueuedTask.attempts + 1)).rowcount
    db.session.commit()
    if not claimed:
        return True
    task, args = db.session.execute(select(QueuedTask.task, QueuedTask.args)
                                    .where(QueuedTask.id == message_id)).one()
    if celery.conf.task_always_eager:  # tests and `flask` commands: run in-process, errors propagate as before
        celery.tasks[task].apply_async(args=json.loads(args))
        return True
    try:
        celery.tasks[task].apply_async(args=json.loads(args), retry=True, retry_policy=_retry_policy())
    except Exception as error:  # noqa: BLE001 - any broker failure (refused, timeout, auth) leaves the row unsent
        log.warning("broker refused task %s #%d: %s", task, message_id, error)
        db.session.rollback()
        db.session.execute(update(QueuedTask).where(QueuedTask.id == message_id)
                           .values(sent_at=None, last_error=str(error)[:1000]))
        db.session.commit()
        return False
    return True


def record_and_send(task, *args, subject=None):
    """record() + commit + send(): for callers whose own changes are ready to commit with it."""
    message = record(task, *args, subject=subject)
    db.session.commit()
    return send(message)


def waiting(subject):
    """True while a task for this subject is recorded but not yet taken by the broker."""
    subject_type, key = subject_of(subject)
    return db.session.execute(select(exists().where(
        QueuedTask.subject_type == subject_type, QueuedTask.subject_key == key,
        QueuedTask.sent_at.is_(None)))).scalar()


def send_unsent(limit=SWEEP_BATCH):
    """The sweep's first half: send what was recorded while the broker was down (oldest first)."""
    ids = db.session.execute(select(QueuedTask.id).where(QueuedTask.sent_at.is_(None))
                             .order_by(QueuedTask.id).limit(limit)).scalars().all()
    sent = 0
    for message_id in ids:
        if not send(message_id):
            break  # the broker is still down: the next sweep tries again
        sent += 1
    return sent


def _retry_policy():
    """Fail fast while a user waits: the outbox, not the request, retries."""
    return {"max_retries": 1, "interval_start": 0.2, "interval_step": 0.3,
            "interval_max": float(current_app.config.get("CELERY_PUBLISH_RETRY_SECONDS", 0.5))}
