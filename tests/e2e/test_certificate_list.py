"""In a real browser: the department opens 成绩证书 → 证书, 撤销 one certificate through the reason dialog (an
empty reason is refused first), comes back to the list and sees 已撤销; the other certificate is untouched."""

from app.extensions import db
from app.models import Certificate
from app.services import certificates as certificate_service
from tests.e2e.conftest import commit_fixture_data, login_as, open_menu
from tests.services.test_certificates import approved_exam


def test_department_revokes_a_certificate_from_the_list(page, base_url, personas):
    p = personas
    exam = approved_exam(p, count=3)
    certificate_service.start_generation(exam, user=p.city)
    certificate_service.pull(exam, user=p.city)
    (first, first_number), (second, _) = [(c.id, c.number) for c in certificate_service.certificates_of(exam)]
    commit_fixture_data()

    login_as(page, base_url, p.city, "department")
    assert "/login" not in page.url, page.locator(".alert").all_inner_texts()

    # the menu 成绩证书 → 证书
    open_menu(page, "成绩证书", "证书")
    assert "/certificateview/list" in page.url
    row = page.locator("#cert-row-%d" % first)
    assert row.locator(".col-number").inner_text().strip() == first_number
    assert row.locator(".cert-status").inner_text().strip() == "证书已生成未推送"
    assert "待推送" in row.locator(".cert-push").inner_text()

    # 撤销 opens the dialog; an empty reason is refused with a Chinese message and nothing is sent.
    row.locator("a.btn-revoke").click()
    dialog = page.locator("#revoke-modal")
    dialog.wait_for(state="visible")
    assert dialog.locator("#revoke-number").inner_text().strip() == first_number
    page.click("#revoke-submit")
    assert page.locator("#revoke-reason-error").is_visible()
    assert page.locator("#revoke-reason-error").inner_text().strip() == "请填写撤销原因"
    assert "/certificateview/list" in page.url

    page.fill("#revoke-reason", "考试作弊，成绩无效")
    with page.expect_navigation():
        page.click("#revoke-submit")
    assert "/certificateview/list" in page.url
    assert "证书已撤销" in " ".join(page.locator(".alert").all_inner_texts())
    row = page.locator("#cert-row-%d" % first)
    assert row.locator(".cert-status").inner_text().strip() == "已撤销"
    assert row.locator("a.btn-revoke").count() == 0
    other = page.locator("#cert-row-%d" % second)
    assert other.locator(".cert-status").inner_text().strip() == "证书已生成未推送"
    assert other.locator("a.btn-revoke").count() == 1

    db.session.expire_all()
    revoked = db.session.get(Certificate, first)
    assert revoked.revoked and revoked.revoke_reason == "考试作弊，成绩无效"
    assert not db.session.get(Certificate, second).revoked
    assert page.js_errors == [] and page.external_requests == []
