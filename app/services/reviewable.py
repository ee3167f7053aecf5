"""What every reviewable document shares: its DocumentKind (registered by the service that owns it), when the
owner may edit or delete it, the department's tabs, and the typed form values its normalise() reads.

The review engine (app.services.review) applies moves through the kinds registered here; each document
service declares its kind and hooks at import (plans, exams, scores, enterprises), so review imports none of them.
"""
import datetime
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from flask_babel import gettext as _
from sqlalchemy import exists, select

from app.extensions import db
from app.models import ReviewRecord
from app.services import ServiceError
from app.workflow import STATES, state_group, state_label

EDITABLE_STATES = ("draft", "rejected")


def institution_roles(scope, document):
    """'owner' (the institution), 'reviewer' (the department that set it up) or None."""
    if scope.owns_institution(document.institution_id):
        return "owner"
    if scope.reviews_institution(document.institution):
        return "reviewer"
    return None


@dataclass
class DocumentKind:
    """How the engine is applied to one document type: who owns it, who reviews it, extra checks."""

    object_type: str
    label: str
    model: type
    implicit_accept: bool = False
    before: dict = field(default_factory=dict)  # action → callable(document) raising ServiceError
    after: dict = field(default_factory=dict)  # action → callable(document) run inside the transaction
    roles: object = institution_roles  # callable(scope, document) → 'owner', 'reviewer' or None

    def actor_role(self, scope, document):
        """'owner', 'reviewer' or None for this scope on this document."""
        return self.roles(scope, document)


KINDS = {}  # object_type → DocumentKind
KIND_BY_MODEL = {}


def register(kind):
    """Declare a document type to the review engine (once, when its service module is imported)."""
    KINDS[kind.object_type] = kind
    KIND_BY_MODEL[kind.model] = kind
    return kind


def kind_of(document):
    try:
        return KIND_BY_MODEL[type(document)]
    except KeyError:
        raise LookupError("%s is not registered as reviewable: import the service that owns it"
                          % type(document).__name__) from None


# --- what the owner may do now -----------------------------------------------------------------------

def institution_active(document):
    """Before 上报: the owning institution is not 注销."""
    if document.institution.status != "active":
        raise ServiceError("培训机构已注销，不能上报")


def _institution_cancelled(document):
    return document.institution is not None and document.institution.status != "active"


def edit_refusal(document, *, editable=None):
    """Why the owner cannot edit the document now (a Chinese sentence), or None.

    `editable` overrides "only while 未上报 or 审核不通过" (a training plan keeps some fields editable once approved).
    """
    label = _(kind_of(document).label)
    if _institution_cancelled(document):
        return _("培训机构已注销，不能修改%(document)s", document=label)
    if document.review_state in EDITABLE_STATES if editable is None else editable:
        return None
    state = document.review_state
    if state == "submitted":
        return _("%(document)s已上报（未受理），不能修改；如需修改请先撤回", document=label)
    if state == "accepted":
        return _("%(document)s已受理，正在审核中，不能修改", document=label)
    if state == "approved":
        return _("%(document)s已审核通过，不能修改", document=label)
    return _("当前状态为“%(state)s”，不能修改", state=_(state_label(state)))


def was_ever_submitted(document):
    """True once the document has been 上报 (even if withdrawn since): it then has a history to keep."""
    if document.review_version:
        return True
    return db.session.execute(select(exists().where(
        ReviewRecord.object_type == kind_of(document).object_type, ReviewRecord.object_id == document.id,
        ReviewRecord.action == "submit"))).scalar()


def delete_refusal(document):
    """Why the document cannot be deleted (a Chinese sentence), or None: only a never-submitted draft may go."""
    label = _(kind_of(document).label)
    if _institution_cancelled(document):
        return _("培训机构已注销，不能删除%(document)s", document=label)
    if document.review_state != "draft":
        return _("只能删除未上报的%(document)s（当前状态：%(state)s）", document=label,
                 state=_(state_label(document.review_state)))
    if was_ever_submitted(document):
        return _("该%(document)s已上报过，有审核记录，不能删除", document=label)
    return None


# --- the department's tabs ------------------------------------------------------------------------------

def states_in_group(group=None):
    """The review states a department tab lists: those of one STATE_GROUPS group (未审核 / 已审核), or of any
    group (全部: every state a department sees, i.e. all but 未上报)."""
    return [state for state in STATES if state_group(state) is not None and group in (None, state_group(state))]


# --- typed form values (the documents' normalise()) ---------------------------------------------------------

def blank(value):
    return value is None or (isinstance(value, str) and not value.strip())


def typed_values(data, fields, convert, format_error):
    """Typed values of the `fields` that `data` holds (None for a blank one) and {field: message} for those
    that are malformed: convert(name, value) raises ValueError/TypeError, format_error(name) says it in Chinese."""
    values, errors = {}, {}
    for name in fields:
        if name not in data:
            continue
        if blank(data[name]):
            values[name] = None
            continue
        try:
            values[name] = convert(name, data[name])
        except (TypeError, ValueError):
            errors[name] = format_error(name)
    return values, errors


def as_int(value):
    if isinstance(value, bool):
        raise ValueError(value)
    if isinstance(value, int):
        return value
    if isinstance(value, Decimal) and value == value.to_integral_value():
        return int(value)
    text = str(value).strip()
    if not re.fullmatch(r"[+-]?\d+", text):
        raise ValueError(value)
    return int(text)


def as_ids(value):
    if value is None:
        return []
    if isinstance(value, (str, int)):
        value = [value]
    return [as_int(item) for item in value]


def as_decimal(value):
    try:
        number = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise ValueError(value)
    if not number.is_finite():
        raise ValueError(value)
    return number


def as_date(value):
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    return datetime.datetime.strptime(str(value).strip(), "%Y-%m-%d").date()


def as_datetime(value):
    if isinstance(value, datetime.datetime):
        return value.replace(microsecond=0)
    text = str(value).strip().replace("T", " ")
    for fmt in ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M"):
        try:
            return datetime.datetime.strptime(text, fmt)
        except ValueError:
            pass
    raise ValueError(value)
