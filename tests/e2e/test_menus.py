"""In a real browser: each role logs in through the login form and sees its own Chinese top menu."""
import pytest

from tests.e2e.conftest import login_as, top_menu

DEPARTMENT_MENUS = ["企业资质审核", "培训计划", "考核计划", "成绩证书", "报名人员"]

# persona attribute, login option, role label in the user menu, menus it must see, menus it must not see
ROLES = [
    ("admin", "admin", "系统管理员", ["系统管理"], []),
    ("province", "department", "主管部门", DEPARTMENT_MENUS, ["系统管理"]),
    ("city", "department", "主管部门", DEPARTMENT_MENUS, ["系统管理"]),
    ("county", "department", "主管部门", DEPARTMENT_MENUS, ["系统管理"]),
    ("inst_a_user", "institution", "培训机构", ["培训计划", "考核计划"], ["企业资质审核", "系统管理"]),
    ("ent_a_user", "enterprise", "企业", ["企业信息"], ["培训机构", "系统管理", "企业资质审核"]),
]


@pytest.mark.parametrize("persona, account_type, role_label, present, absent", ROLES, ids=[r[0] for r in ROLES])
def test_each_role_sees_its_chinese_menu(page, base_url, personas, persona, account_type, role_label, present, absent):
    user = getattr(personas, persona)
    login_as(page, base_url, user, account_type)

    assert "/login" not in page.url, "login refused: %s" % page.locator(".alert").all_inner_texts()
    menus = top_menu(page)
    for label in present:
        assert label in menus, "%s (%s) should see 「%s」; top menu is %s" % (persona, account_type, label, menus)
    for label in absent:
        assert label not in menus, "%s (%s) must not see 「%s」; top menu is %s" % (persona, account_type, label, menus)

    user_menu = page.locator("#user-menu > a.dropdown-toggle")
    assert role_label in user_menu.inner_text()
    # 修改密码 sits in the user drop-down (seed: 首页右上角“修改”) and opens its form.
    change_password = page.locator("#user-menu #link-change-password")
    assert change_password.count() == 1
    user_menu.click()
    assert change_password.is_visible()
    assert "修改密码" in change_password.inner_text()
    with page.expect_navigation():
        change_password.click()
    assert "/changepassword" in page.url
    assert "修改密码" in page.content()

    assert page.external_requests == [], "the console must work offline; it asked for %s" % page.external_requests
    assert page.js_errors == []


def test_wrong_account_type_is_refused_in_chinese(page, base_url, personas):
    # A department account tried with the 培训机构 option.
    login_as(page, base_url, personas.province, "institution")

    assert "/login" in page.url
    assert page.locator("#login-form").count() == 1
    messages = " ".join(page.locator(".alert").all_inner_texts())
    assert "请选择" in messages, "expected a Chinese message asking to choose the right option, got %r" % messages
    assert "主管部门" in messages
    assert page.locator("#user-menu").count() == 0  # not logged in
    # The right option then works.
    login_as(page, base_url, personas.province, "department")
    assert "/login" not in page.url
    assert "企业资质审核" in top_menu(page)


@pytest.mark.parametrize("persona, account_type", [("admin", "admin"), ("province", "department"),
                                                   ("inst_a_user", "institution"), ("ent_a_user", "enterprise")])
def test_navigation_fits_at_1366x768_and_marks_the_current_page(page, base_url, personas, persona, account_type):
    page.set_viewport_size({"width": 1366, "height": 768})
    login_as(page, base_url, getattr(personas, persona), account_type)
    header = page.locator("header.top").bounding_box()
    assert header["height"] <= 60, "top bar is %dpx tall: more than one row" % header["height"]
    side = page.locator("#side-menu").bounding_box()
    assert side["x"] == 0 and side["width"] <= 220
    assert page.evaluate("document.documentElement.scrollWidth") <= 1366
    # On the home page every group is open; 首页 is the current page.
    assert page.locator("#side-menu [aria-current=page]").inner_text().strip() == "首页"
    toggles = page.locator("#side-menu .side-group-toggle")
    assert toggles.count() >= 1
    for i in range(toggles.count()):
        assert toggles.nth(i).get_attribute("aria-expanded") == "true"
    # Following an entry: it is marked current, its group stays open and the others fold away.
    entry = page.locator("#side-menu .side-group li a").last
    label = entry.inner_text().strip()
    group = entry.locator("xpath=ancestor::li[contains(@class,'side-group')]/a").inner_text().strip()
    with page.expect_navigation():
        entry.click()
    current = page.locator("#side-menu [aria-current=page]")
    assert current.count() == 1 and current.inner_text().strip() == label
    assert page.locator("#side-menu li.active").count() == 1
    open_groups = page.locator("#side-menu .side-group-toggle[aria-expanded=true]").all_inner_texts()
    assert [g.strip() for g in open_groups] == [group]
    # A folded group opens with a click (Bootstrap's collapse, served locally).
    folded = page.locator("#side-menu .side-group-toggle.collapsed")
    if folded.count():
        target = folded.first.element_handle()
        target.click()
        page.wait_for_function("el => el.getAttribute('aria-expanded') === 'true'", arg=target)
    assert page.js_errors == [] and page.external_requests == []
