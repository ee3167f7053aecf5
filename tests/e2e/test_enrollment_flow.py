"""In a real browser: the enterprise adds a worker and enrolls them into a 报名中 plan; the institution
confirms the payment, opens the class and confirms attendance (合格)."""
import random

from app.demo import make_id_number
from app.extensions import db
from app.models import Enrollment
from tests import factories
from tests.e2e.conftest import alerts, login_as, logout

WORKER = "浏览器学员"


def test_enterprise_enrolls_institution_pays_opens_and_confirms(page, base_url, personas):
    plan = factories.training_plan(personas.inst_a, name="浏览器报名测试计划", state="approved",
                                   owner=personas.inst_a_user, reviewer=personas.city)
    plan_id = plan.id
    id_number = make_id_number(random.Random(4242), "330106")

    # 企业: 学员管理 → 新增学员
    login_as(page, base_url, personas.ent_a_user, "enterprise")
    page.goto(base_url + "/workerview/list/")
    with page.expect_navigation():
        page.click("#btn-add-worker")
    page.fill("#id_number", id_number)
    page.fill("#name", WORKER)
    page.fill("#mobile", "13900007777")
    page.select_option("#education", "senior")
    with page.expect_navigation():
        page.click("#model_form button[type=submit]")
    assert "已新增学员“%s”" % WORKER in alerts(page)
    assert id_number[:6] + "********" + id_number[-4:] in page.content()

    # 培训报名: the plan is listed; enroll the worker
    page.goto(base_url + "/enrollplan/list/")
    assert "浏览器报名测试计划" in page.content()
    page.goto(base_url + "/enrollplan/show/%d" % plan_id)
    page.locator("#roster tr", has_text=WORKER).locator("input[type=checkbox]").check()
    with page.expect_navigation():
        page.click("#btn-enroll")
    assert "报名成功：1人" in alerts(page)
    assert "待缴费" in page.locator("#my-enrollments").inner_text()
    logout(page, base_url)

    # 培训机构: 报名管理 → 缴费确认, 开班, 考勤 and 确认考勤
    login_as(page, base_url, personas.inst_a_user, "institution")
    page.goto(base_url + "/enrollmanage/list/")
    assert "浏览器报名测试计划" in page.content()
    page.goto(base_url + "/enrollmanage/show/%d" % plan_id)
    row = page.locator("#enrollees tr", has_text=WORKER)
    row.locator("input[type=checkbox]").check()
    page.fill("#pay-receipt", "BR-0001")
    with page.expect_navigation():
        page.click("#btn-pay")
    assert "已确认缴费：1人" in alerts(page)
    with page.expect_navigation():
        page.click("#btn-open-class")
    assert "已开班：1人" in alerts(page)
    row = page.locator("#enrollees tr", has_text=WORKER)
    row.locator("input[name^=hours_]").fill("64")
    row.locator("select[name^=result_]").select_option("合格")
    with page.expect_navigation():
        page.click("#btn-confirm-attendance")
    assert "已确认考勤，合格1人" in alerts(page), alerts(page)
    assert page.locator("#attendance-locked").count() == 1
    assert "考勤合格" in page.locator("#enrollees").inner_text()

    db.session.expire_all()
    enrollment = db.session.query(Enrollment).filter_by(plan_id=plan_id).one()
    assert (enrollment.receipt_no, enrollment.in_class, enrollment.attended_hours, enrollment.attendance_result) == (
        "BR-0001", True, 64, "合格")
    assert enrollment.attendance_confirmed_at is not None
    assert page.external_requests == [] and page.js_errors == []
