"""修改密码 from the top-right corner (seed: 首页右上角“修改”)."""
from flask import flash, g, redirect, session, url_for
from flask_appbuilder import SimpleFormView
from flask_appbuilder.forms import DynamicForm
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import PasswordField
from flask_login import logout_user
from wtforms.validators import DataRequired

from app.extensions import db
from app.security.manager import SESSION_VERSION_KEY
from app.models.user import AppUser
from app.security.passwords import POLICY_HINT
from app.services import ServiceError, accounts
from app.views.base import attach_refusal


class ChangePasswordForm(DynamicForm):
    old_password = PasswordField(_l("原密码"), validators=[DataRequired(message=_l("请输入原密码"))])
    password = PasswordField(_l("新密码"), validators=[DataRequired(message=_l("请输入新密码"))],
                             description=POLICY_HINT)
    confirm_password = PasswordField(_l("确认新密码"), validators=[DataRequired(message=_l("请再次输入新密码"))])


class ChangePasswordView(SimpleFormView):
    """Change one's own password; the old one must match. Other sessions of the account end, this one goes on."""

    route_base = "/changepassword"
    class_permission_name = "ChangePassword"
    form = ChangePasswordForm
    form_title = _l("修改密码")

    def form_post(self, form):
        user = db.session.get(AppUser, g.user.id)  # g.user is a proxy; the service needs the mapped row
        try:
            accounts.change_password(user, form.old_password.data, form.password.data, form.confirm_password.data)
        except accounts.AccountLocked as locked:
            logout_user()
            flash(locked.message, "danger")
            return redirect(self.appbuilder.get_url_for_login)
        except ServiceError as refused:
            db.session.rollback()
            attach_refusal(form, refused, default_field="password")
            widgets = self._get_edit_widget(form=form)
            return self.render_template(self.form_template, title=self.form_title, widgets=widgets,
                                        appbuilder=self.appbuilder)
        session[SESSION_VERSION_KEY] = user.session_version
        flash(_("密码已修改"), "success")
        return redirect(url_for("HomeView.index"))
