"""app.services.reviewable: what training plans and exam plans share (edit/delete refusals, history, tabs,
typed values), the kinds the document services register, and the engine's per-move effects as data."""
import ast
import datetime
import pathlib
from decimal import Decimal

import pytest
from flask_babel import force_locale

from app.extensions import db
from app.models import Enterprise, ExamPlan, ScoreReport, TrainingPlan
from app.services import review, reviewable
from app.workflow.engine import TRANSITIONS
from tests import factories

STATES = ("draft", "submitted", "accepted", "approved", "rejected")


def documents(p, state):
    """A training plan and an exam plan of inst_a in `state`."""
    ready = factories.training_plan(p.inst_a, state="approved", owner=p.inst_a_user, reviewer=p.city)
    exam = factories.exam_plan(ready, state=state, owner=p.inst_a_user, reviewer=p.city)
    plan = factories.training_plan(p.inst_a, state=state, owner=p.inst_a_user, reviewer=p.city)
    return [(plan, "培训计划"), (exam, "考核计划")]


@pytest.mark.parametrize("state, refusal", [
    ("draft", None), ("rejected", None),
    ("submitted", "%s已上报（未受理），不能修改；如需修改请先撤回"),
    ("accepted", "%s已受理，正在审核中，不能修改"),
    ("approved", "%s已审核通过，不能修改"),
])
def test_both_documents_refuse_edits_by_state_in_the_same_words(personas, state, refusal):
    for document, label in documents(personas, state):
        assert reviewable.edit_refusal(document) == (refusal % label if refusal else None)


def test_an_approved_plan_stays_editable_where_the_setting_allows(personas):
    (plan, _label), (exam, _exam_label) = documents(personas, "approved")
    assert reviewable.edit_refusal(plan, editable=True) is None
    assert reviewable.edit_refusal(exam) == "考核计划已审核通过，不能修改"


def test_a_cancelled_institution_refuses_edit_and_delete(personas):
    pairs = documents(personas, "draft")
    personas.inst_a.status = "cancelled"
    db.session.commit()
    for document, label in pairs:
        assert reviewable.edit_refusal(document) == "培训机构已注销，不能修改%s" % label
        assert reviewable.delete_refusal(document) == "培训机构已注销，不能删除%s" % label
    with pytest.raises(Exception, match="培训机构已注销，不能上报"):
        reviewable.institution_active(pairs[0][0])


@pytest.mark.parametrize("state", STATES)
def test_only_a_draft_never_submitted_may_be_deleted(personas, state):
    labels = {"submitted": "未受理", "accepted": "已受理", "approved": "审核通过", "rejected": "审核不通过"}
    for document, label in documents(personas, state):
        expected = None if state == "draft" else "只能删除未上报的%s（当前状态：%s）" % (label, labels[state])
        assert reviewable.delete_refusal(document) == expected
        assert reviewable.was_ever_submitted(document) is (state != "draft")


def test_a_withdrawn_document_keeps_its_history(personas):
    p = personas
    for document, label in documents(p, "submitted"):
        review.move(document, "withdraw", user=p.inst_a_user)
        db.session.refresh(document)
        assert document.review_state == "draft"
        assert reviewable.was_ever_submitted(document)
        assert reviewable.delete_refusal(document) == "该%s已上报过，有审核记录，不能删除" % label
        document.review_version = 0  # the 审核记录 alone still tells
        assert reviewable.was_ever_submitted(document)
        db.session.rollback()


def test_the_refusals_are_translated(app, personas):
    (plan, _label), (exam, _exam_label) = documents(personas, "accepted")
    with app.test_request_context(), force_locale("en"):
        for document in (plan, exam):
            for message in (reviewable.edit_refusal(document), reviewable.delete_refusal(document)):
                assert message and not any("\u4e00" <= ch <= "\u9fff" for ch in message), message


def test_every_reviewable_model_is_registered_by_its_service():
    assert {kind.model for kind in reviewable.KINDS.values()} == {TrainingPlan, ExamPlan, ScoreReport, Enterprise}
    assert review.KINDS is reviewable.KINDS
    assert reviewable.KINDS["enterprise"].implicit_accept
    with pytest.raises(LookupError, match="not registered"):
        reviewable.kind_of(object())


def test_the_review_engine_imports_no_document_service():
    """The hooks are declared by the document services: review reaches none of them (no import circle)."""
    source = pathlib.Path(review.__file__).read_text(encoding="utf-8")
    imported = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom):
            imported.add(node.module)
            imported.update("%s.%s" % (node.module, alias.name) for alias in node.names)
        elif isinstance(node, ast.Import):
            imported.update(alias.name for alias in node.names)
    for service in ("exams", "plans", "scores", "enterprises"):
        assert "app.services." + service not in imported


def test_department_tabs_come_from_the_state_groups():
    assert reviewable.states_in_group("未审核") == ["submitted", "accepted"]
    assert reviewable.states_in_group("已审核") == ["approved", "rejected"]
    assert reviewable.states_in_group() == ["submitted", "accepted", "approved", "rejected"]


def test_each_move_writes_its_effects_as_declared():
    now, opinion = datetime.datetime(2026, 12, 2, 9, 30), "同意"
    assert TRANSITIONS["submit"].effects(now, opinion) == {
        "submitted_at": now, "accepted_at": None, "reviewed_at": None, "review_opinion": None}
    assert TRANSITIONS["withdraw"].effects(now, opinion) == {"submitted_at": None}
    assert TRANSITIONS["accept"].effects(now, opinion) == {"accepted_at": now}
    for action in ("approve", "reject"):
        assert TRANSITIONS[action].effects(now, opinion) == {"reviewed_at": now, "review_opinion": opinion}


def test_an_implicit_accept_stamps_accepted_at_too(personas):
    p = personas
    enterprise, user = factories.enterprise("杭州新注册建筑有限公司", "330106", "new_ent_tx")
    review.move(enterprise, "submit", user=user)
    review.move(enterprise, "reject", user=p.county, opinion="营业执照不清晰")
    db.session.expire_all()
    assert enterprise.accepted_at == enterprise.reviewed_at is not None
    assert enterprise.review_opinion == "营业执照不清晰"


@pytest.mark.parametrize("converter, value, expected", [
    (reviewable.as_int, " 12 ", 12), (reviewable.as_int, Decimal("3"), 3), (reviewable.as_int, "+7", 7),
    (reviewable.as_ids, ["1", 2], [1, 2]), (reviewable.as_ids, "5", [5]), (reviewable.as_ids, None, []),
    (reviewable.as_decimal, "12.50", Decimal("12.50")),
    (reviewable.as_date, "2026-11-28", datetime.date(2026, 11, 28)),
    (reviewable.as_date, datetime.datetime(2026, 11, 28, 9), datetime.date(2026, 11, 28)),
    (reviewable.as_datetime, "2026-11-28T09:00", datetime.datetime(2026, 11, 28, 9)),
    (reviewable.as_datetime, "2026-11-28 09:00:05", datetime.datetime(2026, 11, 28, 9, 0, 5)),
])
def test_typed_values(converter, value, expected):
    assert converter(value) == expected


@pytest.mark.parametrize("converter, value", [
    (reviewable.as_int, True), (reviewable.as_int, "1.5"), (reviewable.as_int, Decimal("1.5")),
    (reviewable.as_decimal, "NaN"), (reviewable.as_decimal, "abc"), (reviewable.as_date, "2026/11/28"),
    (reviewable.as_datetime, "明天"), (reviewable.as_ids, ["1", "x"]),
])
def test_bad_values_raise_value_error(converter, value):
    with pytest.raises(ValueError):
        converter(value)


def test_blank():
    assert reviewable.blank(None) and reviewable.blank("  ") and not reviewable.blank(0) and not reviewable.blank("0")
