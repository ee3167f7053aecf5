"""In a real browser: 下载成绩模板 → 导入成绩 → 上报 → 主管部门 受理 / 审核通过 → 生成证书 → 拉取证书 →
the certificate found by 证书查询 on the login page (anonymous).

Run twice: with the template filled by openpyxl, and with the same file opened and saved again by
LibreOffice (shared strings and LibreOffice's styles instead of openpyxl's inline strings). The LibreOffice
run is skipped without soffice unless LIBREOFFICE_REQUIRED=1 (see tests/libreoffice.py).
"""
import random
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from tests import libreoffice
from tests.e2e.conftest import click_and_wait, commit_fixture_data, switch_user
from tests.exam_helpers import ticketed_exam

# 理论成绩, 实操成绩, 是否缺考, 备注 of the 3 candidates (template rows 2-4): 合格, 不合格 (缺考), 合格
SCORES = [(88, 91.5, "否", None), (None, None, "是", "病假"), (60, 60, "否", "补考")]


def _fill(template, target, rows, saved_by):
    """The downloaded template filled with openpyxl, then (saved_by="libreoffice") saved again by LibreOffice."""
    wb = load_workbook(template)
    ws = wb["成绩"]
    for row, values in enumerate(rows, start=2):
        for column, value in enumerate(values, start=4):
            ws.cell(row=row, column=column, value=value)
    wb.save(target)
    if saved_by == "libreoffice":
        resaved = libreoffice.resave_xlsx(target.read_bytes())
        assert libreoffice.describe(resaved)["application"].startswith("LibreOffice")
        target.write_bytes(resaved)
    return target


def _table(page, selector):
    """The cell texts of a table's body rows."""
    return page.locator(selector + " tbody tr").evaluate_all(
        "rows => rows.map(r => Array.from(r.cells).map(c => c.textContent.trim()))")


def _number(text):
    return Decimal(text) if text else None


@pytest.mark.parametrize("saved_by", ["openpyxl", "libreoffice"])
def test_scores_to_certificate_query(page, base_url, personas, tmp_path, saved_by):
    if saved_by == "libreoffice":
        libreoffice.require_soffice()  # before any browser work: skip at once (or fail when required)
    p = personas
    exam, roster = ticketed_exam(p, 3, random.Random(42))
    exam_id, exam_name = exam.id, exam.name
    tickets = [candidate.ticket_no for candidate, _ in roster]
    first_name, first_id = roster[0][1].worker_name, roster[0][1].id_number
    commit_fixture_data()

    # 培训机构: the 成绩导入 menu, download the template, fill it, import, 上报.
    switch_user(page, base_url, p.inst_a_user, "institution")
    page.goto(base_url + "/scores/")
    click_and_wait(page, "#exam-row-%d a" % exam_id)
    with page.expect_download() as download_info:
        page.click("#btn-template")
    template = tmp_path / "template.xlsx"
    download_info.value.save_as(template)

    # first a file with an error (120 in row 4, the 3rd candidate): refused with row, column and reason,
    # nothing imported
    bad = _fill(template, tmp_path / ("成绩_有误_%s.xlsx" % saved_by), [SCORES[0], SCORES[1], (60, 120, "否", None)],
                saved_by)
    page.set_input_files("#score-file", str(bad))
    click_and_wait(page, "#btn-import")
    assert "成绩导入失败，共 1 处错误" in page.locator("#import-errors").inner_text()
    assert _table(page, "#import-errors") == [["4", "实操成绩", "成绩必须在 0–100 之间，不能是 120"]]
    assert "尚未导入成绩" in page.locator("#score-table").inner_text()

    filled = _fill(template, tmp_path / ("成绩_%s.xlsx" % saved_by), SCORES, saved_by)
    page.set_input_files("#score-file", str(filled))
    click_and_wait(page, "#btn-import")
    assert "成绩导入成功，共 3 条" in page.content()
    assert page.locator("#import-errors").count() == 0
    rows = _table(page, "#score-table")
    assert [row[0] for row in rows] == tickets
    # 准考证号, 姓名, 身份证号, 理论成绩, 实操成绩, 是否缺考, 结果, 备注
    assert [(_number(r[3]), _number(r[4]), r[5], r[7] or None) for r in rows] == [
        (_number(str(t) if t is not None else ""), _number(str(pr) if pr is not None else ""), a, remark)
        for t, pr, a, remark in SCORES]
    results = page.locator("#score-table .score-result").all_inner_texts()
    assert results == ["合格", "不合格", "合格"]
    click_and_wait(page, "#btn-submit")
    assert page.locator("#report-state").inner_text().strip() == "未受理"

    # 主管部门: 成绩证书 → 未审核, open it, 受理, 审核通过, then its scores page: 生成证书, 拉取证书.
    switch_user(page, base_url, p.city, "department")
    page.goto(base_url + "/scorereportreview/pending/list/")
    assert exam_name in page.content()
    page.locator("a[href*='/show/']").first.click()
    page.wait_for_selector("#btn-accept")
    click_and_wait(page, "#btn-accept")
    click_and_wait(page, "#btn-approve")
    assert page.locator("#review-state").inner_text().strip() == "审核通过"
    click_and_wait(page, "#btn-open-scores")
    assert page.locator("#btn-pull").count() == 0
    click_and_wait(page, "#btn-generate")
    page.wait_for_selector("#job-status")
    page.wait_for_function("document.getElementById('job-status').textContent.indexOf('已完成') >= 0")
    if page.locator("#btn-pull").count() == 0:  # a real worker: the page reloads itself when the job is done
        page.wait_for_selector("#btn-pull")
    click_and_wait(page, "#btn-pull")
    assert "已拉取证书 2 张" in page.content()
    numbers = page.locator("#certificate-table .cert-number").all_inner_texts()
    assert len(numbers) == 2
    number = numbers[0].strip()
    assert "证书已生成未推送" in page.locator("#certificate-table").inner_text()

    # anonymous: 证书查询 from the login page.
    page.context.clear_cookies()
    page.goto(base_url + "/login/")
    click_and_wait(page, "#link-cert-query")
    page.fill("#number", number)
    # the first certificate belongs to the first 合格 candidate in enrollment order (the 1st roster row)
    page.fill("#name", first_name)
    click_and_wait(page, "#btn-query")
    result = page.locator("#cert-result-1").inner_text()
    assert number in result and first_name in result and first_id not in result
    assert first_id[:6] + "********" + first_id[-4:] in result
    page.fill("#name", "查无此人")
    click_and_wait(page, "#btn-query")
    assert page.locator("#query-message").inner_text().strip() == "未查询到证书"
    assert not page.external_requests and not page.js_errors
