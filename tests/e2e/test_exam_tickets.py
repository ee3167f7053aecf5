"""In a real browser: the institution creates and 上报 an exam plan, the department 受理 and 审核通过,
and the enterprise downloads its worker's 准考证 (a PDF with the Chinese text)."""
import datetime
import re

from pypdf import PdfReader

from tests.e2e.conftest import click_and_wait, switch_user
from tests.exam_helpers import examiners, trained_plan

OWN = "/examplanview"
PENDING = "/examplanreview/pending"
EXAM_NAME = "2026年第3期砌筑工（五级）考核"


def _state(page):
    return page.locator("#review-state").inner_text().strip()


def test_exam_plan_review_and_enterprise_downloads_its_workers_ticket(page, base_url, personas):
    p = personas
    plan, _people = trained_plan(p, (p.ent_a, ["张三丰"]), (p.ent_b, ["宁波王五"]))
    chosen = examiners(p.inst_a)
    start = (datetime.datetime.now() + datetime.timedelta(days=7)).replace(hour=9, minute=0, second=0, microsecond=0)

    # 培训机构: 新增 → choose the plan → fill the form → 保存 → 上报.
    switch_user(page, base_url, p.inst_a_user, "institution")
    page.goto(base_url + OWN + "/add")
    page.select_option("#plan_id", str(plan.id))
    click_and_wait(page, "#btn-next")
    page.fill("#name", EXAM_NAME)
    for field, offset in (("theory_start", 0), ("theory_end", 2), ("practical_start", 24), ("practical_end", 28)):
        page.fill("#" + field, (start + datetime.timedelta(hours=offset)).strftime("%Y-%m-%d %H:%M"))
    page.fill("#site_address", "杭州市西湖区文三路100号考点")
    page.fill("#rooms", "1")
    page.fill("#seats_per_room", "1")
    for staff_id in chosen:
        page.check('input.examiner-check[value="%d"]' % staff_id)
    click_and_wait(page, "#btn-save-exam")
    assert "考场座位不足" in page.locator("#error-seats_per_room").inner_text()
    page.fill("#seats_per_room", "30")
    click_and_wait(page, "#btn-save-exam")
    match = re.search(r"%s/show/(\d+)" % OWN, page.url)
    assert match, (page.url, page.locator(".alert").all_inner_texts())
    pk = int(match.group(1))
    assert _state(page) == "未上报"
    click_and_wait(page, "#btn-submit")
    assert _state(page) == "未受理"

    # 主管部门: 未审核 → 受理 → 审核通过.
    switch_user(page, base_url, p.city, "department")
    page.goto(base_url + PENDING + "/list/")
    assert EXAM_NAME in page.content()
    page.goto(base_url + PENDING + "/show/%d" % pk)
    click_and_wait(page, "#btn-accept")
    assert _state(page) == "已受理"
    click_and_wait(page, "#btn-approve")
    assert _state(page) == "审核通过"
    tickets = page.locator("#exam-candidates .ticket-no").all_inner_texts()
    assert len(tickets) == 2 and all(len(t.strip()) == 17 for t in tickets)

    # 企业: 准考证下载 lists the exam; only its own worker is shown; the PDF carries the ticket facts.
    switch_user(page, base_url, p.ent_a_user, "enterprise")
    page.goto(base_url + "/examticketview/list/")
    assert EXAM_NAME in page.content()
    page.goto(base_url + "/examticketview/show/%d" % pk)
    table = page.locator("#exam-candidates").inner_text()
    assert "张三丰" in table and "宁波王五" not in table
    with page.expect_download() as info:
        page.click("#exam-candidates a.ticket-link")
    download = info.value
    assert download.suggested_filename.endswith(".pdf") and "准考证" in download.suggested_filename
    text = "".join(pg.extract_text() for pg in PdfReader(download.path()).pages)
    assert "张三丰" in text and EXAM_NAME in text and "准考证" in text and "宁波王五" not in text
    assert not page.external_requests and not page.js_errors
