"""In a real browser: a department sets up an institution with staff and a manager account, the account
logs in (and first replaces the password the department chose), the department 注销 the institution, and the
same login is refused with the Chinese message."""
from app.demo import make_uscc
from tests.e2e.conftest import alerts, login_as, logout, top_menu

MANAGER, INITIAL_PASSWORD, MANAGER_PASSWORD = "browser_mgr", "Initial2026", "Manager2026"
NAME = "西湖浏览器测试建筑培训学校"


def save(page):
    with page.expect_navigation():
        page.click("#model_form button[type=submit]")


def test_set_up_staff_account_login_then_cancel_refuses_login(page, base_url, personas, tmp_path):
    # 培训机构新增: the rule hint, counties of 杭州 only, the 营业执照 upload
    login_as(page, base_url, personas.city, "department")
    assert "培训机构" in top_menu(page)
    page.goto(base_url + "/institutionview/add")
    assert "33 + 城市序号(01–11) + 3位流水号，全省唯一" in page.locator("#code-rule-hint").inner_text()
    regions = page.locator("#region_code option").evaluate_all("options => options.map(o => o.value)")
    assert "330106" in regions and "330203" not in regions
    page.fill("#name", NAME)
    page.fill("#uscc", make_uscc(8880001))
    page.select_option("#institution_type", "social_exam")
    page.select_option("#region_code", "330106")
    page.fill("#address", "杭州市西湖区学院路88号")
    page.fill("#contact_person", "陈老师")
    page.fill("#contact_phone", "0571-88001122")
    licence = tmp_path / "营业执照.pdf"
    licence.write_bytes(b"%PDF-1.4 browser test licence")
    page.set_input_files("#license_file", str(licence))
    save(page)
    assert "/institutionview/show/" in page.url, alerts(page)
    assert "机构代码 3301002" in alerts(page)
    assert page.locator("#staffing-verdict").inner_text() == "不符合规定"
    assert "安全生产知识培训师资不少于2人，现有0人" in page.locator("#staffing-gaps").inner_text()
    assert page.locator("#license-link").inner_text().strip() == "营业执照.pdf"

    # 师资及考评员: a theory teacher without 工种 is refused next to the field, then a safety teacher is added
    with page.expect_navigation():
        page.click("#btn-add-staff")
    page.fill("#name", "浏览器教师")
    page.fill("#id_number", "330106198001011235")
    page.fill("#mobile", "13900001111")
    page.select_option("#category", "theory")
    save(page)
    assert "职业理论知识培训师资须选择工种" in page.content()
    page.select_option("#category", "safety")
    save(page)
    assert "/institutionview/show/" in page.url, alerts(page)
    assert "浏览器教师" in page.locator("#staff-table").inner_text()
    assert "安全生产知识培训师资不少于2人，现有1人" in page.locator("#staffing-gaps").inner_text()
    show_url = page.url

    # 管理人员账号
    with page.expect_navigation():
        page.click("#btn-add-account")
    page.fill("#username", MANAGER)
    page.fill("#first_name", "浏览器管理员")
    page.fill("#password", INITIAL_PASSWORD)
    page.fill("#confirm_password", INITIAL_PASSWORD)
    save(page)
    assert MANAGER in page.locator("#accounts-table").inner_text(), alerts(page)
    logout(page, base_url)

    # the account logs in, is sent to 修改密码 (someone else chose its password), then sees its own institution
    login_as(page, base_url, MANAGER, "institution", password=INITIAL_PASSWORD)
    assert "/changepassword/form" in page.url, alerts(page)
    assert "首次登录或密码被重置后，须先修改密码" in alerts(page)
    page.goto(base_url + "/myinstitutionview/list/")
    assert "/changepassword/form" in page.url
    page.fill("#old_password", INITIAL_PASSWORD)
    page.fill("#password", MANAGER_PASSWORD)
    page.fill("#confirm_password", MANAGER_PASSWORD)
    save(page)
    assert "密码已修改" in alerts(page)
    page.goto(base_url + "/myinstitutionview/list/")
    assert NAME in page.content() and "3301002" in page.content()
    logout(page, base_url)

    # 注销 with a reason
    login_as(page, base_url, personas.city, "department")
    page.goto(show_url)
    page.fill("#reason", "考核过程中存在违规行为")
    page.once("dialog", lambda dialog: dialog.accept())
    with page.expect_navigation():
        page.click("#btn-cancel-institution")
    assert page.locator("#institution-status").inner_text() == "已注销"
    assert "考核过程中存在违规行为" in page.locator("#cancel-reason").inner_text()
    logout(page, base_url)

    # the login is refused with the Chinese message
    login_as(page, base_url, MANAGER, "institution", password=MANAGER_PASSWORD)
    assert "/login" in page.url
    assert "所属培训机构已注销，不能登录系统" in alerts(page)
    assert page.locator("#user-menu").count() == 0

    assert page.external_requests == [], page.external_requests
    assert page.js_errors == [], page.js_errors
