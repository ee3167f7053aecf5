"""In a real browser: the institution 上报s two exam plans at once from its list; the department 受理s them
in bulk, then 审核不通过 both with one opinion (an empty opinion is refused first) and finds them 审核不通过
with the opinion; the institution reads the opinion in its list."""
import re

from app.services import exams
from tests.e2e.conftest import switch_user
from tests.exam_helpers import exam_data, trained_plan

OWN = "/examplanview"
PENDING = "/examplanreview/pending"
REVIEWED = "/examplanreview/reviewed"
OPINION = "考场数量不足，请增加考场后再次上报"


def _tick(page, pks):
    for pk in pks:
        page.check('input.action_check[value="%d"]' % pk)


def _open_action(page, action):
    """Open the 操作 drop-down of the list and click one of its actions."""
    item = page.locator("a.%s_menu_item" % action)
    item.locator("xpath=ancestor::div[contains(@class, 'btn-group')][1]/button").click()
    item.click()


def _list_action(page, pks, action, flashed):
    """Tick the rows, run a confirmed FAB action from the 操作 drop-down, wait for its message."""
    _tick(page, pks)
    _open_action(page, action)
    page.click("#modal-confirm-ok")
    page.locator(".alert", has_text=flashed).first.wait_for()


def _row_text(page, pk):
    return page.locator("#exam-row-%d" % pk).inner_text()


def test_bulk_submit_then_bulk_reject_with_one_opinion(page, base_url, personas):
    p = personas
    pks, names = [], []
    for n, workers in ((1, ["张一", "张二"]), (2, ["李一"])):
        plan, _people = trained_plan(p, (p.ent_a, workers))
        exam = exams.create_exam_plan(p.inst_a.id, plan.id, exam_data(p.inst_a, name="2026年第%d期批量考核" % n),
                                      user=p.inst_a_user)
        pks.append(exam.id)
        names.append(exam.name)

    # 培训机构: both 未上报 in the list; tick both → 操作 → 上报.
    switch_user(page, base_url, p.inst_a_user, "institution")
    page.goto(base_url + OWN + "/list/")
    for pk in pks:
        assert "未上报" in _row_text(page, pk)
    _list_action(page, pks, "bulk_submit", "已上报 2 条记录")
    for pk in pks:
        assert "未受理" in _row_text(page, pk)

    # 主管部门: 未审核 → bulk 受理, then bulk 审核不通过 with one opinion.
    switch_user(page, base_url, p.city, "department")
    page.goto(base_url + PENDING + "/list/")
    _list_action(page, pks, "bulk_accept", "已受理 2 条记录")
    for pk in pks:
        assert "已受理" in _row_text(page, pk)
    _tick(page, pks)
    with page.expect_navigation():
        _open_action(page, "bulk_reject")
    page.locator("#bulk-reject-form").wait_for()
    assert "批量审核不通过" in page.locator(".panel-title").inner_text()
    listed = page.locator("#bulk-reject-items").inner_text()
    assert all(name in listed for name in names)
    with page.expect_navigation():
        page.click("#btn-bulk-reject")  # no opinion yet
    assert "审核不通过时必须填写审核意见" in page.locator("#opinion-error").inner_text()
    page.fill("#opinion", OPINION)
    with page.expect_navigation():
        page.click("#btn-bulk-reject")
    page.locator(".alert", has_text="已审核不通过 2 条记录").first.wait_for()

    page.goto(base_url + REVIEWED + "/list/")
    for pk in pks:
        row = _row_text(page, pk)
        assert "审核不通过" in row and OPINION in row, row
    page.goto(base_url + REVIEWED + "/show/%d" % pks[0])
    assert page.locator("#review-state").inner_text().strip() == "审核不通过"
    assert page.locator("#review-opinion").inner_text().strip() == OPINION

    # 培训机构: the opinion shows in its list, the rows may be edited again (not deleted: they have a history).
    switch_user(page, base_url, p.inst_a_user, "institution")
    page.goto(base_url + OWN + "/list/")
    for pk in pks:
        row = page.locator("#exam-row-%d" % pk)
        assert OPINION in row.locator(".exam-opinion").inner_text()
        assert row.locator('a[href*="/edit/%d"]' % pk).count() == 1
        assert not re.search(r"/delete/%d\b" % pk, row.inner_html())

    assert page.external_requests == [], page.external_requests
    assert page.js_errors == [], page.js_errors
