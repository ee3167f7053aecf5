"""States, the transition table and apply_transition(): lock-free conditional update + one record."""
from dataclasses import dataclass

from sqlalchemy import update
from sqlalchemy.orm.attributes import set_committed_value

def N_(text):
    """Mark a string for the catalogue; translated where it is shown."""
    return text


STATES = {
    "draft": N_("未上报"),
    "submitted": N_("未受理"),
    "accepted": N_("已受理"),
    "approved": N_("审核通过"),
    "rejected": N_("审核不通过"),
}
# The department's tabs: 未审核 holds submitted and accepted; 已审核 approved and rejected.
STATE_GROUPS = {"draft": None, "submitted": N_("未审核"), "accepted": N_("未审核"), "approved": N_("已审核"),
                "rejected": N_("已审核")}

ACTIONS = {
    "submit": N_("上报"),
    "withdraw": N_("撤回"),
    "accept": N_("受理"),
    "approve": N_("审核通过"),
    "reject": N_("审核不通过"),
}


OPINION_MAX_LENGTH = 500  # like 注销原因: an opinion is a reason, not a document


@dataclass(frozen=True)
class Transition:
    """A legal move: which states it leaves, where it goes, who (owner or reviewer) makes it, and what it
    writes on the document besides the state: the column it stamps with the move's time, the columns it
    clears, and whether it keeps the opinion (on the document and in its 审核记录)."""

    action: str
    sources: tuple
    target: str
    actor: str
    needs_opinion: bool = False
    stamps: str = None
    clears: tuple = ()
    keeps_opinion: bool = False

    def effects(self, now, opinion):
        """{column: value} this move writes on the document."""
        values = dict.fromkeys(self.clears)
        if self.stamps:
            values[self.stamps] = now
        if self.keeps_opinion:
            values["review_opinion"] = opinion
        return values


TRANSITIONS = {
    t.action: t
    for t in (
        Transition("submit", ("draft", "rejected"), "submitted", "owner", stamps="submitted_at",
                   clears=("accepted_at", "reviewed_at", "review_opinion")),
        Transition("withdraw", ("submitted",), "draft", "owner", clears=("submitted_at",)),
        Transition("accept", ("submitted",), "accepted", "reviewer", stamps="accepted_at"),
        Transition("approve", ("accepted",), "approved", "reviewer", stamps="reviewed_at", keeps_opinion=True),
        Transition("reject", ("accepted",), "rejected", "reviewer", needs_opinion=True, stamps="reviewed_at",
                   keeps_opinion=True),
    )
}


class WorkflowError(Exception):
    """A refused move; str() is the Chinese message for the user."""

    def __init__(self, message):
        super().__init__(message)
        self.message = message


class TransitionNotAllowed(WorkflowError):
    """The actor may not make this move on this document."""


class IllegalTransition(WorkflowError):
    """The move does not leave the document's current state."""


class StaleState(WorkflowError):
    """The document changed since the user loaded it (or a concurrent move won)."""


def state_label(state):
    return STATES.get(state, state)


def state_group(state):
    return STATE_GROUPS.get(state)


def action_label(action):
    return ACTIONS.get(action, action)


def allowed_actions(state, actor_role, implicit_accept=False):
    """Actions the actor role ('owner' or 'reviewer') may take from a state."""
    return [
        name for name, t in TRANSITIONS.items()
        if t.actor == actor_role and state in _sources(t, implicit_accept)
    ]


def _sources(transition, implicit_accept):
    # Enterprise qualification may be approved or rejected straight from 未受理 (受理 is implicit).
    if implicit_accept and transition.action in ("approve", "reject"):
        return transition.sources + ("submitted",)
    return transition.sources


def apply_transition(session, document, action, *, actor_role, actor_id, actor_name, now,
                     opinion=None, expected_version=None, implicit_accept=False,
                     object_type=None, record_model=None):
    """Move one document: check role and state, update only if the state is unchanged, record it.

    The UPDATE ... WHERE review_state = :from AND review_version = :version makes concurrent moves
    race-free without a lock: exactly one caller changes the row, the others see rowcount 0.
    The caller owns the transaction (commit/rollback).
    """
    transition = TRANSITIONS.get(action)
    if transition is None:
        raise IllegalTransition("未知的操作")
    if transition.actor != actor_role:
        raise TransitionNotAllowed("您无权对该记录执行“%s”操作" % action_label(action))
    if expected_version is not None and str(expected_version).strip() != str(document.review_version):
        raise StaleState("该记录已被他人处理，请刷新页面后重试")  # a forged, non-numeric version is stale too
    current = document.review_state
    if current not in _sources(transition, implicit_accept):
        raise IllegalTransition(
            "当前状态为“%s”，不能执行“%s”操作" % (state_label(current), action_label(action))
        )

    opinion = (opinion or "").strip() or None
    if transition.needs_opinion and not opinion:
        raise WorkflowError("审核不通过时必须填写审核意见")
    if opinion and len(opinion) > OPINION_MAX_LENGTH:
        raise WorkflowError("审核意见不能超过%d个字（现有%d个字）" % (OPINION_MAX_LENGTH, len(opinion)))

    moves = [(transition, current)]
    if implicit_accept and action in ("approve", "reject") and current == "submitted":
        moves = [(TRANSITIONS["accept"], "submitted"), (transition, "accepted")]

    model = type(document)
    values = {"review_state": transition.target, "review_version": document.review_version + 1}
    for move, _source in moves:  # an implicit 受理 stamps accepted_at too
        values.update(move.effects(now, opinion))
    result = session.execute(
        update(model)
        .where(model.id == document.id, model.review_state == current,
               model.review_version == document.review_version)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        raise StaleState("该记录已被他人处理，请刷新页面后重试")
    for key, value in values.items():
        # Keep the in-memory object in step without marking it dirty.
        set_committed_value(document, key, value)
    records = []
    for move, source in moves:
        record = record_model(
            object_type=object_type, object_id=document.id, action=move.action,
            from_state=source, to_state=move.target, actor_id=actor_id, actor_name=actor_name,
            at=now, opinion=opinion if move.keeps_opinion else None,
        )
        session.add(record)
        records.append(record)
    return records
