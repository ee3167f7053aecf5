"""app.services.plans: every validation and refusal of create/update/delete, each changing nothing."""
import datetime
from decimal import Decimal

import pytest
from sqlalchemy import func, select, update

from app.extensions import db
from app.models import AuditLog, DictItem, DictType, ReviewRecord, SystemSetting, TrainingPlan
from app.services import ServiceError, plans, review
from app.services.settings import validate_setting
from tests import factories

TODAY = datetime.date.today()
DAY = datetime.timedelta(days=1)


def _data(**overrides):
    data = {
        "name": "2026年第9期砌筑工（五级）培训", "trade_code": "010", "skill_level": "5", "training_type": "initial",
        "capacity": 40, "fee": Decimal("1200.00"), "hours": 64,
        "enroll_start": TODAY, "enroll_end": TODAY + 10 * DAY,
        "train_start": TODAY + 11 * DAY, "train_end": TODAY + 30 * DAY,
        "location": "杭州市西湖区文三路100号", "contact_person": "张老师", "contact_phone": "0571-88110001",
    }
    data.update(overrides)
    return data


def _snapshot():
    """What a refused operation must leave untouched: plans (all columns), records and audit rows."""
    db.session.expire_all()
    rows = db.session.execute(select(TrainingPlan).order_by(TrainingPlan.id)).scalars().all()
    columns = [c.key for c in TrainingPlan.__mapper__.column_attrs]
    return ([tuple(getattr(r, c) for c in columns) for r in rows],
            db.session.scalar(select(func.count()).select_from(ReviewRecord)),
            db.session.scalar(select(func.count()).select_from(AuditLog)))


def _submitted_elsewhere(plan):
    """Another request 上报 the plan after this one loaded it (its own connection and transaction)."""
    assert plan.review_state == "draft"  # loaded now; this session's copy goes stale below
    with db.engine.begin() as conn:
        conn.execute(update(TrainingPlan).where(TrainingPlan.id == plan.id)
                     .values(review_state="submitted", review_version=1))


def _set(key, value):
    db.session.merge(SystemSetting(key=key, value=value))
    db.session.commit()


# --- create --------------------------------------------------------------------------------------

def test_create_plan_saves_a_draft_with_an_audit_row(personas):
    p = personas
    plan = plans.create_plan(p.inst_a.id, _data(fee="1200.5", capacity="40"), user=p.inst_a_user)
    db.session.expire_all()
    plan = db.session.get(TrainingPlan, plan.id)
    assert (plan.review_state, plan.review_version, plan.institution_id) == ("draft", 0, p.inst_a.id)
    assert (plan.capacity, plan.fee, plan.trade_label) == (40, Decimal("1200.50"), "砌筑工")
    entry = db.session.query(AuditLog).filter_by(action="add", object_type="training_plan", object_id=plan.id).one()
    assert entry.username == p.inst_a_user.username and '"trade_code": [null, "010"]' in entry.changes


INVALID = [
    # (overrides, field, message fragment)
    ({"name": "  "}, "name", "请填写计划名称"),
    ({"name": "培" * 201}, "name", "不能超过200个字"),
    ({"trade_code": None}, "trade_code", "请选择工种"),
    ({"trade_code": "999"}, "trade_code", "不存在或已停用"),
    ({"skill_level": "9"}, "skill_level", "不存在或已停用"),
    ({"training_type": "xx"}, "training_type", "不存在或已停用"),
    ({"capacity": 0}, "capacity", "计划人数应大于0"),
    ({"capacity": -5}, "capacity", "计划人数应大于0"),
    ({"capacity": "三十"}, "capacity", "计划人数应为数字"),
    ({"capacity": None}, "capacity", "请填写计划人数"),
    ({"hours": 0}, "hours", "学时应大于0"),
    ({"fee": Decimal("-0.01")}, "fee", "培训费用不能为负数"),
    ({"fee": "12.345"}, "fee", "最多保留两位小数"),
    ({"enroll_start": TODAY + 5 * DAY, "enroll_end": TODAY + 4 * DAY}, "enroll_end", "报名截止日期不能早于报名开始日期"),
    ({"train_start": TODAY + 20 * DAY, "train_end": TODAY + 19 * DAY}, "train_end", "培训结束日期不能早于培训开始日期"),
    ({"enroll_end": TODAY + 30 * DAY}, "enroll_end", "报名截止日期应早于培训结束日期"),
    ({"enroll_end": TODAY + 31 * DAY}, "enroll_end", "报名截止日期应早于培训结束日期"),
    ({"enroll_start": "2026/13/01"}, "enroll_start", "应为日期"),
    ({"train_end": None}, "train_end", "请填写培训结束日期"),
    ({"contact_phone": "12345"}, "contact_phone", "联系电话应为11位手机号或区号+号码"),
    ({"location": "路" * 256}, "location", "不能超过255个字"),
]


@pytest.mark.parametrize("overrides, field, fragment", INVALID, ids=[i[1] + ":" + i[2] for i in INVALID])
def test_create_refuses_invalid_data_and_changes_nothing(personas, overrides, field, fragment):
    p = personas
    before = _snapshot()
    with pytest.raises(plans.PlanInvalid) as refused:
        plans.create_plan(p.inst_a.id, _data(**overrides), user=p.inst_a_user)
    assert fragment in refused.value.errors[field], refused.value.errors
    assert _snapshot() == before


def test_all_errors_are_reported_at_once(personas):
    p = personas
    with pytest.raises(plans.PlanInvalid) as refused:
        plans.create_plan(p.inst_a.id, _data(name="", capacity=0, hours=-1, fee=-1,
                                            train_start=TODAY + 9 * DAY, train_end=TODAY + 8 * DAY),
                          user=p.inst_a_user)
    assert set(refused.value.errors) == {"name", "capacity", "hours", "fee", "train_end", "enroll_end"}


def test_boundaries_are_accepted(personas):
    """Same-day windows, free training and the enrollment ending the day before training ends."""
    p = personas
    plan = plans.create_plan(p.inst_a.id, _data(enroll_start=TODAY, enroll_end=TODAY, train_start=TODAY + DAY,
                                                train_end=TODAY + DAY, fee=0, capacity=1, hours=1),
                             user=p.inst_a_user)
    assert plan.id and plan.fee == 0


def test_trade_the_institution_is_not_staffed_for_lists_what_is_missing(personas):
    p = personas
    before = _snapshot()
    with pytest.raises(plans.PlanInvalid) as refused:
        plans.create_plan(p.inst_a.id, _data(trade_code="152"), user=p.inst_a_user)  # 挖掘机驾驶员 (机械)
    message = refused.value.errors["trade_code"]
    assert "挖掘机驾驶员" in message and "职业理论知识培训师资不少于1人，现有0人" in message
    assert "专业“机械”的考评员不少于8人，现有0人" in message
    assert _snapshot() == before


def test_unstaffed_institution_cannot_create(personas):
    p = personas
    inst, user = factories.institution("杭州新设培训学校", "330106", p.city_dept, "new_inst", staffed=False)
    with pytest.raises(plans.PlanInvalid) as refused:
        plans.create_plan(inst.id, _data(), user=user)
    assert "安全生产知识培训师资不少于2人" in refused.value.errors["trade_code"]


def test_disabled_trade_is_refused_for_new_plans_but_kept_on_existing_ones(personas):
    p = personas
    plan = factories.training_plan(p.inst_a, trade="010")
    item = db.session.execute(select(DictItem).join(DictType).where(DictType.code == "trade",
                                                                    DictItem.value == "010")).scalar_one()
    item.enabled = False
    db.session.commit()
    with pytest.raises(plans.PlanInvalid) as refused:
        plans.create_plan(p.inst_a.id, _data(), user=p.inst_a_user)
    assert "不存在或已停用" in refused.value.errors["trade_code"]
    assert plans.update_plan(plan, {"name": "改名后的计划", "trade_code": "010"}, user=p.inst_a_user)


def test_cancelled_institution_cannot_create_update_or_delete(personas):
    p = personas
    draft = factories.training_plan(p.inst_a)
    p.inst_a.status = "cancelled"
    db.session.commit()
    before = _snapshot()
    with pytest.raises(plans.PlanInvalid) as refused:
        plans.create_plan(p.inst_a.id, _data(), user=p.inst_a_user)
    assert refused.value.field is None and "已注销" in refused.value.message
    with pytest.raises(ServiceError, match="已注销"):
        plans.update_plan(draft, {"name": "新名称"}, user=p.inst_a_user)
    with pytest.raises(ServiceError, match="已注销"):
        plans.delete_plan(draft, user=p.inst_a_user)
    assert _snapshot() == before


# --- update --------------------------------------------------------------------------------------

@pytest.mark.parametrize("state", ["draft", "rejected"])
def test_draft_and_rejected_plans_can_be_edited(personas, state):
    p = personas
    plan = factories.training_plan(p.inst_a, state=state, owner=p.inst_a_user, reviewer=p.city)
    changes = plans.update_plan(plan, _data(hours=72, location="新实训基地"), user=p.inst_a_user)
    assert changes["hours"] == [64, 72] and changes["location"][1] == "新实训基地"
    db.session.expire_all()
    assert (plan.hours, plan.location, plan.review_state) == (72, "新实训基地", state)
    entry = db.session.query(AuditLog).filter_by(action="edit", object_id=plan.id).one()
    assert '"hours": [64, 72]' in entry.changes


@pytest.mark.parametrize("state, fragment", [("submitted", "请先撤回"), ("accepted", "已受理"),
                                             ("approved", "已审核通过")])
def test_submitted_accepted_and_approved_plans_are_read_only(personas, state, fragment):
    p = personas
    plan = factories.training_plan(p.inst_a, state=state, owner=p.inst_a_user, reviewer=p.city)
    before = _snapshot()
    with pytest.raises(ServiceError, match=fragment):
        plans.update_plan(plan, {"hours": 80}, user=p.inst_a_user)
    assert _snapshot() == before


def test_edit_validation_refusals_change_nothing(personas):
    p = personas
    plan = factories.training_plan(p.inst_a)
    before = _snapshot()
    with pytest.raises(plans.PlanInvalid) as refused:
        plans.update_plan(plan, {"capacity": 0, "enroll_end": plan.train_end}, user=p.inst_a_user)
    assert set(refused.value.errors) == {"capacity", "enroll_end"}
    assert _snapshot() == before


def test_unchanged_data_writes_nothing(personas):
    p = personas
    plan = factories.training_plan(p.inst_a)
    before = _snapshot()
    assert plans.update_plan(plan, {name: getattr(plan, name) for name in plans.FIELDS}, user=p.inst_a_user) == {}
    assert _snapshot() == before


def test_approved_plan_edits_only_the_fields_the_setting_allows(personas):
    p = personas
    plan = factories.training_plan(p.inst_a, state="approved", owner=p.inst_a_user, reviewer=p.city)
    assert plans.editable_fields(plan) == []  # default: none
    _set(plans.EDITABLE_AFTER_APPROVAL, "location，contact_phone")
    assert plans.editable_fields(plan) == ["location", "contact_phone"]
    assert plans.edit_refusal(plan) is None
    before = _snapshot()
    with pytest.raises(plans.PlanInvalid) as refused:
        plans.update_plan(plan, {"location": "新地点", "capacity": 99}, user=p.inst_a_user)
    assert "不能修改计划人数" in refused.value.errors["capacity"]
    assert _snapshot() == before
    with pytest.raises(plans.PlanInvalid):
        plans.update_plan(plan, {"contact_phone": "110"}, user=p.inst_a_user)
    plans.update_plan(plan, {"location": "新地点"}, user=p.inst_a_user)
    db.session.expire_all()
    assert (plan.location, plan.review_state, plan.capacity) == ("新地点", "approved", 30)
    _set(plans.EDITABLE_AFTER_APPROVAL, "无")
    assert plans.editable_fields(plan) == []


def test_the_setting_is_validated():
    validate_setting(plans.EDITABLE_AFTER_APPROVAL, "location,contact_person")
    validate_setting(plans.EDITABLE_AFTER_APPROVAL, "location，contact_phone")
    validate_setting(plans.EDITABLE_AFTER_APPROVAL, "无")
    for bad in ("review_state", "location;drop", "institution_id", "location,"):
        with pytest.raises(ServiceError):
            validate_setting(plans.EDITABLE_AFTER_APPROVAL, bad)


def test_stale_edit_form_is_refused(personas):
    p = personas
    plan = factories.training_plan(p.inst_a, state="rejected", owner=p.inst_a_user, reviewer=p.city)
    seen = plan.review_version
    review.move(plan, "submit", user=p.inst_a_user)
    review.move(plan, "withdraw", user=p.inst_a_user)
    before = _snapshot()
    with pytest.raises(ServiceError, match="已被他人处理"):
        plans.update_plan(plan, {"hours": 99}, user=p.inst_a_user, expected_version=seen)
    assert _snapshot() == before


def test_edit_racing_a_submit_changes_nothing(personas):
    """The plan was 上报 (in another tab) after this one was loaded: the conditional UPDATE finds no row."""
    p = personas
    plan = factories.training_plan(p.inst_a)
    _submitted_elsewhere(plan)
    assert plan.review_state == "draft"  # the stale object this request holds
    with pytest.raises(ServiceError, match="已被他人处理"):
        plans.update_plan(plan, {"hours": 99}, user=p.inst_a_user)
    db.session.expire_all()
    assert (plan.hours, plan.review_state) == (64, "submitted")


# --- delete --------------------------------------------------------------------------------------

def test_never_submitted_draft_is_deleted_with_an_audit_row(personas):
    p = personas
    plan = factories.training_plan(p.inst_a)
    pk = plan.id
    plans.delete_plan(plan, user=p.inst_a_user)
    assert db.session.get(TrainingPlan, pk) is None
    assert db.session.query(AuditLog).filter_by(action="delete", object_type="training_plan", object_id=pk).count() == 1


@pytest.mark.parametrize("state", ["submitted", "accepted", "approved", "rejected"])
def test_plans_under_or_after_review_cannot_be_deleted(personas, state):
    p = personas
    plan = factories.training_plan(p.inst_a, state=state, owner=p.inst_a_user, reviewer=p.city)
    before = _snapshot()
    with pytest.raises(ServiceError, match="只能删除未上报的培训计划"):
        plans.delete_plan(plan, user=p.inst_a_user)
    assert _snapshot() == before


def test_withdrawn_draft_keeps_its_history_and_cannot_be_deleted(personas):
    p = personas
    plan = factories.training_plan(p.inst_a, state="submitted", owner=p.inst_a_user)
    review.move(plan, "withdraw", user=p.inst_a_user)
    before = _snapshot()
    with pytest.raises(ServiceError, match="已上报过"):
        plans.delete_plan(plan, user=p.inst_a_user)
    assert _snapshot() == before


def test_delete_racing_a_submit_changes_nothing(personas):
    p = personas
    plan = factories.training_plan(p.inst_a)
    _submitted_elsewhere(plan)
    with pytest.raises(ServiceError, match="不能删除"):
        plans.delete_plan(plan, user=p.inst_a_user)
    db.session.expire_all()
    assert db.session.get(TrainingPlan, plan.id).review_state == "submitted"
    assert db.session.query(AuditLog).filter_by(action="delete", object_id=plan.id).count() == 0


# --- progress (SPEC §7) --------------------------------------------------------------------------

def test_progress_follows_the_enrollment_window_of_approved_plans(personas):
    p = personas
    plan = factories.training_plan(p.inst_a, state="approved", owner=p.inst_a_user, reviewer=p.city)
    assert plan.progress() == "报名中"
    assert plan.progress(today=plan.enroll_end + DAY) == "培训结束"
    assert plan.progress(today=plan.enroll_start - DAY) == "未开始报名"
    draft = factories.training_plan(p.inst_a)
    assert draft.progress() is None
