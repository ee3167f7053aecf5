"""In a real browser: one training plan walks the whole review, and both sides read its 审核记录.

新增 → 上报 → 撤回 → 上报 (list action) → 受理 → 审核不通过 (opinion) → 修改 → 上报 → 受理 (bulk action)
→ 审核通过, then 查看审核记录 as the department and as the institution.
"""
import datetime
import re

from tests.e2e.conftest import click_and_wait, switch_user

OWN = "/trainingplanview"
PENDING = "/trainingplanreview/pending"
PLAN_NAME = "2026年第12期钢筋工（五级）培训"
OPINION = "学时不足，请调整为不少于72学时"


def _state(page):
    return page.locator("#review-state").inner_text().strip()


def _list_action(page, pk, action, flashed):
    """Tick one row, run a FAB action from the 操作 drop-down (confirming the dialog), wait for its message."""
    page.check('input.action_check[value="%d"]' % pk)
    item = page.locator("a.%s_menu_item" % action)
    item.locator("xpath=ancestor::div[contains(@class, 'btn-group')][1]/button").click()
    item.click()
    page.click("#modal-confirm-ok")
    page.locator(".alert", has_text=flashed).first.wait_for()


def _records_table(page):
    rows = page.locator("#review-records tbody tr")
    return [[cell.strip() for cell in rows.nth(i).locator("td").all_inner_texts()] for i in range(rows.count())]


def test_plan_walks_through_review_and_both_sides_read_the_records(page, base_url, personas):
    p = personas
    today = datetime.date.today()

    # 培训机构: 新增 the plan.
    switch_user(page, base_url, p.inst_a_user, "institution")
    page.goto(base_url + OWN + "/list/")
    assert "培训计划" in page.content()
    page.goto(base_url + OWN + "/add")
    page.fill("#name", PLAN_NAME)
    page.select_option("#trade_code", "020")
    page.select_option("#skill_level", "5")
    page.select_option("#training_type", "initial")
    page.fill("#capacity", "40")
    page.fill("#fee", "1200")
    page.fill("#hours", "64")
    for field, offset in (("enroll_start", 0), ("enroll_end", 10), ("train_start", 11), ("train_end", 30)):
        value = (today + datetime.timedelta(days=offset)).isoformat()
        page.locator("#" + field).press_sequentially(value)
        page.locator("#name").click()  # closes the date picker
        assert page.input_value("#" + field) == value
    page.fill("#location", "杭州市西湖区文三路100号实训基地")
    page.fill("#contact_person", "张老师")
    page.fill("#contact_phone", "0571-88110001")
    click_and_wait(page, "#model_form button[type=submit]")
    match = re.search(r"%s/show/(\d+)" % OWN, page.url)
    assert match, (page.url, page.locator(".alert").all_inner_texts())
    pk = int(match.group(1))
    assert _state(page) == "未上报"

    # 上报, then 撤回 (still 未受理), then 上报 again from the list.
    click_and_wait(page, "#btn-submit")
    assert _state(page) == "未受理"
    click_and_wait(page, "#btn-withdraw")
    assert _state(page) == "未上报"
    page.goto(base_url + OWN + "/list/")
    _list_action(page, pk, "bulk_submit", "已上报 1 条记录")

    # 主管部门 (the city that set the institution up): 未审核 → 受理 → 审核不通过 with an opinion.
    switch_user(page, base_url, p.city, "department")
    page.goto(base_url + PENDING + "/list/")
    row = page.locator("#plan-row-%d" % pk)
    assert PLAN_NAME in row.inner_text() and "未受理" in row.inner_text()
    with page.expect_navigation():
        row.locator('a[href*="/show/%d"]' % pk).first.click()
    click_and_wait(page, "#btn-accept")
    assert _state(page) == "已受理"
    page.fill("#opinion", OPINION)
    click_and_wait(page, "#btn-reject")
    assert _state(page) == "审核不通过"

    # 培训机构: the opinion shows in the list and on the plan; 修改 and 上报 again.
    switch_user(page, base_url, p.inst_a_user, "institution")
    page.goto(base_url + OWN + "/list/")
    assert OPINION in page.locator("#plan-row-%d .plan-opinion" % pk).inner_text()
    page.goto(base_url + OWN + "/show/%d" % pk)
    assert OPINION in page.locator("#plan-rejected").inner_text()
    click_and_wait(page, "#btn-edit-plan")
    page.fill("#hours", "72")
    click_and_wait(page, "#model_form button[type=submit]")
    assert "%s/show/%d" % (OWN, pk) in page.url
    assert "72" in page.locator("table").first.inner_text()
    click_and_wait(page, "#btn-submit")
    assert _state(page) == "未受理"
    assert page.locator("#plan-rejected").count() == 0  # the old opinion is gone once reported again

    # 主管部门: bulk 受理 from the 未审核 list, then 审核通过 on the plan.
    switch_user(page, base_url, p.city, "department")
    page.goto(base_url + PENDING + "/list/")
    _list_action(page, pk, "bulk_accept", "已受理 1 条记录")
    page.goto(base_url + PENDING + "/show/%d" % pk)
    assert _state(page) == "已受理"
    click_and_wait(page, "#btn-approve")
    assert _state(page) == "审核通过"
    assert "报名中" in page.locator("#plan-progress").inner_text()

    expected = ["上报", "撤回", "上报", "受理", "审核不通过", "上报", "受理", "审核通过"]
    for who, account_type in ((p.city, "department"), (p.inst_a_user, "institution")):
        if who is not p.city:
            switch_user(page, base_url, who, account_type)
            page.goto(base_url + OWN + "/show/%d" % pk)
            assert _state(page) == "审核通过" and page.locator("#btn-edit-plan").count() == 0
        click_and_wait(page, "#btn-records")
        assert "查看审核记录" in page.content()
        summary = page.locator("#review-summary").inner_text()
        for label in ("上报时间", "受理时间", "审核时间", "审核人"):
            assert re.search(r"%s\s*\n?\s*\S" % label, summary), (label, summary)
        assert today.isoformat() in summary and p.city.first_name in summary
        rows = _records_table(page)
        assert [row[1] for row in rows] == expected
        assert rows[4][6] == OPINION and rows[4][5] == p.city.first_name
        assert rows[0][5] == p.inst_a_user.first_name
        assert all(re.fullmatch(r"(\d+天)?(\d+小时)?\d+分", row[7]) for row in rows[:-1])
        assert rows[-1][7] == "至今"

    assert page.external_requests == [], page.external_requests
    assert page.js_errors == [], page.js_errors
