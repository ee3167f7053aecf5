"""培训计划 screens over HTTP as the personas: the institution's list/form, the department's tabs, scope, races."""
import datetime
import re

import pytest

from app.extensions import db
from app.models import AuditLog, Institution, ReviewRecord, Staff, SystemSetting, TrainingPlan
from app.services import review
from tests import factories

OWN = "/trainingplanview"
PENDING = "/trainingplanreview/pending"
REVIEWED = "/trainingplanreview/reviewed"
ALL = "/trainingplanreview/all"
TODAY = datetime.date.today()


def _day(offset):
    return (TODAY + datetime.timedelta(days=offset)).isoformat()


def _form(**overrides):
    data = {"name": "2026年第8期钢筋工（五级）培训", "trade_code": "020", "skill_level": "5", "training_type": "initial",
            "capacity": "40", "fee": "1200", "hours": "64", "enroll_start": _day(0), "enroll_end": _day(10),
            "train_start": _day(11), "train_end": _day(30), "location": "杭州市西湖区文三路100号",
            "contact_person": "张老师", "contact_phone": "0571-88110001"}
    data.update(overrides)
    return data


def _plan(pk):
    db.session.expire_all()
    return db.session.get(TrainingPlan, pk)


def _count():
    db.session.expire_all()
    return db.session.query(TrainingPlan).count()


def _records(plan, action=None):
    query = db.session.query(ReviewRecord).filter_by(object_type="training_plan", object_id=plan.id)
    return query.filter_by(action=action).count() if action else query.count()


def _field_error(html, message):
    """The message sits in the form, in the error box FAB renders under the field."""
    return re.search(r'<div class="alert alert-danger">\s*%s' % re.escape(message), html) is not None


# --- the institution's list and form ------------------------------------------------------------

def test_institution_list_shows_own_plans_states_progress_and_the_rejection_opinion(personas, login):
    p = personas
    factories.training_plan(p.inst_a, name="本机构草稿计划")
    rejected = factories.training_plan(p.inst_a, name="本机构被退回计划", state="rejected", owner=p.inst_a_user,
                                       reviewer=p.city)
    factories.training_plan(p.inst_a, name="本机构报名中计划", state="approved", owner=p.inst_a_user, reviewer=p.city)
    factories.training_plan(p.inst_b, name="宁波的计划")
    page = login(p.inst_a_user).get(OWN + "/list/").text
    for text in ("本机构草稿计划", "本机构被退回计划", "本机构报名中计划", "未上报", "审核不通过", "审核通过", "报名中"):
        assert text in page, text
    assert "宁波的计划" not in page
    row = re.search(r'<tr id="plan-row-%d".*?</tr>' % rejected.id, page, re.S).group(0)
    assert "plan-opinion" in row and "不符合要求" in row


def test_add_form_is_chinese_and_saves_a_draft(personas, login):
    p = personas
    client = login(p.inst_a_user)
    form = client.get(OWN + "/add").text
    for text in ("新增培训计划", "计划名称", "工种", "技能等级", "培训类型", "计划人数", "培训费用（元）", "学时", "报名开始",
                 "报名截止", "培训开始", "培训结束", "培训地点", "联系人", "联系电话", "钢筋工", "五级/初级工", "初训"):
        assert text in form, text
    response = client.post(OWN + "/add", data=_form())
    assert response.status_code == 302
    plan = db.session.query(TrainingPlan).filter_by(name="2026年第8期钢筋工（五级）培训").one()
    assert response.headers["Location"].endswith("%s/show/%d" % (OWN, plan.id))
    assert (plan.institution_id, plan.review_state, plan.trade_code, plan.capacity) == (p.inst_a.id, "draft", "020", 40)
    show = client.get(OWN + "/show/%d" % plan.id).text
    assert 'id="btn-submit"' in show and 'id="btn-edit-plan"' in show and 'id="btn-delete-plan"' in show


@pytest.mark.parametrize("overrides, message", [
    ({"enroll_end": _day(-1)}, "报名截止日期不能早于报名开始日期"),
    ({"train_end": _day(5), "enroll_end": _day(3)}, "培训结束日期不能早于培训开始日期"),
    ({"enroll_end": _day(30)}, "报名截止日期应早于培训结束日期"),
    ({"capacity": "0"}, "计划人数应大于0"),
    ({"hours": "0"}, "学时应大于0"),
    ({"fee": "-1"}, "培训费用不能为负数"),
    ({"name": ""}, "请填写计划名称"),
    ({"contact_phone": "12345"}, "联系电话应为11位手机号或区号+号码"),
    ({"trade_code": "152"}, "本机构师资及考评员不满足该工种的要求"),
])
def test_add_refusals_show_next_to_the_field_keep_the_input_and_save_nothing(personas, login, overrides, message):
    p = personas
    before = _count()
    response = login(p.inst_a_user).post(OWN + "/add", data=_form(**overrides))
    assert response.status_code == 200 and _field_error(response.text, message), message
    assert 'value="杭州市西湖区文三路100号"' in response.text  # the user's input is kept
    assert _count() == before


def test_every_add_error_shows_at_once(personas, login):
    p = personas
    response = login(p.inst_a_user).post(OWN + "/add", data=_form(name="", capacity="0", fee="-5",
                                                                  enroll_end=_day(40)))
    for message in ("请填写计划名称", "计划人数应大于0", "培训费用不能为负数", "报名截止日期应早于培训结束日期"):
        assert _field_error(response.text, message), message


def test_unstaffed_trade_lists_what_is_missing(personas, login):
    p = personas
    db.session.query(Staff).filter_by(institution_id=p.inst_a.id, category="theory", trade_code="020").delete()
    db.session.commit()
    response = login(p.inst_a_user).post(OWN + "/add", data=_form(trade_code="020"))
    assert "工种“钢筋工”的职业理论知识培训师资不少于1人，现有0人" in response.text


def test_the_trade_readiness_is_looked_up_once_per_form(personas, login, monkeypatch):
    """Rendering asks the 工种 field for its groups and its choices, validation once more: one staffing lookup."""
    from app.services import staffing
    from app.views import plans as plan_views

    calls = []

    def counted(institution_id, trades):
        calls.append(institution_id)
        return staffing.gaps_by_trade(institution_id, trades)

    monkeypatch.setattr(plan_views, "gaps_by_trade", counted)
    client = login(personas.inst_a_user)
    assert "师资及考评员满足要求" in client.get(OWN + "/add").text
    assert calls == [personas.inst_a.id]
    calls.clear()
    client.post(OWN + "/add", data=_form(name=""))  # refused: validated, then the form is shown again
    assert calls == [personas.inst_a.id]


def test_cancelled_institution_cannot_add(personas, login):
    p = personas
    client = login(p.inst_a_user)  # logged in before the 注销
    db.session.get(Institution, p.inst_a.id).status = "cancelled"
    db.session.commit()
    before = _count()
    response = client.post(OWN + "/add", data=_form(), follow_redirects=True)
    assert _count() == before
    assert "已注销" in response.text or "/login" in response.request.path


@pytest.mark.parametrize("state", ["draft", "rejected"])
def test_edit_in_draft_and_rejected(personas, login, state):
    p = personas
    plan = factories.training_plan(p.inst_a, state=state, owner=p.inst_a_user, reviewer=p.city)
    client = login(p.inst_a_user)
    form = client.get(OWN + "/edit/%d" % plan.id).text
    assert "修改培训计划" in form and 'name="version"' in form and plan.name in form
    response = client.post(OWN + "/edit/%d" % plan.id, data=_form(name=plan.name, trade_code="010", hours="72",
                                                                  version=plan.review_version))
    assert response.status_code == 302
    plan = _plan(plan.id)
    assert (plan.hours, plan.trade_code, plan.review_state) == (72, "010", state)
    assert db.session.query(AuditLog).filter_by(action="edit", object_id=plan.id).count() == 1


def test_edit_refusal_shows_next_to_the_field(personas, login):
    p = personas
    plan = factories.training_plan(p.inst_a)
    response = login(p.inst_a_user).post(OWN + "/edit/%d" % plan.id,
                                         data=_form(capacity="-3", version=plan.review_version))
    assert response.status_code == 200 and _field_error(response.text, "计划人数应大于0")
    assert _plan(plan.id).capacity == 30


@pytest.mark.parametrize("state, message", [("submitted", "请先撤回"), ("accepted", "已受理"), ("approved", "已审核通过")])
def test_submitted_accepted_and_approved_plans_are_read_only(personas, login, state, message):
    p = personas
    plan = factories.training_plan(p.inst_a, state=state, owner=p.inst_a_user, reviewer=p.city)
    client = login(p.inst_a_user)
    show = client.get(OWN + "/show/%d" % plan.id).text
    assert 'id="btn-edit-plan"' not in show and 'id="btn-delete-plan"' not in show
    listing = client.get(OWN + "/list/").text
    assert "/edit/%d" % plan.id not in listing and "/delete/%d" % plan.id not in listing
    assert message in client.get(OWN + "/edit/%d" % plan.id, follow_redirects=True).text
    response = client.post(OWN + "/edit/%d" % plan.id, data=_form(hours="99", version=plan.review_version),
                           follow_redirects=True)
    assert message in response.text and _plan(plan.id).hours == 64


def test_approved_plan_form_offers_only_the_fields_the_setting_allows(personas, login):
    p = personas
    plan = factories.training_plan(p.inst_a, state="approved", owner=p.inst_a_user, reviewer=p.city)
    db.session.merge(SystemSetting(key="plan_editable_fields_after_approval", value="location,contact_phone"))
    db.session.commit()
    client = login(p.inst_a_user)
    form = client.get(OWN + "/edit/%d" % plan.id).text
    assert 'name="location"' in form and 'name="contact_phone"' in form and 'name="capacity"' not in form
    client.post(OWN + "/edit/%d" % plan.id, data={"location": "新基地", "contact_phone": "13800001111", "capacity": "999",
                                                  "version": plan.review_version})
    plan = _plan(plan.id)
    assert (plan.location, plan.contact_phone, plan.capacity, plan.review_state) == (
        "新基地", "13800001111", 30, "approved")


def test_stale_edit_form_gets_a_message(personas, login):
    p = personas
    plan = factories.training_plan(p.inst_a, state="rejected", owner=p.inst_a_user, reviewer=p.city)
    client = login(p.inst_a_user)
    seen = plan.review_version
    review.move(plan, "submit", user=p.inst_a_user)
    review.move(plan, "withdraw", user=p.inst_a_user)
    response = client.post(OWN + "/edit/%d" % plan.id, data=_form(hours="99", version=seen))
    assert "已被他人处理" in response.text and _plan(plan.id).hours == 64


def test_delete_only_never_submitted_drafts(personas, login):
    p = personas
    draft = factories.training_plan(p.inst_a)
    withdrawn = factories.training_plan(p.inst_a, state="submitted", owner=p.inst_a_user)
    review.move(withdrawn, "withdraw", user=p.inst_a_user)
    client = login(p.inst_a_user)
    assert client.get(OWN + "/delete/%d" % draft.id).status_code == 405  # no GET mutation
    listing = client.get(OWN + "/list/").text
    assert "/delete/%d" % draft.id in listing and "/delete/%d" % withdrawn.id not in listing
    refused = client.post(OWN + "/delete/%d" % withdrawn.id, follow_redirects=True)
    assert "已上报过" in refused.text and _plan(withdrawn.id) is not None
    done = client.post(OWN + "/delete/%d" % draft.id, follow_redirects=True)
    assert "已删除培训计划" in done.text and _plan(draft.id) is None


def test_submit_and_withdraw_from_the_list(personas, login):
    p = personas
    plans = [factories.training_plan(p.inst_a) for _ in range(2)]
    client = login(p.inst_a_user)
    listing = client.get(OWN + "/list/").text
    assert "bulk_submit" in listing and "bulk_withdraw" in listing and "bulk_accept" not in listing
    response = client.post(OWN + "/action_post", data={"action": "bulk_submit", "rowid": [pl.id for pl in plans]},
                           follow_redirects=True)
    assert "已上报 2 条记录" in response.text
    assert {_plan(pl.id).review_state for pl in plans} == {"submitted"}
    login(p.city).post(PENDING + "/review/%d" % plans[0].id, data={"move": "accept"})
    response = client.post(OWN + "/action_post", data={"action": "bulk_withdraw", "rowid": [pl.id for pl in plans]},
                           follow_redirects=True)
    assert "已撤回 1 条记录" in response.text and "不能执行“撤回”操作" in response.text
    assert [_plan(pl.id).review_state for pl in plans] == ["accepted", "draft"]


def test_list_submit_rechecks_the_staffing_rule(personas, login):
    p = personas
    plan = factories.training_plan(p.inst_a, trade="020")
    db.session.query(Staff).filter_by(institution_id=p.inst_a.id, category="theory", trade_code="020").delete()
    db.session.commit()
    response = login(p.inst_a_user).post(OWN + "/action_post", data={"action": "bulk_submit", "rowid": [plan.id]},
                                         follow_redirects=True)
    assert "师资及考评员不符合规定，不能上报" in response.text and "钢筋工" in response.text
    assert _plan(plan.id).review_state == "draft" and _records(plan) == 0


def test_rejection_opinion_is_prominent_on_the_detail_page(personas, login):
    p = personas
    plan = factories.training_plan(p.inst_a, state="rejected", owner=p.inst_a_user, reviewer=p.city)
    show = login(p.inst_a_user).get(OWN + "/show/%d" % plan.id).text
    alert = re.search(r'<div class="alert alert-danger" id="plan-rejected">.*?</div>', show, re.S).group(0)
    assert "审核不通过" in alert and "不符合要求" in alert and "请按审核意见修改后再次上报" in show


# --- scope: another institution's plan does not exist ---------------------------------------------

def test_another_institutions_plan_answers_404_everywhere(personas, login):
    p = personas
    plan = factories.training_plan(p.inst_a)
    other = login(p.inst_b_user)
    for url in ("/show/%d", "/edit/%d", "/records/%d"):
        assert other.get(OWN + url % plan.id).status_code == 404, url
    for url, data in (("/edit/%d", _form()), ("/delete/%d", {}), ("/workflow/%d", {"move": "submit"})):
        assert other.post(OWN + url % plan.id, data=data).status_code == 404, url
    assert other.post(OWN + "/action_post", data={"action": "bulk_submit", "rowid": [plan.id]}).status_code == 404
    assert other.post(OWN + "/action/bulk_submit/%d" % plan.id).status_code in (404, 405)
    plan = _plan(plan.id)
    assert (plan.review_state, plan.hours, plan.name.startswith(p.inst_a.name)) == ("draft", 64, True)


def test_department_of_another_city_gets_404(personas, login):
    p = personas
    plan = factories.training_plan(p.inst_a, state="submitted", owner=p.inst_a_user)
    ningbo = login(p.other_city)
    assert ningbo.get(ALL + "/show/%d" % plan.id).status_code == 404
    assert ningbo.get(ALL + "/records/%d" % plan.id).status_code == 404
    assert ningbo.post(PENDING + "/review/%d" % plan.id, data={"move": "accept"}).status_code == 404
    assert ningbo.post(PENDING + "/action_post", data={"action": "bulk_accept", "rowid": [plan.id]}).status_code == 404
    assert plan.name not in ningbo.get(ALL + "/list/").text
    assert _plan(plan.id).review_state == "submitted"


@pytest.mark.parametrize("who", ["province", "county"])
def test_a_department_that_did_not_set_the_institution_up_sees_but_cannot_act(personas, login, who):
    """The province supervises; the county (西湖区) has the institution in its region but did not set it up."""
    p = personas
    submitted = factories.training_plan(p.inst_a, state="submitted", owner=p.inst_a_user)
    accepted = factories.training_plan(p.inst_a, state="accepted", owner=p.inst_a_user, reviewer=p.city)
    client = login(getattr(p, who))
    assert submitted.name in client.get(PENDING + "/list/").text
    show = client.get(PENDING + "/show/%d" % accepted.id).text
    assert show.count('id="btn-') == 1 and 'id="btn-records"' in show  # 查看审核记录 only
    response = client.post(PENDING + "/action_post", data={"action": "bulk_accept", "rowid": [submitted.id]},
                           follow_redirects=True)
    assert "无权" in response.text
    client.post(PENDING + "/action_post", data={"action": "bulk_approve", "rowid": [accepted.id]})
    client.post(PENDING + "/bulk_reject", data={"rowid": [accepted.id], "opinion": "越权"})
    client.post(PENDING + "/review/%d" % accepted.id, data={"move": "reject", "opinion": "越权"})
    assert (_plan(submitted.id).review_state, _plan(accepted.id).review_state) == ("submitted", "accepted")
    assert _records(accepted) == 2


def test_institutions_and_enterprises_cannot_open_the_review_tabs(personas, login):
    p = personas
    plan = factories.training_plan(p.inst_a, state="submitted", owner=p.inst_a_user)
    for who in (p.inst_a_user, p.ent_a_user):
        client = login(who)
        response = client.post(PENDING + "/review/%d" % plan.id, data={"move": "accept"})
        assert response.status_code in (302, 403, 404)
        assert client.post(PENDING + "/bulk_reject", data={"rowid": [plan.id], "opinion": "x"}).status_code in (
            302, 403, 404)
    assert _plan(plan.id).review_state == "submitted"
    # A department has no access to the institution's form.
    response = login(p.city).get(OWN + "/add")
    assert response.status_code in (302, 403) and "新增培训计划" not in response.text


# --- the department's tabs: search, progress, bulk 审核不通过 --------------------------------------

def test_search_by_institution_name_trade_state_and_progress(personas, login):
    p = personas
    hz = factories.training_plan(p.inst_a, name="杭州钢筋计划", trade="020", state="submitted", owner=p.inst_a_user)
    hz2 = factories.training_plan(p.inst_a, name="杭州砌筑计划", trade="010", state="approved", owner=p.inst_a_user,
                                  reviewer=p.city)
    nb = factories.training_plan(p.inst_b, name="宁波砌筑计划", trade="010", state="submitted", owner=p.inst_b_user)
    client = login(p.province)

    def names(query):
        page = client.get(ALL + "/list/?" + query).text
        return {plan.name for plan in (hz, hz2, nb) if plan.name in page}

    assert names("") == {hz.name, hz2.name, nb.name}
    assert names("_flt_0_institution_name=宁波建筑") == {nb.name}
    assert names("_flt_0_institution_name=%25") == set()  # a wildcard typed by the user is literal
    assert names("_flt_0_trade_code=010") == {hz2.name, nb.name}
    assert names("_flt_0_review_state=approved") == {hz2.name}
    assert names("_flt_0_progress=enrolling") == {hz2.name}
    assert names("_flt_0_progress=finished") == set()
    assert names("_flt_0_institution_name=杭州&_flt_0_trade_code=020") == {hz.name}
    assert names("_flt_1_enroll_start=%s" % _day(-5)) == {hz.name, hz2.name, nb.name}  # 大于
    # The search form names the filters in Chinese and never lists the institutions.
    page = client.get(ALL + "/list/").text
    assert 'name="institution_name" class="filter">' in page and "培训机构名称" in page and "进度" in page
    assert "\\u5305\\u542b" in page  # 包含, inside the filters' JSON
    assert "<option value=\"%d\"" % p.inst_a.id not in page and "宁波建筑技能培训中心</option>" not in page


def test_progress_shows_in_the_department_lists(personas, login):
    p = personas
    plan = factories.training_plan(p.inst_a, state="approved", owner=p.inst_a_user, reviewer=p.city)
    row = re.search(r'<tr id="plan-row-%d".*?</tr>' % plan.id, login(p.city).get(REVIEWED + "/list/").text, re.S)
    assert "报名中" in row.group(0)


def test_bulk_reject_with_one_opinion(personas, login):
    p = personas
    plans = [factories.training_plan(p.inst_a, state="accepted", owner=p.inst_a_user, reviewer=p.city)
             for _ in range(2)]
    waiting = factories.training_plan(p.inst_a, state="submitted", owner=p.inst_a_user)
    client = login(p.city)
    ids = [pl.id for pl in plans] + [waiting.id]
    confirm = client.post(PENDING + "/action_post", data={"action": "bulk_reject", "rowid": ids})
    assert confirm.status_code == 200 and "批量审核不通过" in confirm.text
    assert all(pl.name in confirm.text for pl in plans + [waiting])
    empty = client.post(PENDING + "/bulk_reject", data={"rowid": ids, "opinion": "  "})
    assert "审核不通过时必须填写审核意见" in empty.text
    assert {_plan(pk).review_state for pk in ids} == {"accepted", "submitted"}
    versions = {"version_%d" % pk: _plan(pk).review_version for pk in ids}
    done = client.post(PENDING + "/bulk_reject", data={"rowid": ids, "opinion": "师资证明材料不全", **versions},
                       follow_redirects=True)
    assert "已审核不通过 2 条记录" in done.text and "不能执行“审核不通过”操作" in done.text
    for plan in plans:
        plan = _plan(plan.id)
        assert (plan.review_state, plan.review_opinion) == ("rejected", "师资证明材料不全")
    assert _plan(waiting.id).review_state == "submitted"
    again = client.post(PENDING + "/bulk_reject", data={"rowid": ids[:1], "opinion": "再次", **versions},
                        follow_redirects=True)
    assert "该培训计划已被审核不通过" in again.text and "不能再审核不通过" in again.text
    assert _records(plans[0], "reject") == 1


# --- stale pages and double clicks --------------------------------------------------------------

def test_accept_from_a_page_loaded_before_a_withdraw_and_resubmit_is_refused(personas, login):
    """The reviewer's page shows 未受理 (version v); meanwhile the institution withdrew and reported again."""
    p = personas
    plan = factories.training_plan(p.inst_a, state="submitted", owner=p.inst_a_user)
    reviewer = login(p.city)
    page = reviewer.get(PENDING + "/show/%d" % plan.id).text
    seen = re.search(r'name="version" value="(\d+)"', page).group(1)
    institution = login(p.inst_a_user)
    institution.post(OWN + "/workflow/%d" % plan.id, data={"move": "withdraw", "version": seen})
    institution.post(OWN + "/workflow/%d" % plan.id, data={"move": "submit", "version": int(seen) + 1})
    assert _plan(plan.id).review_state == "submitted"
    response = reviewer.post(PENDING + "/review/%d" % plan.id, data={"move": "accept", "version": seen},
                             follow_redirects=True)
    assert "该培训计划已被上报" in response.text and "该记录已被他人处理，请刷新页面确认后重试" in response.text
    assert _plan(plan.id).review_state == "submitted" and _records(plan, "accept") == 0


def test_withdraw_from_a_page_loaded_before_the_accept_is_refused(personas, login):
    p = personas
    plan = factories.training_plan(p.inst_a, state="submitted", owner=p.inst_a_user)
    institution = login(p.inst_a_user)
    seen = re.search(r'name="version" value="(\d+)"', institution.get(OWN + "/show/%d" % plan.id).text).group(1)
    login(p.city).post(PENDING + "/review/%d" % plan.id, data={"move": "accept", "version": seen})
    response = institution.post(OWN + "/workflow/%d" % plan.id, data={"move": "withdraw", "version": seen},
                                follow_redirects=True)
    assert "该培训计划已被受理" in response.text and "当前状态为“已受理”，不能再撤回" in response.text
    assert _plan(plan.id).review_state == "accepted" and _records(plan, "withdraw") == 0


def test_double_clicked_bulk_approve_writes_one_record(personas, login):
    p = personas
    plan = factories.training_plan(p.inst_a, state="accepted", owner=p.inst_a_user, reviewer=p.city)
    client = login(p.city)
    client.post(PENDING + "/action_post", data={"action": "bulk_approve", "rowid": [plan.id]})
    second = client.post(PENDING + "/action_post", data={"action": "bulk_approve", "rowid": [plan.id]},
                         follow_redirects=True)
    assert "不能执行“审核通过”操作" in second.text
    assert _records(plan, "approve") == 1 and _plan(plan.id).review_state == "approved"


# --- 查看审核记录 ---------------------------------------------------------------------------------

def test_review_records_show_times_reviewer_opinion_and_time_in_each_state(personas, login):
    p = personas
    plan = factories.training_plan(p.inst_a, state="rejected", owner=p.inst_a_user, reviewer=p.city)
    review.move(plan, "submit", user=p.inst_a_user)
    review.move(plan, "accept", user=p.city)
    review.move(plan, "approve", user=p.city, opinion="同意开班")
    plan = _plan(plan.id)
    for client, base in ((login(p.city), ALL), (login(p.inst_a_user), OWN), (login(p.province), ALL)):
        page = client.get(base + "/records/%d" % plan.id).text
        summary = re.search(r'<dl class="dl-horizontal" id="review-summary">.*?</dl>', page, re.S).group(0)
        for label, value in (("上报时间", plan.submitted_at), ("受理时间", plan.accepted_at),
                             ("审核时间", plan.reviewed_at)):
            assert re.search(r"<dt>%s</dt><dd>%s</dd>" % (label, value.strftime("%Y-%m-%d %H:%M")), summary), label
        assert "<dt>审核人</dt><dd>%s</dd>" % p.city.first_name in summary
        assert "同意开班" in summary
        rows = re.findall(r"<tr><td>\d+</td>.*?</tr>", page, re.S)
        assert len(rows) == 6
        assert [re.search(r"<td>\d+</td><td>(.*?)</td>", row).group(1) for row in rows] == [
            "上报", "受理", "审核不通过", "上报", "受理", "审核通过"]
        assert "不符合要求" in rows[2] and "同意开班" in rows[5]
        assert all(re.search(r"<td>(\d+天)?(\d+小时)?\d+分</td></tr>", row) for row in rows[:5])
        assert "至今" in rows[5]
