"""Accounts: login with role choice and lockout, password changes, account creation."""
import datetime

from flask import current_app
from flask_babel import gettext as _
from werkzeug.security import check_password_hash, generate_password_hash

from app.extensions import db
from app.models.user import ACCOUNT_TYPES, AppUser
from app.security.passwords import password_problem
from app.services import ServiceError
from app.services import audit

API_LOGIN = "api"  # the REST API's login (/api/v1/security/login) has no role option


def _now():
    return datetime.datetime.now().replace(microsecond=0)


def authenticate(username, password, account_type):
    """Check credentials for the chosen login option; returns the user or raises ServiceError.

    Every attempt is recorded in the 操作日志; wrong passwords count towards the lockout, and a
    successful login resets the count. account_type API_LOGIN accepts any type (REST API tokens),
    with every other check.
    """
    username = (username or "").strip()
    user = db.session.query(AppUser).filter(AppUser.username == username).one_or_none() if username else None
    now = _now()
    logged = None  # what the 操作日志 says when it is more than the person is told
    try:
        if account_type not in ACCOUNT_TYPES and account_type != API_LOGIN:
            raise ServiceError(_("请选择登录身份"))
        if user is None or not password:
            # Same work as a real check, so timing does not tell which usernames exist.
            check_password_hash(current_app.config["AUTH_DB_FAKE_PASSWORD_HASH_CHECK"], "x")
            raise ServiceError(_("用户名或密码错误"))
        if user.locked_until and user.locked_until > now:
            # Told like a wrong password: a lock message would tell that the username exists.
            logged = _locked_message(user)
            raise ServiceError(_("用户名或密码错误"))
        if not check_password_hash(user.password or "", password):
            if _count_failure(user, now):
                logged = _locked_message(user)
            raise ServiceError(_("用户名或密码错误"))
        if account_type != API_LOGIN and user.account_type != account_type:
            raise ServiceError(_("该账号不是“%(chosen)s”账号，请选择“%(right)s”登录",
                                 chosen=_(ACCOUNT_TYPES[account_type]), right=_(user.account_type_label)))
        refusal = login_refusal(user)
        if refusal:
            raise ServiceError(refusal)
    except ServiceError as refused:
        audit.record("login_failure", user, user=user, username=username or "-",
                     detail=_login_detail(account_type, logged or refused.message))
        db.session.commit()
        raise
    user.fail_login_count = 0
    user.locked_until = None
    user.login_count = (user.login_count or 0) + 1
    user.last_login = now
    audit.record("login_success", user, user=user, detail=_login_detail(account_type))
    db.session.commit()
    return user


def _login_detail(account_type, reason=None):
    """操作日志 text of a login attempt: the option chosen and, for a refusal, why."""
    chosen = "登录身份：%s" % ("REST接口" if account_type == API_LOGIN else ACCOUNT_TYPES.get(account_type, "-"))
    return "%s；%s" % (chosen, reason) if reason else chosen


def _locked_message(user):
    return _("登录失败次数过多，账号已锁定至%(until)s，请届时再试",
             until=user.locked_until.strftime("%Y-%m-%d %H:%M"))


def _count_failure(user, now):
    """Count a wrong password; True when this failure locks the account."""
    user.fail_login_count = (user.fail_login_count or 0) + 1
    if user.fail_login_count >= current_app.config.get("LOGIN_MAX_FAILURES", 5):
        user.locked_until = now + datetime.timedelta(minutes=current_app.config.get("LOGIN_LOCK_MINUTES", 15))
        user.fail_login_count = 0
        return True
    return False


def login_refusal(user):
    """Why an otherwise valid account may not log in now, or None.

    Re-checked on every request (AppSecurityManager.before_request), so a 注销 ends open sessions too.
    """
    if not user.active:
        return _("该账号已停用，请联系管理员")
    if user.account_type == "institution":
        if user.institution is None:
            return _("该账号未关联培训机构，请联系主管部门")
        if user.institution.status == "cancelled":
            return _("所属培训机构已注销，不能登录系统")
    if user.account_type == "department" and (user.department is None or not user.department.enabled):
        return _("所属主管部门已停用，请联系系统管理员")
    if user.account_type == "enterprise" and user.enterprise is None:
        return _("该账号未关联企业")
    return None


class AccountLocked(ServiceError):
    """Too many wrong passwords while logged in (修改密码): the account is locked and its sessions end."""


def change_password(user, old_password, new_password, confirm):
    """修改密码: the old password must match (a wrong one counts towards the lockout); the new one must meet
    the policy and differ from the old. Every other session of the account ends (the caller keeps its own)."""
    now = _now()
    if user.locked_until and user.locked_until > now:
        raise AccountLocked(_locked_message(user), field="old_password")
    if not check_password_hash(user.password or "", old_password or ""):
        locked = _count_failure(user, now)
        audit.record("change_password_failure", user, user=user,
                     detail=_locked_message(user) if locked else _("原密码不正确"))
        if locked:
            end_sessions(user)
        db.session.commit()
        if locked:
            raise AccountLocked(_locked_message(user), field="old_password")
        raise ServiceError(_("原密码不正确"), field="old_password")
    set_password(user, new_password, confirm)
    audit.record("change_password", user, user=user)
    db.session.commit()


def set_password(user, new_password, confirm=None, *, chosen_by_owner=True):
    """Validate and set a password (no commit); every open session of the account ends.

    chosen_by_owner=False (a department or the administrator set it): the owner must change it at next login.
    """
    problem = password_problem(new_password)
    if problem:
        raise ServiceError(problem, field="password")
    if user.password and check_password_hash(user.password, new_password):
        raise ServiceError(_("新密码不能与原密码相同"), field="password")
    if confirm is not None and confirm != new_password:
        raise ServiceError(_("两次输入的密码不一致"), field="confirm_password")
    user.password = generate_password_hash(new_password, method=current_app.config["PASSWORD_HASH_METHOD"])
    user.password_changed_at = _now()
    user.fail_login_count = 0
    user.locked_until = None
    user.must_change_password = not chosen_by_owner
    end_sessions(user)


def end_sessions(user):
    """Every session of `user` opened so far ends at its next request (退出, 修改密码, 重置密码, 停用; no commit)."""
    user.session_version = (user.session_version or 0) + 1


def set_active(account, active, *, user=None, detail=None):
    """启用 / 停用 an account (no commit): a disabled account's sessions end; one 操作日志 row per change."""
    if bool(account.active) == bool(active):
        return False
    account.active = bool(active)
    if not active:
        end_sessions(account)
    audit.record("enable_user" if active else "disable_user", account, user=user, detail=detail)
    return True


def toggle_accounts(accounts):
    """启用/停用 of 账号管理: each account switches to the other state, all in one commit; returns the count."""
    for account in accounts:
        set_active(account, not account.active)
    db.session.commit()
    return len(accounts)


def log_out(user):
    """退出: every session of the account ends, written to the 操作日志."""
    end_sessions(user)
    audit.record("logout", user, user=user)
    db.session.commit()


def create_user(username, password, account_type, *, name, email=None,
                department_id=None, institution_id=None, enterprise_id=None, chosen_by_owner=True):
    """Create an account bound to its organisation (no commit).

    chosen_by_owner=False when someone else creates it (a department, the administrator): the password is
    then changed at first login.
    """
    user = AppUser(username=username, first_name=name, email=email, department_id=department_id,
                   institution_id=institution_id, enterprise_id=enterprise_id)
    prepare_new_user(user, password, account_type, chosen_by_owner=chosen_by_owner)
    db.session.add(user)
    db.session.flush()
    return user


def prepare_new_user(user, password, account_type, *, chosen_by_owner=True):
    """Check and complete a new account: unique name, password policy, role of its type (no commit)."""
    from app.security.roles import role_for_account_type

    user.username = (user.username or "").strip()
    if not user.username:
        raise ServiceError(_("请填写用户名"), field="username")
    if db.session.query(AppUser.id).filter(AppUser.username == user.username).first():
        raise ServiceError(_("用户名“%(name)s”已存在", name=user.username), field="username")
    user.account_type = account_type
    user.last_name = user.last_name or ""
    user.active = True
    user.email = user.email or "%s@users.invalid" % user.username
    user.password = None  # FAB's add form put the plain text here; set_password hashes it
    set_password(user, password, chosen_by_owner=chosen_by_owner)
    role = current_app.appbuilder.sm.find_role(role_for_account_type(account_type))
    user.roles = [role] if role is not None else []
    audit.record("create_user", None, detail="%s（%s）" % (user.username, ACCOUNT_TYPES[account_type]),
                 object_type="ab_user")
