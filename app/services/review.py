"""Review moves (上报/撤回/受理/审核通过/审核不通过) for every reviewable document, via the one engine."""
import datetime

from app.extensions import db
from app.models import ReviewRecord
from app.security.scope import Actor, current_scope
from app.services import ServiceError, audit, transaction
from app.services.reviewable import KINDS, kind_of  # noqa: F401 — KINDS: every registered document type
from app.workflow import (
    IllegalTransition, StaleState, WorkflowError, action_label, allowed_actions, apply_transition, state_label,
)


def available_actions(document, scope=None):
    """The moves the current user may make on a document now (for buttons)."""
    scope = scope or current_scope()
    kind = kind_of(document)
    role = kind.actor_role(scope, document)
    if role is None:
        return []
    return allowed_actions(document.review_state, role, kind.implicit_accept)


@transaction
def move(document, action, *, user=None, scope=None, opinion=None, expected_version=None):
    """Apply one review move to a document in its own transaction (or the caller's, see transaction);
    raises ServiceError on refusal."""
    actor = Actor.of(user, scope)
    kind = kind_of(document)
    role = kind.actor_role(actor.scope, document)
    if role is None:
        raise ServiceError("您无权对该%s执行此操作" % kind.label)
    check = kind.before.get(action)
    if check:
        check(document)
    try:
        records = apply_transition(
            db.session, document, action, actor_role=role, actor_id=actor.user.id,
            actor_name=getattr(actor.user, "display_name", actor.user.username),
            now=datetime.datetime.now().replace(microsecond=0), opinion=opinion,
            expected_version=expected_version, implicit_accept=kind.implicit_accept,
            object_type=kind.object_type, record_model=ReviewRecord,
        )
    except WorkflowError as refused:
        raise _refusal(document, action, role, refused, expected_version) from refused
    effect = kind.after.get(action)
    if effect:
        effect(document)
    audit.record("review_" + action, document, user=actor.user, detail=opinion)
    return records


def _refusal(document, action, role, refused, expected_version):
    """The ServiceError for a refused move; a stale page is told what happened since it was built."""
    if not isinstance(refused, (StaleState, IllegalTransition)) or expected_version is None:
        return ServiceError(refused.message)
    happened = what_happened(document, since=expected_version)
    if happened is None:
        return ServiceError(refused.message)
    if action in allowed_actions(document.review_state, role, kind_of(document).implicit_accept):
        return ServiceError("%s；该记录已被他人处理，请刷新页面确认后重试" % happened)
    return ServiceError("%s，不能再%s" % (happened, action_label(action)))


def last_record(document):
    """The latest 审核记录 of a document, or None."""
    kind = kind_of(document)
    return db.session.query(ReviewRecord).filter(
        ReviewRecord.object_type == kind.object_type, ReviewRecord.object_id == document.id
    ).order_by(ReviewRecord.id.desc()).first()


def what_happened(document, since=None):
    """For a user whose page is stale: who moved the document last, when, and where it is now (Chinese).

    E.g. "该培训计划已被撤回（杭州建工职业技能培训学校 管理员，2026-12-02 09:30），当前状态为“未上报”".
    `since` is the review_version the user's page was built from: None is returned when it is not older than
    the document's (nothing happened since; a forged version is no news either), or when there is no 审核记录.
    """
    db.session.refresh(document)  # the state another user committed, not the one this page was built from
    if since is not None:
        since = str(since).strip()
        if not (since.isascii() and since.isdigit() and len(since) < 10 and int(since) < document.review_version):
            return None
    record = last_record(document)
    if record is None:
        return None
    return "该%s已被%s（%s，%s），当前状态为“%s”" % (
        kind_of(document).label, action_label(record.action), record.actor_name or "-",
        record.at.strftime("%Y-%m-%d %H:%M"), state_label(document.review_state))


def move_many(documents, action, *, user=None, opinion=None):
    """Bulk move: each document in its own transaction; returns (done, [(document, message)])."""
    done, refused = 0, []
    for document in documents:
        try:
            move(document, action, user=user, opinion=opinion)
            done += 1
        except ServiceError as error:
            refused.append((document, error.message))
    return done, refused


def records_of(document):
    """The 审核记录 of a document, oldest first, with the time spent in each state."""
    kind = kind_of(document)
    rows = db.session.query(ReviewRecord).filter(
        ReviewRecord.object_type == kind.object_type, ReviewRecord.object_id == document.id
    ).order_by(ReviewRecord.id).all()
    timeline = []
    for index, row in enumerate(rows):
        until = rows[index + 1].at if index + 1 < len(rows) else None
        timeline.append({"record": row, "stayed": (until - row.at) if until else None})
    return timeline


def format_duration(delta):
    """A timedelta in Chinese: 2天3小时 / 5小时12分 / 3分."""
    if delta is None:
        return ""
    minutes = int(delta.total_seconds() // 60)
    days, rest = divmod(minutes, 1440)
    hours, mins = divmod(rest, 60)
    if days:
        return "%d天%d小时" % (days, hours)
    if hours:
        return "%d小时%d分" % (hours, mins)
    return "%d分" % mins
