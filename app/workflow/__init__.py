"""The review state machine shared by training plans, exam plans, score reports and enterprise
qualification (SPEC §4): a transition table and one apply() — no Flask in here."""
from .engine import (  # noqa: F401
    ACTIONS, STATES, IllegalTransition, StaleState, Transition, TransitionNotAllowed, WorkflowError,
    action_label, allowed_actions, apply_transition, state_label, state_group,
)
