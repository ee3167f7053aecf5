"""Security manager: our user model, the role-choosing login, the login rate limit and per-request checks."""
from flask import flash, g, make_response, redirect, render_template, request
from flask_appbuilder import expose
from flask_appbuilder.security.decorators import no_cache
from flask_appbuilder.security.sqla.manager import SecurityManager
from flask_appbuilder.security.views import AuthDBView
from flask_appbuilder.security.views import UserDBModelView
from flask_appbuilder.utils.base import get_safe_redirect
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import login_user, logout_user
from flask_wtf import FlaskForm
from wtforms import PasswordField, RadioField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired

from app.security.models import AppUser
from app.services import ServiceError

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
        from app.services.accounts import authenticate

        if g.user is not None and g.user.is_authenticated:
            return redirect(self.appbuilder.get_url_for_index)
        form = LoginForm()
        if form.validate_on_submit():
            try:
                user = authenticate(form.username.data, form.password.data, form.account_type.data)
            except ServiceError as refused:
                flash(refused.message, "danger")
            else:
                login_user(user, remember=False)
                next_url = request.args.get("next")
                return redirect(get_safe_redirect(next_url) if next_url else self.appbuilder.get_url_for_index)
        return self.render_template(self.login_template, title=self.title, form=form, appbuilder=self.appbuilder)


class AppUserView(UserDBModelView):
    """FAB's user list, read-only for 系统管理员 (accounts are managed in 账号管理)."""

    base_permissions = ["can_list", "can_show"]
    list_columns = ["username", "first_name", "account_type_label", "active", "last_login"]
    show_columns = ["username", "first_name", "account_type_label", "roles", "active", "last_login",
                    "login_count", "fail_login_count", "created_on", "changed_on"]
    search_columns = ["username", "first_name", "active"]
    label_columns = {"account_type_label": _l("账号类型"), "first_name": _l("姓名")}


def too_many_login_attempts(_request_limit):
    """The page for a breached login rate limit (AUTH_RATE_LIMIT): Chinese, status 429."""
    page = render_template("error.html", code=429, message=_("登录尝试过于频繁，请稍后再试"))
    return make_response(page, 429)


class AppSecurityManager(SecurityManager):
    """FAB's manager with our user model and views."""

    user_model = AppUser
    authdbview = LoginView
    userdbmodelview = AppUserView

    def create_limiter(self, app):
        """FAB's limiter (it applies AUTH_RATE_LIMIT to the login view), answering a breach in Chinese."""
        limiter = Limiter(key_func=app.config.get("RATELIMIT_KEY_FUNC", get_remote_address),
                          on_breach=too_many_login_attempts)
        limiter.init_app(app)
        return limiter

    @staticmethod
    def before_request():
        """Bind the user and log out accounts that lost the right to be logged in (e.g. 注销)."""
        from flask_login import current_user

        from app.services.accounts import login_refusal

        g.user = current_user
        if current_user.is_authenticated:
            refusal = login_refusal(current_user)
            if refusal:
                logout_user()
                flash(_("您已退出登录：%(reason)s", reason=refusal), "danger")
                g.user = current_user
