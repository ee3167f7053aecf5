"""The transition table itself, without a database."""
import pytest

from app.workflow import ACTIONS, STATES, allowed_actions, state_group, state_label
from app.workflow.engine import TRANSITIONS

EXPECTED = {
    ("draft", "owner"): ["submit"],
    ("submitted", "owner"): ["withdraw"],
    ("accepted", "owner"): [],
    ("approved", "owner"): [],
    ("rejected", "owner"): ["submit"],
    ("draft", "reviewer"): [],
    ("submitted", "reviewer"): ["accept"],
    ("accepted", "reviewer"): ["approve", "reject"],
    ("approved", "reviewer"): [],
    ("rejected", "reviewer"): [],
}


@pytest.mark.parametrize("state,role", sorted(EXPECTED))
def test_allowed_actions_match_the_seed(state, role):
    assert sorted(allowed_actions(state, role)) == sorted(EXPECTED[(state, role)])


def test_implicit_accept_lets_reviewer_decide_from_submitted():
    assert sorted(allowed_actions("submitted", "reviewer", implicit_accept=True)) == ["accept", "approve", "reject"]
    assert allowed_actions("submitted", "owner", implicit_accept=True) == ["withdraw"]


def test_labels_use_seed_wording():
    assert [state_label(s) for s in STATES] == ["未上报", "未受理", "已受理", "审核通过", "审核不通过"]
    assert [ACTIONS[a] for a in ("submit", "withdraw", "accept", "approve", "reject")] == \
        ["上报", "撤回", "受理", "审核通过", "审核不通过"]
    assert state_group("submitted") == state_group("accepted") == "未审核"
    assert state_group("approved") == state_group("rejected") == "已审核"


def test_only_reject_needs_an_opinion():
    assert [name for name, t in TRANSITIONS.items() if t.needs_opinion] == ["reject"]
