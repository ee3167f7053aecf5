"""Security manager: our user model, the role-choosing login, the login rate limit and per-request checks."""
from flask import flash, g, jsonify, make_response, redirect, render_template, request, session, url_for
from flask_appbuilder import expose
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_appbuilder.security.api import SecurityApi
from flask_appbuilder.security.decorators import no_cache
from flask_appbuilder.security.sqla.manager import SecurityManager
from flask_appbuilder.security.views import AuthDBView
from flask_appbuilder.security.views import RoleModelView, UserDBModelView
from flask_appbuilder.widgets import ListWidget, ShowWidget
from flask_appbuilder.utils.base import get_safe_redirect
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import current_user, login_user, logout_user
from flask_wtf import FlaskForm
from sqlalchemy.orm import joinedload, selectinload
from wtforms import PasswordField, RadioField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired

from app.errors import ServiceError
from app.extensions import db
from app.models.user import AppUser
from app.security.labels import permissions_markup, role_label
from app.security.permission_cache import PermissionCacheMixin

# The three organisations an account may belong to (a many-to-one each; at most one is set).
_ORGANISATION = [joinedload(AppUser.department), joinedload(AppUser.institution), joinedload(AppUser.enterprise)]

SESSION_VERSION_KEY = "_sv"  # the account's session_version when this session logged in
# What an account that must change its password may still open (plus static files).
PASSWORD_CHANGE_ENDPOINTS = {"ChangePasswordView.this_form_get", "ChangePasswordView.this_form_post",
                             "LoginView.logout", "LoginView.login", "LocaleView.index"}

# The seed's login page: 主管部门 first (the default), then 培训机构 and 企业; 系统管理员 last.
LOGIN_OPTIONS = [
    SelectChoice("department", _l("主管部门")),
    SelectChoice("institution", _l("培训机构")),
    SelectChoice("enterprise", _l("企业")),
    SelectChoice("admin", _l("系统管理员")),
]


class LoginForm(FlaskForm):
    """Login as in the seed: choose 主管部门 / 培训机构 / 企业 (or 系统管理员), then username and password."""

    account_type = RadioField(_l("登录身份"), choices=LOGIN_OPTIONS, default="department",
                              validators=[DataRequired(message=_l("请选择登录身份"))])
    username = StringField(_l("用户名"), validators=[DataRequired(message=_l("请输入用户名"))])
    password = PasswordField(_l("密码"), validators=[DataRequired(message=_l("请输入密码"))])


class LoginView(AuthDBView):
    """Login page with the role option; refusals say why in Chinese."""

    login_template = "security/login.html"
    title = _l("用户登录")

    @expose("/login/", methods=["GET", "POST"])
    @no_cache
    def login(self):
        if g.user is not None and g.user.is_authenticated:
            return redirect(self.appbuilder.get_url_for_index)
        form = LoginForm()
        if form.validate_on_submit():
            try:
                user = self.appbuilder.sm.accounts.authenticate(
                    form.username.data, form.password.data, form.account_type.data)
            except ServiceError as refused:
                flash(refused.message, "danger")
            else:
                login_user(user, remember=False)
                session[SESSION_VERSION_KEY] = user.session_version
                next_url = request.args.get("next")
                return redirect(get_safe_redirect(next_url) if next_url else self.appbuilder.get_url_for_index)
        return self.render_template(self.login_template, title=self.title, form=form, appbuilder=self.appbuilder)

    @expose("/logout/", methods=["POST"])
    def logout(self):
        """退出: a POST with the CSRF token (FAB's is a GET any page could trigger); every session of the
        account ends, so a copy of the cookie taken before stops working too."""
        if current_user.is_authenticated:
            self.appbuilder.sm.accounts.log_out(db.session.get(AppUser, current_user.id))
        logout_user()
        session.pop(SESSION_VERSION_KEY, None)
        return redirect(self.appbuilder.get_url_for_login)


class AppUserView(UserDBModelView):
    """FAB's user list, read-only for 系统管理员 (accounts are managed in 账号管理)."""

    base_permissions = ["can_list", "can_show"]
    list_columns = ["username", "first_name", "account_type_label", "active", "last_login"]
    show_columns = ["username", "first_name", "account_type_label", "roles", "active", "last_login",
                    "login_count", "fail_login_count", "created_on", "changed_on"]
    search_columns = ["username", "first_name", "active"]
    label_columns = {"account_type_label": _l("账号类型"), "first_name": _l("姓名")}


class RolesWithPermissions(SQLAInterface):
    """The role list's page query loads every row's permissions in one more SELECT (not one per row)."""

    def apply_all(self, query, *args, **kwargs):
        return super().apply_all(query, *args, **kwargs).options(selectinload(self.obj.permissions))


class AppRoleView(RoleModelView):
    """FAB's role pages, read-only, with Chinese role, view and permission names (identifiers unchanged)."""

    def __init__(self, **kwargs):
        self.datamodel = RolesWithPermissions(self.datamodel.obj)  # FAB's security manager set a plain one
        super().__init__(**kwargs)

    class_permission_name = "RoleModelView"  # the permission name roles.py grants
    base_permissions = ["can_list", "can_show"]
    list_widget = ListWidget
    show_widget = ShowWidget
    list_title = _l("角色列表")
    show_title = _l("查看角色")
    label_columns = {"name": _l("角色"), "permissions": _l("权限")}
    search_columns = ["name"]  # FAB's would list every permission in the search form
    formatters_columns = {
        "name": lambda name: role_label(name),
        "permissions": lambda permissions: permissions_markup(permissions),
    }


def too_many_login_attempts(_request_limit):
    """The answer to a breached rate limit: a Chinese page (JSON for the REST API), status 429."""
    if request.endpoint and request.endpoint.endswith(".login"):
        message = _("登录尝试过于频繁，请稍后再试")
    else:
        message = _("请求过于频繁，请稍后再试")
    if request.path.startswith("/api/"):
        return make_response(jsonify(message=message), 429)
    return make_response(render_template("error.html", code=429, message=message), 429)


class AppSecurityManager(PermissionCacheMixin, SecurityManager):
    """FAB's manager with our user model and views; every way in goes through accounts.authenticate; permission
    checks read the user's grants once per request (permission_cache)."""

    # The account verbs (app.services.accounts) sit a layer above security: create_app hands them in before
    # FAB builds this manager, so the login checks live once, in the service, without an import running up.
    accounts = None
    user_model = AppUser
    authdbview = LoginView
    userdbmodelview = AppUserView
    rolemodelview = AppRoleView

    def create_limiter(self, app):
        """FAB's limiter (it applies AUTH_RATE_LIMIT to the login view), answering a breach in Chinese."""
        limiter = Limiter(key_func=app.config.get("RATELIMIT_KEY_FUNC", get_remote_address),
                          on_breach=too_many_login_attempts)
        limiter.init_app(app)
        return limiter

    def register_views(self):
        super().register_views()
        # FAB limits only the login page; the REST API's token login is a way in too.
        api = next((view for view in self.appbuilder.baseviews if isinstance(view, SecurityApi)), None)
        if self.is_auth_limited and api is not None and api.blueprint is not None:
            self.limiter.limit(self.auth_rate_limit, methods=["POST"])(api.blueprint)

    def create_jwt_manager(self, app):
        """FAB's JWT manager; access and refresh tokens carry the account's session_version, so 退出, 修改密码,
        重置密码 and 停用 end REST API tokens as they end browser sessions."""
        jwt_manager = super().create_jwt_manager(app)

        @jwt_manager.additional_claims_loader
        def _session_version(identity):
            user = db.session.get(AppUser, int(identity))
            return {SESSION_VERSION_KEY: user.session_version if user is not None else None}

        @jwt_manager.token_in_blocklist_loader
        def _session_ended(_jwt_header, jwt_data):
            user = db.session.get(AppUser, int(jwt_data["sub"]))
            return user is None or jwt_data.get(SESSION_VERSION_KEY) != user.session_version

        # flask_jwt_extended answers these in English ("Token has been revoked", "Error loading the user").
        @jwt_manager.revoked_token_loader
        @jwt_manager.user_lookup_error_loader
        def _token_refused(_jwt_header, _jwt_data):
            return jsonify(message=_("登录已失效或账号须先在网页修改密码，请重新登录")), 401

        return jwt_manager

    def auth_user_db(self, username, password):
        """FAB's password check (used by the REST API's token login): our lockout, refusals and 操作日志."""
        try:
            return self.accounts.authenticate(username, password, self.accounts.API_LOGIN)
        except ServiceError:
            return None

    def get_user_by_id(self, pk):
        """FAB's user lookup (every request's, for the signed-in user) with the account's organisation joined."""
        # before_request checks the organisation on every request (login_refusal): a second statement otherwise.
        return self.session.get(self.user_model, pk, options=_ORGANISATION)

    def load_user_jwt(self, _jwt_header, jwt_data):
        """A REST API token stops working when its account may no longer log in (e.g. 注销) or must first
        change its password."""
        user = super().load_user_jwt(_jwt_header, jwt_data)
        # An account whose password someone else chose changes it in the browser before it uses the API.
        if user is not None and (self.accounts.login_refusal(user) or user.must_change_password):
            g.user = current_user  # anonymous again
            return None
        return user

    def before_request(self):
        """Bind the user; log out accounts that lost the right to be logged in (e.g. 注销) and sessions ended by
        退出, 修改密码, 重置密码 or 停用; send an account whose password someone else chose to 修改密码."""
        g.user = current_user
        if not current_user.is_authenticated:
            return None
        refusal = self.accounts.login_refusal(current_user)
        if refusal:
            logout_user()
            flash(_("您已退出登录：%(reason)s", reason=refusal), "danger")
            g.user = current_user
        elif session.get(SESSION_VERSION_KEY) != current_user.session_version:
            logout_user()
            session.pop(SESSION_VERSION_KEY, None)
            flash(_("登录已失效（账号已退出、修改或重置密码、或被停用），请重新登录"), "warning")
            g.user = current_user
        elif current_user.must_change_password and request.endpoint not in PASSWORD_CHANGE_ENDPOINTS \
                and request.endpoint not in ("static", "appbuilder.static"):
            message = _("首次登录或密码被重置后，须先修改密码")
            if request.path.startswith("/api/"):
                return make_response(jsonify(message=message), 403)
            flash(message, "warning")
            return redirect(url_for("ChangePasswordView.this_form_get"))
        return None
