"""In a real browser: an enterprise registers with its three files, the county department rejects it with an
opinion, the enterprise sees the opinion, corrects and resubmits, and the department approves it."""
import re

from app.demo import demo_pdf, demo_png
from app.validators import uscc_check_char
from tests.e2e.conftest import commit_fixture_data, login_as, logout
from tests.services.test_enterprises import bad_checksum

USCC = "91330106MA2B3C4D5" + uscc_check_char("91330106MA2B3C4D5")
OPINION = "营业执照上的企业名称与填报名称不一致，请更正后重新上传"


def _files(tmp_path):
    paths = {}
    for field, name, data in (
        ("commitment_file", "企业承诺书.pdf", demo_pdf("企业承诺书", ["本企业承诺所填信息真实有效"])),
        ("license_file", "营业执照.pdf", demo_pdf("营业执照", ["名称：杭州浏览器建设有限公司"])),
        ("qualification_file", "企业资质证书.png", demo_png("企业资质证书", ["施工总承包 二级"])),
        ("corrected_license", "营业执照（更正）.png", demo_png("营业执照（更正）", ["名称：杭州浏览器建设集团有限公司"])),
    ):
        path = tmp_path / name
        path.write_bytes(data)
        paths[field] = str(path)
    return paths


def _open_pending(page, base_url, name):
    """企业资质审核 → 未审核, then the row's detail page."""
    page.goto(base_url + "/enterprisereview/pending/list/")
    row = page.locator("table tr", has_text=name)
    assert row.count() == 1, page.content()
    with page.expect_navigation():
        row.locator("a[href*='/show/']").first.click()


def test_register_reject_correct_resubmit_approve(page, base_url, personas, tmp_path):
    files = _files(tmp_path)
    commit_fixture_data()

    # 1. 企业注册 from the login page.
    page.goto(base_url + "/login/")
    with page.expect_navigation():
        page.click("#link-register")
    page.fill("#username", "browser_ent")
    page.fill("#password", "Browser2026")
    page.fill("#confirm_password", "Browser2026")
    page.fill("#name", "杭州浏览器建设有限公司")
    page.fill("#uscc", bad_checksum(USCC))  # a wrong check character first
    assert page.locator("#region_code optgroup[label='杭州市'] option[value='330106']").count() == 1
    page.select_option("#region_code", "330106")
    page.fill("#address", "杭州市西湖区文三路100号")
    page.fill("#legal_representative", "王建设")
    page.fill("#contact_person", "陈联系")
    page.fill("#contact_mobile", "13957100001")
    page.select_option("#qualification_category", "general")
    page.fill("#qualification_grade", "二级")
    page.fill("#qualification_cert_no", "D233061234")
    for field in ("commitment_file", "license_file", "qualification_file"):
        page.set_input_files("#" + field, files[field])
    with page.expect_navigation():
        page.click("#register-submit")
    error = page.locator(".field-error[data-field=uscc]")
    assert "校验位错误" in error.inner_text()
    assert page.input_value("#name") == "杭州浏览器建设有限公司"  # kept; passwords and files are re-entered
    page.fill("#uscc", USCC)
    page.fill("#password", "Browser2026")
    page.fill("#confirm_password", "Browser2026")
    for field in ("commitment_file", "license_file", "qualification_file"):
        page.set_input_files("#" + field, files[field])
    with page.expect_navigation():
        page.click("#register-submit")
    assert "注册成功" in page.content() and "西湖区住房和城乡建设局" in page.content()

    # 2. The county department opens the documents and rejects with an opinion.
    login_as(page, base_url, personas.county, "department")
    _open_pending(page, base_url, "杭州浏览器建设有限公司")
    links = page.locator("a.document-link")
    assert links.count() == 3
    assert [t.strip() for t in links.all_inner_texts()] == ["企业承诺书.pdf", "营业执照.pdf", "企业资质证书.png"]
    for index in range(3):
        href = links.nth(index).get_attribute("href")
        response = page.request.get(base_url + href)
        assert response.ok and response.headers["content-type"] in ("application/pdf", "image/png")
        assert response.headers["content-disposition"].startswith("inline")
    with page.context.expect_page() as opened:
        links.nth(2).click()  # the PNG opens in a new tab, in the browser
    tab = opened.value
    tab.wait_for_load_state()
    assert re.search(r"/files/\d+$", tab.url)
    tab.close()
    page.fill("#opinion", OPINION)
    with page.expect_navigation():
        page.click("#btn-reject")
    assert page.locator("#review-state").inner_text() == "审核不通过"
    logout(page, base_url)

    # 3. The enterprise logs in, sees the opinion, corrects and resubmits.
    login_as(page, base_url, "browser_ent", "enterprise", password="Browser2026")
    assert OPINION in page.locator("#enterprise-state").inner_text()
    page.goto(base_url + "/myenterpriseview/list/")  # 企业信息 (redirects to the enterprise's own page)
    assert "企业资质尚未审核通过，不能报名" in page.locator("#enterprise-approval-banner").inner_text()
    with page.expect_navigation():
        page.click("#btn-edit-enterprise")
    assert OPINION in page.locator("#rejection-opinion").inner_text()
    page.fill("#name", "杭州浏览器建设集团有限公司")
    page.set_input_files("#license_file", files["corrected_license"])
    with page.expect_navigation():
        page.click("#btn-save-submit")
    assert "企业资料已保存并重新上报" in page.content()
    assert page.locator("#review-state").inner_text() == "未受理"
    assert "营业执照（更正）.png" in page.locator("#documents-panel").inner_text()
    logout(page, base_url)

    # 4. The department approves; the history shows who and when.
    login_as(page, base_url, personas.county, "department")
    _open_pending(page, base_url, "杭州浏览器建设集团有限公司")
    assert "营业执照（更正）.png" in page.locator("#documents-panel").inner_text()
    page.fill("#opinion", "材料齐全，同意")
    with page.expect_navigation():
        page.click("#btn-approve")
    assert page.locator("#review-state").inner_text() == "审核通过"
    with page.expect_navigation():
        page.click("#btn-records")
    records = page.locator("#review-records").inner_text()
    for text in ("上报", "审核不通过", OPINION, "审核通过", personas.county.first_name):
        assert text in records
    logout(page, base_url)

    # 5. The enterprise is approved: no banner any more.
    login_as(page, base_url, "browser_ent", "enterprise", password="Browser2026")
    assert "审核通过" in page.locator("#enterprise-state").inner_text()
    page.goto(base_url + "/myenterpriseview/list/")
    assert page.locator("#enterprise-approval-banner").count() == 0

    assert page.external_requests == [], page.external_requests
    assert page.js_errors == []
