"""In a real browser: a county department searches an enrollee by ID number, opens 详情, expands the exam
entry, goes back and exports the result; the dashboard draws its charts from the app's own ECharts."""
import io

import openpyxl

from tests.e2e.conftest import login_as
from tests.services.test_enrollee_query import build_enrollee_world


def test_search_by_id_number_detail_expand_exam_and_export(page, base_url, personas):
    world = build_enrollee_world(personas)
    login_as(page, base_url, personas.county, "department")
    assert "/login" not in page.url

    page.goto(base_url + "/enrollmentview/list/")
    assert page.locator("#enrollee-query").is_visible()
    page.fill("#f-id_number", world.w_a.id_number)
    with page.expect_navigation():
        page.click("#btn-search")
    rows = page.locator("tr.enrollee-row")
    assert rows.count() == 2  # 张西湖's two enrollments in 西湖
    assert page.locator("tr.enrollee-row td.id-number").first.inner_text() == world.w_a.masked_id_number
    done_row = page.locator('tr[data-id="%d"]' % world.e_done.id)
    assert done_row.locator("td.status-cert").inner_text() == "证书已推送"
    assert "共 2 条" in page.locator("#result-count").inner_text()

    with page.expect_navigation():
        done_row.locator(".btn-detail").click()
    for section in ("#section-application", "#section-training", "#section-exam", "#section-certificate"):
        assert page.locator(section).is_visible()
    assert page.locator("#detail-id-number").inner_text() == world.w_a.id_number  # full for the department
    exam_body = page.locator("#exam-%d" % world.cand_done.id)
    assert not exam_body.is_visible()  # collapsed until opened
    page.click("#exam-toggle-%d" % world.cand_done.id)
    exam_body.locator(".ticket-no").wait_for(state="visible")
    assert exam_body.locator(".ticket-no").inner_text() == world.cand_done.ticket_no
    assert exam_body.locator(".theory-score").inner_text().startswith("88")
    training_body = page.locator("#training-%d" % world.e_done.id)
    page.click("#training-toggle-%d" % world.e_done.id)
    training_body.locator(".attendance-result").wait_for(state="visible")
    assert training_body.locator(".attendance-result").inner_text() == "合格"
    assert "26330100102000001" in page.locator("#certificate-table").inner_text()

    with page.expect_navigation():
        page.click("#btn-back")
    assert page.input_value("#f-id_number") == world.w_a.id_number  # back to the same search
    with page.expect_download() as download_info:
        page.click("#btn-export")
    download = download_info.value
    assert download.suggested_filename.endswith(".xlsx") and download.suggested_filename.startswith("报名人员")
    with open(download.path(), "rb") as handle:  # the saved download has no .xlsx extension
        book = openpyxl.load_workbook(io.BytesIO(handle.read()), read_only=True)
    rows = [list(r) for r in book.worksheets[0].iter_rows(values_only=True)]
    book.close()
    assert rows[0][:2] == ["姓名", "身份证号"] and len(rows) == 3
    assert {r[1] for r in rows[1:]} == {world.w_a.masked_id_number}

    assert page.external_requests == [], page.external_requests
    assert page.js_errors == [], page.js_errors


def test_dashboard_draws_its_charts_offline(page, base_url, personas):
    build_enrollee_world(personas)
    login_as(page, base_url, personas.city, "department")
    page.goto(base_url + "/dashboard/?preset=all")
    assert page.locator("#dashboard-region").inner_text() == "杭州市"
    for chart in ("#chart-enterprises", "#chart-regions", "#chart-months", "#chart-trades"):
        page.locator(chart + " canvas").first.wait_for(state="attached")
    assert page.evaluate("typeof echarts") == "object"
    with page.expect_navigation():
        page.locator("#table-regions a.drill", has_text="西湖区").click()
    assert page.locator("#dashboard-region").inner_text() == "西湖区"
    assert page.external_requests == [], page.external_requests
    assert page.js_errors == [], page.js_errors
