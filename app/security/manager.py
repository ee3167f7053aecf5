"""Security manager: our user model, the role-choosing login, 修改密码 and per-request checks."""
from flask import flash, g, redirect, request, url_for
from flask_appbuilder import expose
from flask_appbuilder.security.sqla.manager import SecurityManager
from flask_appbuilder.security.views import AuthDBView
from flask_appbuilder.security.views import UserDBModelView
from flask_appbuilder.utils.base import get_safe_redirect
from flask_babel import lazy_gettext as _l
from flask_login import login_user, logout_user
from flask_wtf import FlaskForm
from wtforms import PasswordField, RadioField, StringField
from wtforms.validators import DataRequired

from app.security.models import ACCOUNT_TYPES, AppUser
from app.services import ServiceError


class LoginForm(FlaskForm):
    """Login as in the seed: choose 主管部门 / 培训机构 / 企业 (or 系统管理员), then username and password."""

    account_type = RadioField(_l("登录身份"), choices=list(ACCOUNT_TYPES.items())[::-1], default="department",
                              validators=[DataRequired(message=_l("请选择登录身份"))])
    username = StringField(_l("用户名"), validators=[DataRequired(message=_l("请输入用户名"))])
    password = PasswordField(_l("密码"), validators=[DataRequired(message=_l("请输入密码"))])


class LoginView(AuthDBView):
    """Login page with the role option; refusals say why in Chinese."""

    login_template = "security/login.html"
    title = _l("用户登录")

    @expose("/login/", methods=["GET", "POST"])
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
                return redirect(get_safe_redirect(request.args.get("next", "")) or self.appbuilder.get_url_for_index)
        return self.render_template(self.login_template, title=self.title, form=form, appbuilder=self.appbuilder)


class AppUserView(UserDBModelView):
    """FAB's user list, read-only for 系统管理员 (accounts are managed in 账号管理)."""

    base_permissions = ["can_list", "can_show"]
    list_columns = ["username", "first_name", "account_type_label", "active", "last_login"]
    show_columns = ["username", "first_name", "account_type_label", "roles", "active", "last_login",
                    "login_count", "fail_login_count", "created_on", "changed_on"]
    search_columns = ["username", "first_name", "active"]
    label_columns = {"account_type_label": _l("账号类型"), "first_name": _l("姓名")}


class AppSecurityManager(SecurityManager):
    """FAB's manager with our user model and views."""

    user_model = AppUser
    authdbview = LoginView
    userdbmodelview = AppUserView

    def register_views(self):
        super().register_views()
        # Without this a logged-in user could not reach the login page's public links.

    @staticmethod
    def before_request():
        """Bind the user and log out accounts that lost the right to be logged in (e.g. 注销)."""
        from flask_login import current_user

        from app.services.accounts import still_allowed

        g.user = current_user
        if current_user.is_authenticated and not still_allowed(current_user):
            logout_user()
            flash("您的账号已不能使用本系统（所属机构已注销或账号已停用）", "danger")
            g.user = current_user
