"""In a real browser, issue 15 item by item: home to-dos with links, record display names and Chinese roles,
the Chinese date picker that keeps typed dates, buttons with words, labelled controls, scores on the 成绩报审
review page with the opinion coloured by outcome, each person's own stage, 工种 choices marked with the reason,
and duplicate institution names refused."""
import datetime
import random
import re

from app.demo import GIVEN, SURNAMES, make_id_number
from app.extensions import db
from app.models import Worker
from app.services import enrollment as enrollment_service
from app.services import scores as score_service
from app.services import certificates as certificate_service
from tests import factories
from tests.e2e.conftest import alerts, click_and_wait, commit_fixture_data, login_as, switch_user
from tests.services.test_certificates import approved_exam


def test_home_lists_each_roles_work_with_links(page, base_url, personas):
    p = personas
    waiting = factories.training_plan(p.inst_a, name="待受理的培训计划", state="submitted", owner=p.inst_a_user)
    returned = factories.training_plan(p.inst_a, name="被退回的培训计划", state="rejected", owner=p.inst_a_user,
                                       reviewer=p.city)
    open_plan = factories.training_plan(p.inst_a, name="正在报名的培训计划", state="approved", owner=p.inst_a_user,
                                        reviewer=p.city)
    waiting_id, returned_id, open_id = waiting.id, returned.id, open_plan.id
    factories.enterprise("草稿状态建筑公司", "330106", "ent_draft")

    # 主管部门: 培训计划待受理 1, linked to the plan's review page where 受理 is clicked.
    login_as(page, base_url, p.city, "department")
    card = page.locator("#todo-training_plan_submitted")
    assert card.get_attribute("data-count") == "1"
    assert page.locator("#todo-training_plan_accepted").get_attribute("data-count") == "0"
    with page.expect_navigation():
        card.locator(".list-group a", has_text="待受理的培训计划").click()
    assert page.url.endswith("/trainingplanreview/pending/show/%d" % waiting_id)
    assert page.locator("#btn-accept").is_visible()
    page.goto(base_url + "/")
    with page.expect_navigation():
        card.locator("a.todo-link").click()
    assert "/trainingplanreview/pending/list" in page.url

    # 培训机构: the returned plan, linked to its detail with the opinion.
    switch_user(page, base_url, p.inst_a_user, "institution")
    card = page.locator("#todo-plan_rejected")
    assert card.get_attribute("data-count") == "1"
    with page.expect_navigation():
        card.locator(".list-group a", has_text="被退回的培训计划").click()
    assert page.url.endswith("/trainingplanview/show/%d" % returned_id)
    assert page.locator("#plan-rejected").is_visible()
    page.goto(base_url + "/")
    for key in ("class_to_open", "scores_to_import", "scores_to_report", "report_rejected", "exam_rejected"):
        assert page.locator("#todo-%s" % key).get_attribute("data-count") == "0"
    assert page.locator("#todo-attendance_to_confirm").get_attribute("data-count") == "0"

    # 企业 (approved): its qualification and the plan open for enrollment, linked to 培训报名.
    switch_user(page, base_url, p.ent_a_user, "enterprise")
    assert "审核通过" in page.locator("#enterprise-state").inner_text()
    card = page.locator("#todo-plans_enrolling")
    with page.expect_navigation():
        card.locator(".list-group a", has_text="正在报名的培训计划").click()
    assert page.url.endswith("/enrollplan/show/%d" % open_id)

    # 企业 (not yet submitted): what to do next, and where.
    switch_user(page, base_url, "ent_draft", "enterprise")
    assert "上报审核" in page.locator("#enterprise-next-step").inner_text()
    with page.expect_navigation():
        page.click("#todo-enterprise-link")
    assert "/myenterprise" in page.url.lower() or "/myenterpriseview" in page.url
    assert page.js_errors == []


def test_score_review_page_shows_scores_names_the_record_and_colours_the_opinion(page, base_url, personas):
    p = personas
    exam = approved_exam(p, count=5, state="submitted")
    report_id, exam_name = score_service.report_of(exam).id, exam.name
    commit_fixture_data()

    login_as(page, base_url, p.city, "department")
    page.goto(base_url + "/scorereportreview/pending/show/%d" % report_id)
    scores = page.locator("#report-scores #score-table tbody tr")
    assert scores.count() == 5
    assert "共 5 人，合格 4 人，缺考 0 人" in page.locator("#score-summary").inner_text()
    assert "text-danger" in scores.nth(1).locator(".score-result").get_attribute("class")  # the one 不合格

    click_and_wait(page, "#btn-accept")
    message = alerts(page)
    assert "操作成功：%s 成绩报审（当前状态：已受理）" % exam_name in message, message
    assert "object at" not in page.content()

    page.fill("#opinion", "同意")
    click_and_wait(page, "#btn-approve")
    opinion = page.locator("#review-opinion")
    assert opinion.inner_text() == "同意"
    assert "text-success" in opinion.get_attribute("class") and "text-danger" not in opinion.get_attribute("class")
    page.goto(base_url + "/scorereportreview/all/records/%d" % report_id)
    records = page.locator("#main").inner_text()
    assert "object at" not in records and "ScoreReport" not in records


def test_role_pages_speak_chinese(page, base_url, personas):
    login_as(page, base_url, personas.admin, "admin")
    page.goto(base_url + "/roles/list/")
    text = page.locator("#main").inner_text()
    for word in ("主管部门", "培训机构", "企业", "系统管理员", "企业资质审核", "审核记录"):
        assert word in text, word
    for raw in ("can_list", "can show", "EnterpriseList", "menu_access", "None"):
        assert raw not in text, raw
    with page.expect_navigation():
        page.locator("a.btn", has_text="查看").first.click()
    assert "/roles/show/" in page.url
    assert "can_" not in page.locator("#main").inner_text()


def test_plan_dates_in_a_chinese_calendar_keep_typed_and_pasted_dates(page, base_url, personas):
    login_as(page, base_url, personas.inst_a_user, "institution")
    page.goto(base_url + "/trainingplanview/add")
    page.click("#enroll_start")
    picker = page.locator(".datepicker-dropdown")
    picker.wait_for(state="visible")
    assert re.match(r"^\d{4}年\d{2}月$", picker.locator(".datepicker-days .datepicker-switch").inner_text().strip())
    assert picker.locator(".datepicker-days th.dow").all_inner_texts()[:2] == ["一", "二"]
    # Typed in another common form: normalised, not cleared.
    page.fill("#enroll_start", "2026/12/1")
    page.keyboard.press("Tab")
    assert page.input_value("#enroll_start") == "2026-12-01"
    # Pasted (no key events) then left: kept.
    page.evaluate("""() => { const input = document.getElementById('enroll_end');
        input.value = '2026-12-20'; input.dispatchEvent(new Event('input', {bubbles: true})); }""")
    page.click("#name")
    page.click("#hours")
    assert page.input_value("#enroll_end") == "2026-12-20"
    # 2026年12月25日 as people write it.
    page.fill("#train_start", "2026年12月25日")
    page.click("#name")
    assert page.input_value("#train_start") == "2026-12-25"
    assert page.js_errors == []


def test_buttons_show_their_words(page, base_url, personas):
    factories.training_plan(personas.inst_a, name="按钮测试计划", state="draft", owner=personas.inst_a_user)
    login_as(page, base_url, personas.inst_a_user, "institution")
    page.goto(base_url + "/trainingplanview/list/")
    for word in ("查看", "编辑", "删除"):
        button = page.locator("table a.btn, table button.btn", has_text=word).first
        assert button.is_visible(), word
        seen = button.evaluate("el => el.innerText.trim()")
        assert word in seen and button.bounding_box()["width"] > 30, (word, seen)
    page.goto(base_url + "/staffview/list/")
    add = page.locator("a.btn", has_text="新增").first
    assert add.is_visible() and "新增" in add.evaluate("el => el.innerText")


def _class_in_session(p):
    """A plan with one paid enrollee in an opened class (attendance not yet confirmed)."""
    plan = factories.training_plan(p.inst_a, name="考勤标签测试计划", state="approved", owner=p.inst_a_user,
                                   reviewer=p.city)
    rng = random.Random(15)
    id_number = make_id_number(rng, "330106")
    worker = Worker(id_number=id_number, name=rng.choice(SURNAMES) + rng.choice(GIVEN), mobile="13900001515",
                    education="senior", enterprise_id=p.ent_a.id, gender="男",
                    birth_date=datetime.date(1990, 1, 1))
    db.session.add(worker)
    db.session.commit()
    enrollments = enrollment_service.enroll(plan.id, p.ent_a.id, [worker.id], user=p.ent_a_user)
    enrollment_service.confirm_payment(enrollments, amount="800", user=p.inst_a_user)
    enrollment_service.open_class(plan, user=p.inst_a_user)
    return plan.id, worker.name


def test_every_control_has_a_label(page, base_url, personas):
    plan_id, worker = _class_in_session(personas)
    exam = approved_exam(personas, count=2, state="draft")
    exam_id = exam.id
    commit_fixture_data()
    login_as(page, base_url, personas.inst_a_user, "institution")
    page.goto(base_url + "/enrollmanage/show/%d" % plan_id)
    assert page.get_by_label("%s 的出勤学时" % worker).count() == 1
    assert page.get_by_label("%s 的考勤结果" % worker).count() == 1
    page.get_by_label("%s 的考勤结果" % worker).select_option("合格")
    page.goto(base_url + "/scores/exam/%d" % exam_id)
    assert page.get_by_label("成绩文件（xlsx）").count() == 1
    page.goto(base_url + "/trainingplanview/list/")
    assert page.get_by_label("全选").count() == 1


def test_enrollee_query_shows_each_persons_own_stage(page, base_url, personas):
    p = personas
    exam = approved_exam(p, count=3, state="approved")
    certificate_service.start_generation(exam, user=p.city)
    certificate_service.pull(exam, user=p.city)
    commit_fixture_data()
    login_as(page, base_url, p.inst_a_user, "institution")
    page.goto(base_url + "/enrollmentview/list/")
    rows = page.locator("#enrollee-table tr.enrollee-row")
    assert rows.count() == 3
    stages = rows.locator(".status-stage").all_inner_texts()
    plans = rows.locator(".status-plan").all_inner_texts()
    # The plan's window is still open (报名中), but the 2 who passed hold certificates and the 1 who failed has
    # an approved score report: each shows their own stage, the plan's status stays beside it.
    assert sorted(s.strip() for s in stages) == ["培训证书：证书已生成未推送"] * 2 + ["成绩报审：已审核"], stages
    assert [s.strip() for s in plans] == ["报名中"] * 3


def test_trade_choices_offer_the_qualified_first_and_mark_the_rest(page, base_url, personas):
    login_as(page, base_url, personas.inst_a_user, "institution")
    page.goto(base_url + "/trainingplanview/add")
    groups = page.locator("#trade_code optgroup")
    assert groups.count() == 2
    assert groups.nth(0).get_attribute("label") == "师资及考评员满足要求"
    ready = groups.nth(0).locator("option")
    assert ready.count() >= 1
    assert all(not ready.nth(i).is_disabled() for i in range(ready.count()))
    assert groups.nth(1).get_attribute("label") == "不可选：师资及考评员不足"
    unready = groups.nth(1).locator("option")
    assert unready.count() >= 1
    first = unready.first
    assert first.is_disabled()
    assert "现有0人" in first.inner_text()
    # The hint under the field says why.
    assert "师资及考评员" in page.locator("#trade_code ~ .help-block, #trade_code + span").first.inner_text()


def test_a_second_institution_with_the_same_name_is_refused(page, base_url, personas, tmp_path):
    login_as(page, base_url, personas.city, "department")
    page.goto(base_url + "/institutionview/add")
    page.fill("#name", personas.inst_a.name)
    from app.demo import make_uscc

    page.fill("#uscc", make_uscc(7771515))
    page.select_option("#institution_type", "social_exam")
    page.select_option("#region_code", "330106")
    page.fill("#address", "杭州市西湖区学院路1号")
    page.fill("#contact_person", "王老师")
    page.fill("#contact_phone", "0571-88001515")
    licence = tmp_path / "营业执照.pdf"
    licence.write_bytes(b"%PDF-1.4 duplicate name")
    page.set_input_files("#license_file", str(licence))
    with page.expect_navigation():
        page.click("#model_form button[type=submit]")
    assert "/institutionview/add" in page.url
    text = page.content()
    assert "机构名称“%s”已存在" % personas.inst_a.name in text
    assert "请勿重复新增" in text
