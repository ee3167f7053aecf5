"""Review moves (上报/撤回/受理/审核通过/审核不通过) for every reviewable document, via the one engine."""
import datetime
from dataclasses import dataclass, field

from flask import g

from app.extensions import db
from app.models import Enterprise, ExamPlan, ReviewRecord, ScoreReport, TrainingPlan
from app.security.scope import Scope, current_scope
from app.services import ServiceError
from app.services import audit
from app.workflow import (
    IllegalTransition, StaleState, WorkflowError, action_label, allowed_actions, apply_transition, state_label,
)


@dataclass
class DocumentKind:
    """How the engine is applied to one document type: who owns it, who reviews it, extra checks."""

    object_type: str
    label: str
    model: type
    implicit_accept: bool = False
    before: dict = field(default_factory=dict)  # action → callable(document) raising ServiceError
    after: dict = field(default_factory=dict)  # action → callable(document) run inside the transaction

    def actor_role(self, scope, document):
        """'owner', 'reviewer' or None for this scope on this document."""
        if self.model is Enterprise:
            if scope.kind == "enterprise" and scope.enterprise_id == document.id:
                return "owner"
            if scope.reviews_enterprise(db.session, document):
                return "reviewer"
            return None
        if scope.owns_institution(document.institution_id):
            return "owner"
        if scope.reviews_institution(document.institution):
            return "reviewer"
        return None


def _institution_active(document):
    if document.institution.status != "active":
        raise ServiceError("培训机构已注销，不能上报")


def _plan_can_be_submitted(plan):
    from app.services.staffing import require_staffed_for

    _institution_active(plan)
    require_staffed_for(plan.institution_id, plan.trade_code)


def _exam_plan_can_be_submitted(exam):
    from app.services.exams import check_submittable

    _institution_active(exam)
    check_submittable(exam)


def _assign_tickets(exam):
    from app.services.exams import assign_tickets

    assign_tickets(exam)


def _exam_plan_moved(exam):
    from app.services.exams import after_move

    after_move(exam)


def _exam_plan_reopened(exam):
    from app.services.exams import after_withdraw_or_reject

    after_withdraw_or_reject(exam)


KINDS = {
    "training_plan": DocumentKind("training_plan", "培训计划", TrainingPlan, before={"submit": _plan_can_be_submitted}),
    "exam_plan": DocumentKind("exam_plan", "考核计划", ExamPlan, before={"submit": _exam_plan_can_be_submitted},
                              after={"approve": _assign_tickets, "submit": _exam_plan_moved,
                                     "accept": _exam_plan_moved, "withdraw": _exam_plan_reopened,
                                     "reject": _exam_plan_reopened}),
    "score_report": DocumentKind("score_report", "成绩报审", ScoreReport, before={"submit": _institution_active}),
    "enterprise": DocumentKind("enterprise", "企业资质", Enterprise, implicit_accept=True),
}
KIND_BY_MODEL = {kind.model: kind for kind in KINDS.values()}


def edit_refusal_by_state(document, label):
    """Why a reviewable document cannot be edited in its current state, or None when it can."""
    state = document.review_state
    if state in ("draft", "rejected"):
        return None
    if state == "submitted":
        return "%s已上报（未受理），不能修改；如需修改请先撤回" % label
    if state == "accepted":
        return "%s已受理，正在审核中，不能修改" % label
    if state == "approved":
        return "%s已审核通过，不能修改" % label
    return "当前状态为“%s”，不能修改" % state_label(state)


def kind_of(document):
    return KIND_BY_MODEL[type(document)]


def available_actions(document, scope=None):
    """The moves the current user may make on a document now (for buttons)."""
    scope = scope or current_scope()
    kind = kind_of(document)
    role = kind.actor_role(scope, document)
    if role is None:
        return []
    return allowed_actions(document.review_state, role, kind.implicit_accept)


def move(document, action, *, user=None, scope=None, opinion=None, expected_version=None, commit=True):
    """Apply one review move to a document in its own transaction; raises ServiceError on refusal."""
    user = user if user is not None else g.user
    scope = scope or Scope.for_user(user)
    kind = kind_of(document)
    role = kind.actor_role(scope, document)
    try:
        if role is None:
            raise ServiceError("您无权对该%s执行此操作" % kind.label)
        check = kind.before.get(action)
        if check:
            check(document)
        records = apply_transition(
            db.session, document, action, actor_role=role, actor_id=user.id,
            actor_name=getattr(user, "display_name", user.username),
            now=datetime.datetime.now().replace(microsecond=0), opinion=opinion,
            expected_version=expected_version, implicit_accept=kind.implicit_accept,
            object_type=kind.object_type, record_model=ReviewRecord,
        )
        effect = kind.after.get(action)
        if effect:
            effect(document)
        audit.record("review_" + action, document, user=user, detail=opinion)
        if commit:
            db.session.commit()
        return records
    except (StaleState, IllegalTransition) as refused:
        db.session.rollback()
        happened = what_happened(document, since=expected_version) if expected_version is not None else None
        if happened is None:
            raise ServiceError(refused.message) from refused
        if role is not None and action in allowed_actions(document.review_state, role, kind.implicit_accept):
            raise ServiceError("%s；该记录已被他人处理，请刷新页面确认后重试" % happened) from refused
        raise ServiceError("%s，不能再%s" % (happened, action_label(action))) from refused
    except WorkflowError as refused:
        db.session.rollback()
        raise ServiceError(refused.message) from refused
    except ServiceError:
        db.session.rollback()
        raise
    except Exception:
        db.session.rollback()
        raise


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
