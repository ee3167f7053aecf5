"""In a real browser: 下载成绩模板 → 导入成绩 → 上报 → 主管部门 受理 / 审核通过 → 生成证书 → 拉取证书 →
the certificate found by 证书查询 on the login page (anonymous)."""
import io
import random

from openpyxl import load_workbook

from app.demo import add_ticketed_examinees
from tests import factories
from tests.e2e.conftest import commit_fixture_data, login_as


def _switch_user(page, base_url, user, account_type):
    page.context.clear_cookies()
    login_as(page, base_url, user, account_type)
    assert "/login" not in page.url, page.locator(".alert").all_inner_texts()


def _click_and_wait(page, selector):
    with page.expect_navigation():
        page.click(selector)


def test_scores_to_certificate_query(page, base_url, personas, tmp_path):
    p = personas
    plan = factories.training_plan(p.inst_a, state="approved", owner=p.inst_a_user, reviewer=p.city)
    exam = factories.exam_plan(plan, state="approved", owner=p.inst_a_user, reviewer=p.city)
    roster = add_ticketed_examinees(exam, p.ent_a, p.ent_a_user, 3, random.Random(42))
    exam_id = exam.id
    first_name, first_id = roster[0][1].worker_name, roster[0][1].id_number
    commit_fixture_data()

    # 培训机构: the 成绩导入 menu, download the template, fill it, import, 上报.
    _switch_user(page, base_url, p.inst_a_user, "institution")
    page.goto(base_url + "/scores/")
    _click_and_wait(page, "#exam-row-%d a" % exam_id)
    with page.expect_download() as download_info:
        page.click("#btn-template")
    template = tmp_path / "template.xlsx"
    download_info.value.save_as(template)
    wb = load_workbook(template)
    ws = wb["成绩"]
    for row, (theory, practical) in enumerate([(88, 91), (45, 80), (60, 60)], start=2):
        ws.cell(row=row, column=4, value=theory)
        ws.cell(row=row, column=5, value=practical)
    filled = tmp_path / "成绩.xlsx"
    wb.save(filled)
    page.set_input_files("#score-file", str(filled))
    _click_and_wait(page, "#btn-import")
    assert "成绩导入成功，共 3 条" in page.content()
    results = page.locator("#score-table .score-result").all_inner_texts()
    assert results == ["合格", "不合格", "合格"]
    _click_and_wait(page, "#btn-submit")
    assert page.locator("#report-state").inner_text().strip() == "未受理"

    # 主管部门: 成绩证书 → 未审核, open it, 受理, 审核通过, then its scores page: 生成证书, 拉取证书.
    _switch_user(page, base_url, p.city, "department")
    page.goto(base_url + "/scorereportreview/pending/list/")
    assert exam.name in page.content()
    page.locator("a[href*='/show/']").first.click()
    page.wait_for_selector("#btn-accept")
    _click_and_wait(page, "#btn-accept")
    _click_and_wait(page, "#btn-approve")
    assert page.locator("#review-state").inner_text().strip() == "审核通过"
    _click_and_wait(page, "#btn-open-scores")
    assert page.locator("#btn-pull").count() == 0
    _click_and_wait(page, "#btn-generate")
    page.wait_for_selector("#job-status")
    page.wait_for_function("document.getElementById('job-status').textContent.indexOf('已完成') >= 0")
    if page.locator("#btn-pull").count() == 0:  # a real worker: the page reloads itself when the job is done
        page.wait_for_selector("#btn-pull")
    _click_and_wait(page, "#btn-pull")
    assert "已拉取证书 2 张" in page.content()
    numbers = page.locator("#certificate-table .cert-number").all_inner_texts()
    assert len(numbers) == 2
    number = numbers[0].strip()
    assert "证书已生成未推送" in page.locator("#certificate-table").inner_text()

    # anonymous: 证书查询 from the login page.
    page.context.clear_cookies()
    page.goto(base_url + "/login/")
    _click_and_wait(page, "#link-cert-query")
    page.fill("#number", number)
    # the first certificate belongs to the first 合格 candidate in enrollment order (the 1st roster row)
    page.fill("#name", first_name)
    _click_and_wait(page, "#btn-query")
    result = page.locator("#cert-result-1").inner_text()
    assert number in result and first_name in result and first_id not in result
    assert first_id[:6] + "********" + first_id[-4:] in result
    page.fill("#name", "查无此人")
    _click_and_wait(page, "#btn-query")
    assert page.locator("#query-message").inner_text().strip() == "未查询到证书"
    assert not page.external_requests and not page.js_errors
