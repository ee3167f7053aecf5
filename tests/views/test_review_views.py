"""The department's 未审核 / 已审核 / 全部 screens and the institution's 上报 / 撤回, through HTTP."""
from app.extensions import db
from app.models import ReviewRecord, TrainingPlan
from tests import factories
from tests.queries import SqlCounter

PENDING = "/trainingplanreview/pending"


def _state(plan):
    db.session.expire_all()
    return db.session.get(TrainingPlan, plan.id).review_state


def test_pending_list_shows_only_own_institutions_submitted_plans(personas, login):
    p = personas
    mine = factories.training_plan(p.inst_a, name="杭州待审计划", state="submitted", owner=p.inst_a_user)
    factories.training_plan(p.inst_a, name="杭州草稿计划", state="draft")
    factories.training_plan(p.inst_b, name="宁波待审计划", state="submitted", owner=p.inst_b_user)
    page = login(p.city).get(PENDING + "/list/").text
    assert mine.name in page and "宁波待审计划" not in page and "杭州草稿计划" not in page
    reviewed = login(p.city).get("/trainingplanreview/reviewed/list/").text
    assert mine.name not in reviewed


def test_department_accepts_rejects_with_opinion_and_approves_from_the_detail_page(personas, login):
    p = personas
    plan = factories.training_plan(p.inst_a, state="submitted", owner=p.inst_a_user)
    client = login(p.city)
    show = client.get("%s/show/%d" % (PENDING, plan.id)).text
    assert 'id="btn-accept"' in show and "查看审核记录" in show
    client.post("%s/review/%d" % (PENDING, plan.id), data={"move": "accept", "version": plan.review_version})
    assert _state(plan) == "accepted"
    response = client.post("%s/review/%d" % (PENDING, plan.id),
                           data={"move": "reject", "opinion": "", "version": 2}, follow_redirects=True)
    assert "审核不通过时必须填写审核意见" in response.text and _state(plan) == "accepted"
    client.post("%s/review/%d" % (PENDING, plan.id), data={"move": "reject", "opinion": "学时不足", "version": 2})
    assert _state(plan) == "rejected"
    # The institution sees the opinion, corrects, reports again; the department approves.
    inst = login(p.inst_a_user)
    assert "学时不足" in inst.get("/trainingplanview/show/%d" % plan.id).text
    inst.post("/trainingplanview/workflow/%d" % plan.id, data={"move": "submit", "version": 3})
    client.post("%s/review/%d" % (PENDING, plan.id), data={"move": "accept", "version": 4})
    client.post("%s/review/%d" % (PENDING, plan.id), data={"move": "approve", "version": 5})
    assert _state(plan) == "approved"


def test_stale_page_gets_a_message_not_a_second_transition(personas, login):
    p = personas
    plan = factories.training_plan(p.inst_a, state="accepted", owner=p.inst_a_user, reviewer=p.city)
    client = login(p.city)
    version = plan.review_version
    client.post("%s/review/%d" % (PENDING, plan.id), data={"move": "approve", "version": version})
    again = client.post("%s/review/%d" % (PENDING, plan.id), data={"move": "approve", "version": version},
                        follow_redirects=True)
    assert "该培训计划已被审核通过" in again.text and "不能再审核通过" in again.text  # what happened, by whom
    assert db.session.query(ReviewRecord).filter_by(object_type="training_plan", object_id=plan.id,
                                                    action="approve").count() == 1


def test_bulk_accept_and_bulk_approve(personas, login):
    p = personas
    plans = [factories.training_plan(p.inst_a, state="submitted", owner=p.inst_a_user) for _ in range(3)]
    client = login(p.city)
    client.post(PENDING + "/action_post", data={"action": "bulk_accept", "rowid": [pl.id for pl in plans]})
    assert {_state(pl) for pl in plans} == {"accepted"}
    response = client.post(PENDING + "/action_post", data={"action": "bulk_approve", "rowid": [pl.id for pl in plans]},
                           follow_redirects=True)
    assert {_state(pl) for pl in plans} == {"approved"}
    assert "已审核通过 3 条记录" in response.text


def test_a_bulk_move_goes_back_to_the_list_it_came_from_on_this_site_only(personas, login):
    p = personas
    plans = [factories.training_plan(p.inst_a, state="submitted", owner=p.inst_a_user) for _ in range(2)]
    client = login(p.city)
    filtered = PENDING + "/list/?_flt_0_name=A%26B+%E5%AE%81%E6%B3%A2"
    for plan, referrer, back in ((plans[0], "http://localhost" + filtered, filtered),
                                 (plans[1], "http://evil.example" + filtered, PENDING + "/list/")):
        answer = client.post(PENDING + "/action_post", data={"action": "bulk_accept", "rowid": [plan.id]},
                             headers={"Referer": referrer})
        assert answer.status_code == 302 and answer.headers["Location"] == back, referrer
    assert {_state(pl) for pl in plans} == {"accepted"}


def test_supervising_province_sees_read_only(personas, login):
    p = personas
    plan = factories.training_plan(p.inst_a, state="submitted", owner=p.inst_a_user)
    client = login(p.province)
    show = client.get("%s/show/%d" % (PENDING, plan.id))
    assert show.status_code == 200 and 'id="btn-accept"' not in show.text
    response = client.post("%s/review/%d" % (PENDING, plan.id), data={"move": "accept"}, follow_redirects=True)
    assert "无权" in response.text and _state(plan) == "submitted"


def test_institution_withdraws_before_accept_but_not_after(personas, login):
    p = personas
    plan = factories.training_plan(p.inst_a, state="draft")
    inst = login(p.inst_a_user)
    inst.post("/trainingplanview/workflow/%d" % plan.id, data={"move": "submit"})
    assert _state(plan) == "submitted"
    inst.post("/trainingplanview/workflow/%d" % plan.id, data={"move": "withdraw"})
    assert _state(plan) == "draft"
    inst.post("/trainingplanview/workflow/%d" % plan.id, data={"move": "submit"})
    login(p.city).post("%s/review/%d" % (PENDING, plan.id), data={"move": "accept"})
    refused = inst.post("/trainingplanview/workflow/%d" % plan.id, data={"move": "withdraw"}, follow_redirects=True)
    assert "不能执行“撤回”操作" in refused.text and _state(plan) == "accepted"


def test_review_records_page_shows_each_move_with_actor_and_duration(personas, login):
    p = personas
    plan = factories.training_plan(p.inst_a, state="rejected", owner=p.inst_a_user, reviewer=p.city)
    for who in (p.city, p.inst_a_user):
        base = PENDING.replace("pending", "all") if who is p.city else "/trainingplanview"
        page = login(who).get("%s/records/%d" % (base, plan.id)).text
        for text in ("上报", "受理", "审核不通过", "不符合要求", p.city.first_name, "停留时长"):
            assert text in page


def test_other_institution_cannot_move_or_read_records(personas, login):
    p = personas
    plan = factories.training_plan(p.inst_a, state="draft")
    other = login(p.inst_b_user)
    assert other.post("/trainingplanview/workflow/%d" % plan.id, data={"move": "submit"}).status_code == 404
    assert other.get("/trainingplanview/records/%d" % plan.id).status_code == 404
    assert _state(plan) == "draft"


def test_a_forged_non_numeric_version_is_refused_as_stale(personas, login):
    p = personas
    plan = factories.training_plan(p.inst_a, state="submitted", owner=p.inst_a_user)
    client = login(p.city)
    for version in ("abc", "9" * 40, " "):
        response = client.post("%s/review/%d" % (PENDING, plan.id), data={"move": "accept", "version": version},
                               follow_redirects=True)
        assert response.status_code == 200 and "该记录已被他人处理，请刷新页面后重试" in response.text
        assert _state(plan) == "submitted"


def test_accept_racing_the_withdraw_names_what_happened_not_404(personas, login):
    """The reviewer's page was built before the institution's 撤回: no 404 for a row that exists, and the message
    says who withdrew it; an id out of the department's scope is still 404."""
    p = personas
    plan = factories.training_plan(p.inst_a, state="submitted", owner=p.inst_a_user)
    client = login(p.city)
    seen = plan.review_version
    assert 'id="btn-accept"' in client.get("%s/show/%d" % (PENDING, plan.id)).text
    login(p.inst_a_user).post("/trainingplanview/workflow/%d" % plan.id, data={"move": "withdraw", "version": seen})
    assert _state(plan) == "draft"
    response = client.post("%s/review/%d" % (PENDING, plan.id), data={"move": "accept", "version": seen},
                           follow_redirects=True)
    assert response.status_code == 200, response.status_code
    assert "该培训计划已被撤回" in response.text and "当前状态为“未上报”，不能再受理" in response.text
    assert response.text.count("该培训计划已被撤回") == 1 and "已不在本列表中" not in response.text  # said once
    assert _state(plan) == "draft"
    again = client.get("/trainingplanreview/all/show/%d" % plan.id, follow_redirects=True)
    assert again.status_code == 200 and "该培训计划已被撤回" in again.text and "已不在本列表中" in again.text
    other = factories.training_plan(p.inst_b, state="submitted", owner=p.inst_b_user)
    assert client.get("/trainingplanreview/all/show/%d" % other.id).status_code == 404
    assert client.post("%s/review/%d" % (PENDING, other.id), data={"move": "accept"}).status_code == 404


def test_a_refusal_that_does_not_say_what_happened_still_says_the_record_left_the_list(personas, login):
    """Withdrawn while the reviewer had it open, then 受理 posted with a forged version: the refusal is the stale-page
    one (no news in it), so the record's leaving the 未审核 list is said too — once."""
    p = personas
    plan = factories.training_plan(p.inst_a, state="submitted", owner=p.inst_a_user)
    client = login(p.city)
    login(p.inst_a_user).post("/trainingplanview/workflow/%d" % plan.id,
                              data={"move": "withdraw", "version": plan.review_version})
    assert _state(plan) == "draft"
    response = client.post("%s/review/%d" % (PENDING, plan.id), data={"move": "accept", "version": "abc"},
                           follow_redirects=True)
    assert response.status_code == 200 and "该记录已被他人处理，请刷新页面后重试" in response.text
    assert response.text.count("已不在本列表中") == 1 and "该培训计划已被撤回" in response.text
    assert "当前状态为“未上报”，已不在本列表中" in response.text
    assert _state(plan) == "draft"


def test_the_detail_page_loads_its_document_once(personas, login):
    """The review detail page reads the plan row once (scope, tab, FAB's fields and the moves all use it)."""
    plan = factories.training_plan(personas.inst_a, state="submitted", owner=personas.inst_a_user)
    client = login(personas.city)
    url, name = "%s/show/%d" % (PENDING, plan.id), plan.name
    with SqlCounter() as sql:
        page = client.get(url)
    assert page.status_code == 200 and name in page.text
    plan_loads = [statement for statement in sql.statements if "FROM training_plan" in statement]
    assert len(plan_loads) == 1, plan_loads
