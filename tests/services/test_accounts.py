"""accounts: login with the role option, lockout, refusals, 修改密码 and account creation, with their 操作日志."""
import datetime
import json

import pytest
from werkzeug.security import check_password_hash

from app.extensions import db
from app.models import AuditLog
from app.models.user import AppUser
from app.security.passwords import POLICY_TEXT, password_problem
from app.services import ServiceError, accounts
from tests.factories import PASSWORD, PERSONA_USERS

OPTION_LABELS = {"admin": "系统管理员", "department": "主管部门", "institution": "培训机构", "enterprise": "企业"}


def _refusal(username, password, account_type):
    with pytest.raises(ServiceError) as refused:
        accounts.authenticate(username, password, account_type)
    return refused.value.message


def _audit(action):
    return db.session.query(AuditLog).filter_by(action=action).order_by(AuditLog.id).all()


def _fresh(user):
    db.session.expire_all()
    return db.session.get(AppUser, user.id)


@pytest.mark.parametrize("persona", PERSONA_USERS)
def test_every_persona_logs_in_under_its_own_option_only(personas, persona):
    user = getattr(personas, persona)
    assert accounts.authenticate(user.username, PASSWORD, user.account_type).id == user.id
    for other in OPTION_LABELS:
        if other == user.account_type:
            continue
        message = _refusal(user.username, PASSWORD, other)
        assert OPTION_LABELS[user.account_type] in message and OPTION_LABELS[other] in message
        assert message == "该账号不是“%s”账号，请选择“%s”登录" % (OPTION_LABELS[other],
                                                            OPTION_LABELS[user.account_type])


def test_wrong_password_and_unknown_user_get_the_same_message(personas):
    assert _refusal("city", "Wrong0pass", "department") == "用户名或密码错误"
    assert _refusal("nobody", "Wrong0pass", "department") == "用户名或密码错误"
    assert _refusal("city", "", "department") == "用户名或密码错误"
    assert _refusal("city", "Wrong0pass", "institution") == "用户名或密码错误"  # no hint at the type


def test_unknown_option_is_refused(personas):
    assert _refusal("city", PASSWORD, "root") == "请选择登录身份"


def test_lockout_after_the_configured_failures_and_until_when(app, personas):
    limit = app.config["LOGIN_MAX_FAILURES"]
    assert limit == 5
    for _ in range(limit - 1):
        assert _refusal("city", "Wrong0pass", "department") == "用户名或密码错误"
    assert _fresh(personas.city).locked_until is None
    before = datetime.datetime.now().replace(microsecond=0)
    # The lock is told like a wrong password: its own message would tell that the username exists.
    locking = _refusal("city", "Wrong0pass", "department")
    locked_until = _fresh(personas.city).locked_until
    minutes = app.config["LOGIN_LOCK_MINUTES"]
    assert before + datetime.timedelta(minutes=minutes) <= locked_until
    assert locked_until <= before + datetime.timedelta(minutes=minutes, seconds=5)
    assert locking == "用户名或密码错误"
    assert _refusal("city", PASSWORD, "department") == "用户名或密码错误"  # the right password is refused while locked
    assert _refusal("city", "Wrong0pass", "department") == "用户名或密码错误"
    expected = "登录失败次数过多，账号已锁定至%s，请届时再试" % locked_until.strftime("%Y-%m-%d %H:%M")
    assert [r.detail for r in _audit("login_failure")[-3:]] == ["登录身份：主管部门；" + expected] * 3
    assert _fresh(personas.city).locked_until == locked_until  # failures while locked do not extend it
    # the lock expires on its own
    user = _fresh(personas.city)
    user.locked_until = datetime.datetime.now() - datetime.timedelta(seconds=1)
    db.session.commit()
    assert accounts.authenticate("city", PASSWORD, "department").id == personas.city.id
    assert _fresh(personas.city).locked_until is None


def test_lockout_follows_the_config(app, personas, monkeypatch):
    monkeypatch.setitem(app.config, "LOGIN_MAX_FAILURES", 2)
    monkeypatch.setitem(app.config, "LOGIN_LOCK_MINUTES", 1)
    _refusal("county", "Wrong0pass", "department")
    _refusal("county", "Wrong0pass", "department")
    locked_until = _fresh(personas.county).locked_until
    assert locked_until is not None
    assert locked_until - datetime.datetime.now() <= datetime.timedelta(minutes=1, seconds=1)
    assert _refusal("county", PASSWORD, "department") == "用户名或密码错误"
    assert "账号已锁定" in _audit("login_failure")[-1].detail


def test_a_successful_login_resets_the_counter(app, personas):
    limit = app.config["LOGIN_MAX_FAILURES"]
    for _ in range(limit - 1):
        _refusal("city", "Wrong0pass", "department")
    accounts.authenticate("city", PASSWORD, "department")
    assert _fresh(personas.city).fail_login_count == 0
    for _ in range(limit - 1):
        _refusal("city", "Wrong0pass", "department")
    assert accounts.authenticate("city", PASSWORD, "department").id == personas.city.id


def test_cancelled_institution_disabled_account_and_disabled_department_cannot_log_in(personas):
    personas.inst_a.status = "cancelled"
    db.session.commit()
    assert _refusal("inst_a", PASSWORD, "institution") == "所属培训机构已注销，不能登录系统"
    assert accounts.authenticate("inst_b", PASSWORD, "institution").id == personas.inst_b_user.id
    assert accounts.login_refusal(_fresh(personas.inst_a_user)) == "所属培训机构已注销，不能登录系统"
    assert accounts.login_refusal(_fresh(personas.inst_b_user)) is None

    personas.ent_a_user.active = False
    db.session.commit()
    assert _refusal("ent_a", PASSWORD, "enterprise") == "该账号已停用，请联系管理员"

    personas.county_dept.enabled = False
    db.session.commit()
    assert _refusal("county", PASSWORD, "department") == "所属主管部门已停用，请联系系统管理员"
    assert accounts.authenticate("city", PASSWORD, "department").id == personas.city.id


def test_refusals_for_an_invalid_account_do_not_reveal_it_to_a_wrong_password(personas):
    personas.inst_a.status = "cancelled"
    db.session.commit()
    assert _refusal("inst_a", "Wrong0pass", "institution") == "用户名或密码错误"


def test_every_login_is_in_the_audit_log(personas):
    accounts.authenticate("city", PASSWORD, "department")
    _refusal("city", "Wrong0pass", "department")
    _refusal("ghost", "Wrong0pass", "department")
    _refusal("city", PASSWORD, "enterprise")
    success = _audit("login_success")
    assert [(row.username, row.user_id, row.detail) for row in success] == [
        ("city", personas.city.id, "登录身份：主管部门")]
    failures = _audit("login_failure")
    assert [(row.username, row.detail) for row in failures] == [
        ("city", "登录身份：主管部门；用户名或密码错误"),
        ("ghost", "登录身份：主管部门；用户名或密码错误"),
        ("city", "登录身份：企业；该账号不是“企业”账号，请选择“主管部门”登录"),
    ]
    assert failures[1].user_id is None


def test_login_updates_counters(personas):
    accounts.authenticate("city", PASSWORD, "department")
    user = _fresh(personas.city)
    assert user.login_count == 1 and user.last_login is not None


RUN_TEXT = "密码不能包含4个及以上连续或相同的字符（如abcd、1234、aaaa）"


@pytest.mark.parametrize("password, problem", [
    ("Passw0rd", None), ("Build2026", None), ("pass#w0rd", None), ("PASS-W0RD", None), ("中文密码Abc135", None),
    ("abcdefg1", POLICY_TEXT), ("12345678a", POLICY_TEXT), ("        1a", POLICY_TEXT), ("Pass w0rd9", POLICY_TEXT),
    ("Passw0rd\t", POLICY_TEXT), ("abcdefgh", POLICY_TEXT), ("12345678", POLICY_TEXT), ("Ab1", POLICY_TEXT),
    ("", POLICY_TEXT), (None, POLICY_TEXT),
    ("Abcdefg1", RUN_TEXT), ("Zx98765q", RUN_TEXT), ("Paaaasw0rd", RUN_TEXT), ("Qwert1234", RUN_TEXT),
])
def test_password_policy(password, problem):
    assert password_problem(password) == problem
    assert POLICY_TEXT == "密码至少8位，不含空格，须包含大写字母、小写字母、数字、符号中的至少三类"


def test_change_password(personas):
    user = personas.city
    logged = {row.id for row in _audit("change_password")}  # the institution managers' own, at set-up
    with pytest.raises(ServiceError) as refused:
        accounts.change_password(user, "Wrong0pass", "NewPassw0rd", "NewPassw0rd")
    assert (refused.value.message, refused.value.field) == ("原密码不正确", "old_password")
    with pytest.raises(ServiceError) as refused:
        accounts.change_password(user, PASSWORD, "short1", "short1")
    assert (refused.value.message, refused.value.field) == (POLICY_TEXT, "password")
    with pytest.raises(ServiceError) as refused:
        accounts.change_password(user, PASSWORD, "NewPassw0rd", "NewPassw0rd2")
    assert (refused.value.message, refused.value.field) == ("两次输入的密码不一致", "confirm_password")
    db.session.rollback()
    assert check_password_hash(_fresh(user).password, PASSWORD)

    accounts.change_password(_fresh(user), PASSWORD, "NewPassw0rd", "NewPassw0rd")
    assert check_password_hash(_fresh(user).password, "NewPassw0rd")
    assert _fresh(user).password_changed_at is not None
    assert [row.username for row in _audit("change_password") if row.id not in logged] == ["city"]
    assert accounts.authenticate("city", "NewPassw0rd", "department").id == user.id
    assert _refusal("city", PASSWORD, "department") == "用户名或密码错误"


def test_create_user_checks_name_and_policy_and_leaves_nothing_behind(personas):
    count = db.session.query(AppUser).count()
    for username, password, message in [
        ("city", PASSWORD, "用户名“city”已存在"),
        (" city ", PASSWORD, "用户名“city”已存在"),
        ("", PASSWORD, "请填写用户名"),
        ("newdept", "weakpass", POLICY_TEXT),
    ]:
        with pytest.raises(ServiceError) as refused:
            accounts.create_user(username, password, "department", name="新部门",
                                 department_id=personas.city_dept.id)
        assert refused.value.message == message
        db.session.rollback()
    assert db.session.query(AppUser).count() == count
    assert _audit("create_user") == [] or all("newdept" not in row.detail for row in _audit("create_user"))

    user = accounts.create_user("newdept", "Goodpass1", "department", name="新部门",
                                department_id=personas.city_dept.id)
    db.session.commit()
    user = _fresh(user)
    assert [role.name for role in user.roles] == ["Department"]
    assert user.password != "Goodpass1" and check_password_hash(user.password, "Goodpass1")
    assert json.dumps(user.active) == "true"
    assert accounts.authenticate("newdept", "Goodpass1", "department").id == user.id


def test_set_active_ends_sessions_on_disable_and_logs_each_change_once(personas):
    """启用/停用 (账号管理's toggle and a department's 管理人员账号 share it): a disabled account's sessions end;
    setting the state it already has changes and logs nothing."""
    user = db.session.get(AppUser, personas.inst_a_user.id)
    version = user.session_version or 0
    assert accounts.set_active(user, True) is False
    assert accounts.set_active(user, False, user=personas.city, detail="培训机构：甲") is True
    assert not user.active and user.session_version == version + 1
    assert accounts.set_active(user, True, user=personas.city) is True
    db.session.commit()
    rows = db.session.query(AuditLog).filter(AuditLog.action.in_(("enable_user", "disable_user")),
                                             AuditLog.object_id == user.id).order_by(AuditLog.id).all()
    assert [(r.action, r.username, r.detail) for r in rows] == [
        ("disable_user", personas.city.username, "培训机构：甲"), ("enable_user", personas.city.username, None)]
    assert user.active and user.session_version == version + 1


def test_toggle_accounts_switches_each_and_commits(personas):
    first, second = (db.session.get(AppUser, u.id) for u in (personas.inst_a_user, personas.ent_a_user))
    assert accounts.toggle_accounts([first, second]) == 2
    db.session.expire_all()
    assert not db.session.get(AppUser, first.id).active and not db.session.get(AppUser, second.id).active
    assert accounts.toggle_accounts([db.session.get(AppUser, first.id)]) == 1
    db.session.expire_all()
    assert db.session.get(AppUser, first.id).active


def test_log_out_ends_every_session_and_is_logged(personas):
    user = db.session.get(AppUser, personas.county.id)
    version = user.session_version or 0
    accounts.log_out(user)
    db.session.expire_all()
    assert db.session.get(AppUser, user.id).session_version == version + 1
    row = db.session.query(AuditLog).filter_by(action="logout", object_id=user.id).one()
    assert row.username == user.username
