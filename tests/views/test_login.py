"""The login page as people use it: role option, refusals, lockout, 注销, rate limit, 修改密码 and account creation."""
import datetime
import json
import os
import re
import subprocess
import sys
import textwrap

import pytest
from werkzeug.security import check_password_hash

from app.extensions import db
from app.models import AuditLog, Department
from app.models.user import AppUser
from tests.factories import PASSWORD, PERSONA_USERS

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _post_login(client, username, password, account_type, **kwargs):
    return client.post("/login/", data={"account_type": account_type, "username": username, "password": password},
                       **kwargs)


def _alerts(response):
    return [re.sub(r"\s+", " ", re.sub(r"<[^>]+>|&times;", "", m)).strip()
            for m in re.findall(r'<div class="alert alert-\w+">(.*?)</div>', response.text, re.S)]


def _audit(action):
    db.session.expire_all()
    return db.session.query(AuditLog).filter_by(action=action).order_by(AuditLog.id).all()


def _user(username):
    db.session.expire_all()
    return db.session.query(AppUser).filter_by(username=username).one()


def test_login_page_offers_the_seed_options_in_chinese(app):
    response = app.test_client().get("/login/")
    assert response.status_code == 200
    options = re.findall(r'name="account_type"[^>]*value="(\w+)"> ([^<]+)</label>', response.text)
    assert options == [("department", "主管部门"), ("institution", "培训机构"), ("enterprise", "企业"),
                       ("admin", "系统管理员")]
    assert re.search(r'<input checked[^>]*value="department"', response.text)  # 主管部门 preselected, as in the seed
    for text in ("用户登录", "用户名", "密码", "登录", "企业注册", "证书查询"):
        assert text in response.text


@pytest.mark.parametrize("persona", PERSONA_USERS)
def test_each_persona_logs_in_under_its_option(app, personas, persona):
    user = getattr(personas, persona)
    client = app.test_client()
    response = _post_login(client, user.username, PASSWORD, user.account_type)
    assert response.status_code == 302
    home = client.get("/")
    assert 'id="user-menu"' in home.text and user.display_name in home.text


def test_the_wrong_option_names_the_right_one(app, personas):
    client = app.test_client()
    response = _post_login(client, "inst_a", PASSWORD, "department")
    assert response.status_code == 200
    assert _alerts(response) == ["该账号不是“主管部门”账号，请选择“培训机构”登录"]
    assert 'id="user-menu"' not in client.get("/").text
    assert 'value="inst_a"' in response.text  # the username stays filled in


def test_next_is_followed_only_when_safe(app, personas):
    response = _post_login(app.test_client(), "city", PASSWORD, "department",
                           query_string={"next": "/auditlogview/list/"})
    assert response.headers["Location"].endswith("/auditlogview/list/")
    response = _post_login(app.test_client(), "city", PASSWORD, "department",
                           query_string={"next": "https://evil.example/"})
    assert "evil" not in response.headers["Location"]


def test_wrong_password_and_unknown_user_share_one_message(app, personas):
    client = app.test_client()
    assert _alerts(_post_login(client, "city", "Wrong0pass", "department")) == ["用户名或密码错误"]
    assert _alerts(_post_login(client, "no_such_user", "Wrong0pass", "department")) == ["用户名或密码错误"]


def test_empty_fields_get_chinese_messages(app):
    response = _post_login(app.test_client(), "", "", "department")
    assert response.status_code == 200
    assert "请输入用户名" in response.text and "请输入密码" in response.text


def test_lockout_through_the_form(app, personas):
    client = app.test_client()
    limit = app.config["LOGIN_MAX_FAILURES"]
    for _ in range(limit - 1):
        assert _alerts(_post_login(client, "city", "Wrong0pass", "department")) == ["用户名或密码错误"]
    locking = _alerts(_post_login(client, "city", "Wrong0pass", "department"))
    until = _user("city").locked_until
    assert until is not None and until > datetime.datetime.now()
    # The lock is told like a wrong password (a message of its own would tell that the username exists) …
    assert locking == ["用户名或密码错误"]
    response = _post_login(client, "city", PASSWORD, "department")
    assert response.status_code == 200 and _alerts(response) == ["用户名或密码错误"]
    # … and the 操作日志 says what happened.
    expected = "登录失败次数过多，账号已锁定至%s，请届时再试" % until.strftime("%Y-%m-%d %H:%M")
    assert _audit("login_failure")[-1].detail == "登录身份：主管部门；" + expected
    assert 'id="user-menu"' not in client.get("/").text
    # other accounts are unaffected
    assert _post_login(app.test_client(), "county", PASSWORD, "department").status_code == 302


def test_a_successful_login_resets_the_failure_count(app, personas):
    client = app.test_client()
    limit = app.config["LOGIN_MAX_FAILURES"]
    for _ in range(limit - 1):
        _post_login(client, "city", "Wrong0pass", "department")
    assert _user("city").fail_login_count == limit - 1
    assert _post_login(client, "city", PASSWORD, "department").status_code == 302
    assert _user("city").fail_login_count == 0


def test_cancelled_institution_cannot_log_in(app, personas):
    personas.inst_a.status = "cancelled"
    db.session.commit()
    response = _post_login(app.test_client(), "inst_a", PASSWORD, "institution")
    assert response.status_code == 200
    assert _alerts(response) == ["所属培训机构已注销，不能登录系统"]
    assert _post_login(app.test_client(), "inst_b", PASSWORD, "institution").status_code == 302


def test_a_logged_in_user_is_logged_out_when_the_institution_is_cancelled(app, personas, login):
    client = login(personas.inst_a_user)
    other = login(personas.inst_b_user)
    assert client.get("/").status_code == 200
    personas.inst_a.status = "cancelled"
    db.session.commit()
    response = client.get("/trainingplanview/list/", follow_redirects=True)
    assert "您已退出登录：所属培训机构已注销，不能登录系统" in _alerts(response)
    assert 'id="user-menu"' not in client.get("/").text
    assert 'id="user-menu"' in other.get("/").text


def test_disabled_account_and_disabled_department_cannot_log_in(app, personas):
    personas.ent_a_user.active = False
    personas.county_dept.enabled = False
    db.session.commit()
    assert _alerts(_post_login(app.test_client(), "ent_a", PASSWORD, "enterprise")) == ["该账号已停用，请联系管理员"]
    assert _alerts(_post_login(app.test_client(), "county", PASSWORD, "department")) == [
        "所属主管部门已停用，请联系系统管理员"]


def test_a_logged_in_user_of_a_department_disabled_meanwhile_is_logged_out(app, personas, login):
    client = login(personas.county)
    personas.county_dept.enabled = False
    db.session.commit()
    response = client.get("/", follow_redirects=True)
    assert "您已退出登录：所属主管部门已停用，请联系系统管理员" in _alerts(response)
    assert 'id="user-menu"' not in response.text


def test_a_logged_in_account_disabled_meanwhile_loses_access(app, personas, login):
    client = login(personas.ent_a_user)
    personas.ent_a_user.active = False
    db.session.commit()
    home = client.get("/")
    assert 'id="user-menu"' not in home.text
    assert client.get("/changepassword/form").status_code == 302


def test_every_login_is_in_the_audit_log_with_ip_and_reason(app, personas):
    client = app.test_client()
    _post_login(client, "city", "Wrong0pass", "department", environ_base={"REMOTE_ADDR": "10.1.2.3"})
    _post_login(client, "ghost", "Wrong0pass", "department", environ_base={"REMOTE_ADDR": "10.1.2.4"})
    _post_login(client, "city", PASSWORD, "department", environ_base={"REMOTE_ADDR": "10.1.2.5"})
    failures = _audit("login_failure")
    assert [(r.username, r.ip, r.detail) for r in failures] == [
        ("city", "10.1.2.3", "登录身份：主管部门；用户名或密码错误"),
        ("ghost", "10.1.2.4", "登录身份：主管部门；用户名或密码错误"),
    ]
    success = _audit("login_success")
    assert [(r.username, r.user_id, r.ip) for r in success] == [("city", personas.city.id, "10.1.2.5")]


def test_login_rate_limit_answers_the_eleventh_post_with_a_chinese_429(app):
    """RATELIMIT_ENABLED is off in TestConfig, and Flask-Limiter wires itself at create_app: a fresh app runs it."""
    assert app.config["AUTH_RATE_LIMITED"] is True
    assert app.config["AUTH_RATE_LIMIT"] == "10 per 1 minute"
    script = textwrap.dedent("""
        import json, sys
        from app import create_app
        url, folder = sys.argv[1], sys.argv[2]
        app = create_app("test", SQLALCHEMY_DATABASE_URI=url, RATELIMIT_ENABLED=True,
                         UPLOAD_FOLDER=folder + "/uploads", EXPORT_FOLDER=folder + "/exports")
        client = app.test_client()
        data = {"account_type": "department", "username": "ghost", "password": "Wrong0pass"}
        codes = [client.post("/login/", data=data).status_code for _ in range(11)]
        breached = client.post("/login/", data=data)
        other_ip = client.post("/login/", data=data, environ_base={"REMOTE_ADDR": "10.9.9.9"})
        page = client.get("/login/")
        api = [client.post("/api/v1/security/login", environ_base={"REMOTE_ADDR": "10.8.8.8"},
                           json={"username": "ghost", "password": "x", "provider": "db"}) for _ in range(11)]
        print(json.dumps({"codes": codes, "breached": breached.status_code, "text": breached.get_data(True),
                          "other_ip": other_ip.status_code, "get": page.status_code,
                          "api": [r.status_code for r in api], "api_json": api[-1].get_json()}))
    """)
    folder = os.path.join(app.config["UPLOAD_FOLDER"], os.pardir)

    done = subprocess.run([sys.executable, "-c", script, app.config["SQLALCHEMY_DATABASE_URI"], folder],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["codes"] == [200] * 10 + [429]
    assert result["breached"] == 429
    assert "429" in result["text"] and "登录尝试过于频繁，请稍后再试" in result["text"]
    assert "Too Many Requests" not in result["text"]
    assert result["other_ip"] == 200  # the limit is per client address
    assert result["get"] == 200  # only POSTs count
    assert result["api"] == [401] * 10 + [429]  # the REST API's token login is limited alike
    assert result["api_json"] == {"message": "登录尝试过于频繁，请稍后再试"}


# --- the REST API's token login goes through the same checks ------------------------------------------

def _api_login(client, username, password, refresh=False):
    return client.post("/api/v1/security/login", json={"username": username, "password": password,
                                                       "provider": "db", "refresh": refresh})


def test_api_token_login_is_audited_and_locks_out(app, personas):
    client = app.test_client()
    response = _api_login(client, "city", PASSWORD)
    assert response.status_code == 200 and response.get_json()["access_token"]
    assert [r.detail for r in _audit("login_success")] == ["登录身份：REST接口"]
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        assert _api_login(client, "city", "Wrong0pass").status_code == 401
    assert _user("city").locked_until is not None
    assert _api_login(client, "city", PASSWORD).status_code == 401
    assert _audit("login_failure")[-1].detail.startswith("登录身份：REST接口；登录失败次数过多")
    # the web form sees the same lock (told like a wrong password; the 操作日志 says why)
    assert _alerts(_post_login(app.test_client(), "city", PASSWORD, "department")) == ["用户名或密码错误"]
    assert "账号已锁定" in _audit("login_failure")[-1].detail


def test_api_token_of_a_cancelled_institution(app, personas):
    client = app.test_client()
    tokens = _api_login(client, "inst_a", PASSWORD, refresh=True).get_json()
    refresh = {"Authorization": "Bearer %s" % tokens["refresh_token"]}
    with app.app_context():  # a request's own context: flask_jwt_extended keeps its user in `g`
        assert client.post("/api/v1/security/refresh", headers=refresh).status_code == 200
    personas.inst_a.status = "cancelled"
    db.session.commit()
    assert _api_login(client, "inst_a", PASSWORD).status_code == 401
    assert _audit("login_failure")[-1].detail == "登录身份：REST接口；所属培训机构已注销，不能登录系统"
    assert client.post("/api/v1/security/refresh", headers=refresh).status_code == 401  # tokens already out die too
    access = {"Authorization": "Bearer %s" % tokens["access_token"]}
    assert client.get("/api/v1/trainingplan/", headers=access).status_code in (401, 404)


# --- 修改密码 ---------------------------------------------------------------------------------------

def _change(client, old, new, confirm):
    return client.post("/changepassword/form", data={"old_password": old, "password": new,
                                                     "confirm_password": confirm})


def _field_error(response, field):
    """The error text rendered beside a field of FAB's edit widget."""
    match = re.search(r'id="%s".*?</tr>' % field, response.text, re.S)
    assert match, response.text
    return re.sub(r"<[^>]+>", " ", match.group(0))


def test_change_password_is_in_the_top_right_corner(personas, login):
    client = login(personas.city)
    home = client.get("/").text
    menu = home[home.index('id="user-menu"'):]
    assert re.search(r'<a id="link-change-password" href="/changepassword/form">.*?修改密码', menu, re.S)
    form = client.get("/changepassword/form")
    assert form.status_code == 200
    for text in ("修改密码", "原密码", "新密码", "确认新密码"):
        assert text in form.text


@pytest.mark.parametrize("old, new, confirm, field, message", [
    ("Wrong0pass", "NewPassw0rd", "NewPassw0rd", "old_password", "原密码不正确"),
    (PASSWORD, "short1", "short1", "password", "密码至少8位，不含空格，须包含大写字母、小写字母、数字、符号中的至少三类"),
    (PASSWORD, "onlyletters", "onlyletters", "password", "密码至少8位，不含空格，须包含大写字母、小写字母、数字、符号中的至少三类"),
    (PASSWORD, "1234567890", "1234567890", "password", "密码至少8位，不含空格，须包含大写字母、小写字母、数字、符号中的至少三类"),
    (PASSWORD, "NewPassw0rd", "NewPassw0rd9", "confirm_password", "两次输入的密码不一致"),
    ("", "NewPassw0rd", "NewPassw0rd", "old_password", "请输入原密码"),
])
def test_change_password_errors_show_beside_the_field_and_change_nothing(personas, login, old, new, confirm,
                                                                         field, message):
    client = login(personas.city)
    before = _user("city").password
    logged = len(_audit("change_password"))  # the institution managers' own 修改密码 when the personas were set up
    response = _change(client, old, new, confirm)
    assert response.status_code == 200
    assert message in _field_error(response, field)
    assert "密码已修改" not in response.text
    assert _user("city").password == before
    assert len(_audit("change_password")) == logged


def test_change_password_success_and_next_login(app, personas, login):
    client = login(personas.city)
    logged = {r.id for r in _audit("change_password")}  # the institution managers' when the personas were set up
    response = _change(client, PASSWORD, "NewPassw0rd", "NewPassw0rd")
    assert response.status_code == 302
    assert "密码已修改" in _alerts(client.get(response.headers["Location"]))
    assert check_password_hash(_user("city").password, "NewPassw0rd")
    assert [r.username for r in _audit("change_password") if r.id not in logged] == ["city"]
    client.post("/logout/")
    assert _alerts(_post_login(app.test_client(), "city", PASSWORD, "department")) == ["用户名或密码错误"]
    assert _post_login(app.test_client(), "city", "NewPassw0rd", "department").status_code == 302


def test_fab_password_views_without_the_old_password_are_closed(personas, login):
    client = login(personas.city)
    for url in ("/resetmypassword/form", "/resetpassword/form?pk=%d" % personas.county.id):
        response = client.post(url, data={"password": "Hacked123", "conf_password": "Hacked123"})
        assert response.status_code in (302, 403, 404)
    assert check_password_hash(_user("city").password, PASSWORD)
    assert check_password_hash(_user("county").password, PASSWORD)


# --- 账号管理: 系统管理员 creates 主管部门 accounts --------------------------------------------------

def _add_account(client, username, password, department_id, name="新部门审核员"):
    return client.post("/accountview/add", data={"username": username, "first_name": name,
                                                 "department": str(department_id), "password": password},
                       follow_redirects=True)


def test_admin_creates_a_department_account(app, personas, login):
    client = login(personas.admin)
    assert client.get("/accountview/add").status_code == 200
    response = _add_account(client, "xihu2", "Goodpass1", personas.county_dept.id)
    assert response.status_code == 200
    user = _user("xihu2")
    assert user.account_type == "department" and user.department_id == personas.county_dept.id
    assert [role.name for role in user.roles] == ["Department"]
    assert check_password_hash(user.password, "Goodpass1")
    assert [r.detail for r in _audit("create_user")][-1] == "xihu2（主管部门）"
    assert _post_login(app.test_client(), "xihu2", "Goodpass1", "department").status_code == 302


@pytest.mark.parametrize("username, password, message", [
    ("xihu2", "weak", "密码至少8位，不含空格，须包含大写字母、小写字母、数字、符号中的至少三类"),
    ("xihu2", "abcdefghij", "密码至少8位，不含空格，须包含大写字母、小写字母、数字、符号中的至少三类"),
    ("county", "Goodpass1", "用户名“county”已存在"),
])
def test_account_creation_refusals_leave_nothing_behind(personas, login, username, password, message):
    client = login(personas.admin)
    users = db.session.query(AppUser).count()
    audits = db.session.query(AuditLog).filter(AuditLog.action != "login_success").count()
    response = _add_account(client, username, password, personas.county_dept.id)
    assert message in _alerts(response)
    db.session.expire_all()
    assert db.session.query(AppUser).count() == users
    assert db.session.query(AuditLog).filter(AuditLog.action != "login_success").count() == audits
    # the same client goes on working, and nothing half-written turns up with its next commit
    assert _add_account(client, "xihu3", "Goodpass1", personas.county_dept.id).status_code == 200
    db.session.expire_all()
    assert db.session.query(AppUser).count() == users + 1
    assert db.session.query(AppUser).filter(AppUser.username == "xihu2").count() == 0


def test_only_the_admin_may_create_accounts(personas, login):
    client = login(personas.province)
    users = db.session.query(AppUser).count()
    response = client.post("/accountview/add", data={"username": "sneaky", "first_name": "x",
                                                     "department": str(personas.province_dept.id),
                                                     "password": "Goodpass1"})
    assert response.status_code in (302, 403)
    db.session.expire_all()
    assert db.session.query(AppUser).count() == users


def test_departments_stay_untouched_by_a_refused_account(personas, login):
    client = login(personas.admin)
    _add_account(client, "xihu2", "weak", personas.county_dept.id)
    db.session.expire_all()
    assert db.session.get(Department, personas.county_dept.id).enabled is True
