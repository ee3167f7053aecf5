"""企业注册 over HTTP: the public form, its Chinese messages next to the fields, CSRF, and nothing stored on bad input."""
import io
import re

import pytest

from app.extensions import db
from app.models import Enterprise
from app.models.user import AppUser
from tests.services.test_enterprises import (
    PDF, PNG, bad_checksum, enterprise_data, new_uscc, set_upload_limit, store_snapshot,
)

REGISTER = "/public/register"


class Anonymous:
    """A browser without a login, each request in its own app context (as on a real server)."""

    def __init__(self, app):
        self.app, self.client = app, app.test_client()

    def get(self, *args, **kwargs):
        with self.app.app_context():
            return self.client.get(*args, **kwargs)

    def post(self, *args, **kwargs):
        with self.app.app_context():
            return self.client.post(*args, **kwargs)


@pytest.fixture
def anonymous(app, personas):
    return Anonymous(app)


def form(**changes):
    """A complete registration as the browser posts it (files as (stream, name))."""
    values = {"username": "hz_new_ent", "password": "Qiye2026a", "confirm_password": "Qiye2026a", **enterprise_data()}
    values.update({"commitment_file": (io.BytesIO(PDF), "企业承诺书.pdf"), "license_file": (io.BytesIO(PDF), "营业执照.pdf"),
                   "qualification_file": (io.BytesIO(PNG), "企业资质证书.png")})
    values.update(changes)
    return {k: v for k, v in values.items() if v is not None}


def post(client, data, **kwargs):
    return client.post(REGISTER, data=data, content_type="multipart/form-data", **kwargs)


def field_errors(page):
    return dict(re.findall(r'class="help-block text-danger field-error" data-field="(\w+)">([^<]*)<', page))


def input_value(page, name):
    found = re.search(r'<input[^>]*name="%s"[^>]*>' % name, page)
    value = re.search(r'value="([^"]*)"', found.group(0)) if found else None
    return value.group(1) if value else None


def test_login_page_links_to_the_registration_page(anonymous):
    login = anonymous.get("/login/").text
    assert 'href="/public/register"' in login and "企业注册" in login


def test_registration_page_offers_counties_grouped_by_city_and_the_three_documents(anonymous):
    page = anonymous.get(REGISTER).text
    assert "企业注册" in page and 'enctype="multipart/form-data"' in page
    hangzhou = re.search(r'<optgroup label="杭州市">(.*?)</optgroup>', page, re.S).group(1)
    assert '<option value="330106">西湖区</option>' in hangzhou and "330203" not in hangzhou
    assert page.count("<optgroup") == 11 and 'value="330100"' not in page  # cities are groups, not choices
    for label in ("企业承诺书", "营业执照", "企业资质证书", "统一社会信用代码", "法定代表人", "资质证书编号", "施工总承包"):
        assert label in page
    assert page.count('accept=".pdf,.jpg,.jpeg,.png') == 3


def test_registration_creates_the_enterprise_and_tells_who_reviews_it(anonymous, personas, app):
    response = post(anonymous, form(name="杭州西湖新建设有限公司"))
    assert response.status_code == 302 and response.headers["Location"].endswith("/public/registered")
    done = anonymous.get("/public/registered").text
    assert "注册成功" in done and "杭州西湖新建设有限公司" in done and "hz_new_ent" in done
    assert "审核部门：西湖区住房和城乡建设局" in done
    assert anonymous.get("/public/registered").status_code == 302  # shown once
    enterprise = db.session.query(Enterprise).filter_by(name="杭州西湖新建设有限公司").one()
    assert enterprise.review_state == "submitted"
    # The new account logs in as 企业 and sees its state.
    client = app.test_client()
    with app.app_context():
        assert client.post("/login/", data={"account_type": "enterprise", "username": "hz_new_ent",
                                            "password": "Qiye2026a"}).status_code == 302
        home = client.get("/").text
    assert "企业资质审核状态" in home and "未受理" in home


BAD = {
    "uscc_checksum": (lambda p: {"uscc": bad_checksum(new_uscc())}, "uscc", "统一社会信用代码校验位错误"),
    "uscc_taken": (lambda p: {"uscc": p.ent_a.uscc}, "uscc", "已注册"),
    "bad_mobile": (lambda p: {"contact_mobile": "12345"}, "contact_mobile", "手机号格式不正确"),
    "password_policy": (lambda p: {"password": "short1", "confirm_password": "short1"}, "password",
                        "密码至少8位，不含空格，须包含大写字母、小写字母、数字、符号中的至少三类"),
    "passwords_differ": (lambda p: {"confirm_password": "Qiye2026b"}, "confirm_password", "两次输入的密码不一致"),
    "username_taken": (lambda p: {"username": p.ent_b_user.username}, "username", "已存在"),
    "missing_file": (lambda p: {"license_file": None}, "license_file", "请上传营业执照"),
    "renamed_exe": (lambda p: {"commitment_file": (io.BytesIO(b"MZ\x90\x00" * 64), "企业承诺书.pdf")}, "commitment_file",
                    "不是有效的PDF、JPG或PNG文件"),
    "empty_file": (lambda p: {"qualification_file": (io.BytesIO(b""), "企业资质证书.png")}, "qualification_file",
                   "是空文件"),
    "no_region": (lambda p: {"region_code": ""}, "region_code", "请选择所属地区"),
    "forged_region": (lambda p: {"region_code": "330100"}, "region_code", "请选择企业所在的区县"),
    "disabled_category": (lambda p: {"qualification_category": "nope"}, "qualification_category", "不存在或已停用"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_input_shows_a_chinese_message_next_to_the_field_keeps_the_typing_and_stores_nothing(
        anonymous, personas, case):
    make, field, message = BAD[case]
    typed = form(name="杭州输入保留测试有限公司", address="文一西路99号", **make(personas))
    before = store_snapshot()
    response = post(anonymous, typed)
    assert response.status_code == 200
    page = response.text
    errors = field_errors(page)
    assert field in errors and message in errors[field], errors
    assert "注册信息有误" in page
    assert store_snapshot() == before
    # What the user typed is still there, except passwords and files.
    assert input_value(page, "name") == "杭州输入保留测试有限公司" and input_value(page, "address") == "文一西路99号"
    assert input_value(page, "password") in ("", None) and "Qiye2026a" not in page
    if field != "region_code":
        assert '<option selected value="330106">' in page or '<option value="330106" selected>' in page


def test_file_over_the_size_limit_is_refused(anonymous, personas):
    set_upload_limit(1)
    before = store_snapshot()
    page = post(anonymous, form(license_file=(io.BytesIO(PDF + b"\x00" * (1024 * 1024 + 10)), "营业执照.pdf"))).text
    assert "超过1MB" in field_errors(page)["license_file"]
    assert store_snapshot() == before


def test_every_problem_is_shown_at_once(anonymous, personas):
    page = post(anonymous, form(region_code="not-a-code", contact_mobile="1", license_file=None,
                                confirm_password="x")).text
    assert set(field_errors(page)) >= {"region_code", "contact_mobile", "license_file", "confirm_password"}


def test_csrf_stays_on_for_the_public_form(anonymous, personas, app, monkeypatch):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    before = store_snapshot()
    refused = post(anonymous, form())
    assert refused.status_code == 400 and "页面已过期或请求无效" in refused.text
    assert store_snapshot() == before
    page = anonymous.get(REGISTER).text
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    accepted = post(anonymous, form(csrf_token=token))
    assert accepted.status_code == 302
    assert db.session.query(AppUser).filter_by(username="hz_new_ent").count() == 1
