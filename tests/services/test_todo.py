"""首页待办 per role, the 工种 readiness of the plan form, and the refusal of a second institution of the same name."""
import pytest

from app.demo import make_uscc
from app.extensions import db
from app.models import Enterprise
from app.security.scope import Scope
from app.services import ServiceError
from app.services import institutions as institution_service
from app.services import review
from app.services import staffing
from app.services import todo
from tests import factories
from tests.services.test_institutions import basic, pdf


def counts(todos):
    return {t.key: t.count for t in todos}


def test_department_sees_what_waits_for_its_acceptance_and_review(personas):
    p = personas
    submitted = factories.training_plan(p.inst_a, name="待受理计划", state="submitted", owner=p.inst_a_user)
    factories.training_plan(p.inst_a, state="accepted", owner=p.inst_a_user, reviewer=p.city)
    factories.training_plan(p.inst_a, state="approved", owner=p.inst_a_user, reviewer=p.city)
    factories.training_plan(p.inst_b, state="submitted", owner=p.inst_b_user)  # reviewed by 宁波

    city = counts(todo.department_todos(Scope.for_user(p.city)))
    assert city["training_plan_submitted"] == 1 and city["training_plan_accepted"] == 1
    assert todo.department_todos(Scope.for_user(p.city))[2].records == [(submitted.id, "待受理计划")]
    # The province supervises 杭州's institution but does not decide on its plans.
    assert counts(todo.department_todos(Scope.for_user(p.province)))["training_plan_submitted"] == 0
    assert counts(todo.department_todos(Scope.for_user(p.other_city)))["training_plan_submitted"] == 1


def test_each_state_has_its_own_count_and_records(personas):
    """The home page counts both states of a document type in one grouped query: each count and list is its own."""
    p = personas
    for n in range(3):
        factories.training_plan(p.inst_a, name="待受理%d" % n, state="submitted", owner=p.inst_a_user)
    accepted = factories.training_plan(p.inst_a, name="待审核", state="accepted", owner=p.inst_a_user, reviewer=p.city)
    todos = {t.key: t for t in todo.department_todos(Scope.for_user(p.city))}
    assert (todos["training_plan_submitted"].count, todos["training_plan_accepted"].count) == (3, 1)
    assert sorted(name for _, name in todos["training_plan_submitted"].records) == ["待受理0", "待受理1", "待受理2"]
    assert todos["training_plan_accepted"].records == [(accepted.id, "待审核")]
    assert todos["exam_plan_submitted"].count == todos["score_report_accepted"].count == 0


def test_institution_sees_returned_plans_and_its_own_only(personas):
    p = personas
    factories.training_plan(p.inst_a, name="退回计划", state="rejected", owner=p.inst_a_user, reviewer=p.city)
    mine = counts(todo.institution_todos(Scope.for_user(p.inst_a_user)))
    other = counts(todo.institution_todos(Scope.for_user(p.inst_b_user)))
    assert mine["plan_rejected"] == 1 and other["plan_rejected"] == 0
    assert mine["class_to_open"] == 0 and mine["attendance_to_confirm"] == 0


def test_enterprise_sees_plans_open_for_enrollment(personas):
    p = personas
    factories.training_plan(p.inst_a, name="报名中计划", state="approved", owner=p.inst_a_user, reviewer=p.city)
    factories.training_plan(p.inst_a, state="submitted", owner=p.inst_a_user)
    [plans] = todo.enterprise_todos(Scope.for_user(p.ent_a_user))
    assert plans.count == 1 and plans.records[0][1] == "报名中计划"


def test_trade_readiness_agrees_with_the_staffing_rule(personas):
    inst = personas.inst_a
    trades = ["010", "020", "011", "000"]
    by_trade = staffing.gaps_by_trade(inst.id, trades)
    for trade in trades:
        assert by_trade[trade] == staffing.gaps(inst.id, [trade])
    assert any(by_trade.values()) and not all(by_trade.values())


def test_a_second_institution_with_the_same_name_is_refused(personas):
    first = institution_service.create_institution(basic(), pdf(), user=personas.city)
    with pytest.raises(ServiceError) as refused:
        institution_service.create_institution(basic(uscc=make_uscc(5550002)), pdf(), user=personas.city)
    assert refused.value.field == "name"
    assert "机构名称“杭州新设职业技能培训学校”已存在（机构代码 %s）" % first.code in refused.value.message
    # Renaming another institution to that name is refused too; keeping its own name is not a clash.
    with pytest.raises(ServiceError):
        institution_service.update_institution(personas.inst_a.id, {"name": first.name}, user=personas.city)
    institution_service.update_institution(first.id, {"name": first.name}, user=personas.city)


def test_enterprise_qualifications_count_only_where_the_department_decides(personas):
    """A county with its own department decides its enterprises; the city counts only counties without one."""
    p = personas
    for name, region, username in (("西湖待审企业", "330106", "xihu_ent"), ("滨江待审企业", "330108", "binjiang_ent"),
                                   ("温州待审企业", "330302", "wenzhou_ent")):
        _, user = factories.enterprise(name, region, username)
        review.move(user.enterprise, "submit", user=user)

    def waiting(user):
        scope = Scope.for_user(user)
        [todo_item] = [t for t in todo.department_todos(scope) if t.key == "enterprise_submitted"]
        return sorted(name for _, name in todo_item.records)

    assert waiting(p.county) == ["西湖待审企业"]
    assert waiting(p.city) == ["滨江待审企业"]  # 西湖区 has its own department
    assert waiting(p.province) == ["温州待审企业"]  # 温州 has no department: the province decides
    assert waiting(p.other_city) == []
    # Each count is what review.move would let the department do.
    for user in (p.county, p.city, p.province):
        scope = Scope.for_user(user)
        for ent in db.session.query(Enterprise).filter(Enterprise.review_state == "submitted"):
            assert scope.reviews_enterprise(db.session, ent) == (ent.name in waiting(user))
