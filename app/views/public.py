"""Public pages linked from the login page: 企业注册 and 证书查询 (filled by a later issue)."""
from flask import flash, redirect, session, url_for
from flask_appbuilder import BaseView, expose
from flask_babel import gettext as _

from app.services import ServiceError
from app.services import enterprises
from app.views.enterprise_forms import EnterpriseRegistrationForm

_REGISTERED = "enterprise_registered"


class PublicView(BaseView):
    """Anonymous pages; no permission needed."""

    route_base = "/public"
    default_view = "certificate_query"

    @expose("/register", methods=["GET", "POST"])
    def register(self):
        form = EnterpriseRegistrationForm()
        if form.is_submitted():
            if form.validate():
                try:
                    enterprise, user = enterprises.register_enterprise(
                        form.enterprise_data(), form.documents(), username=form.username.data,
                        password=form.password.data, confirm_password=form.confirm_password.data)
                except enterprises.EnterpriseInputError as bad:
                    form.show_errors(bad.errors)
                except ServiceError as refused:
                    flash(refused.message, "danger")
                else:
                    department = enterprises.reviewing_department(enterprise)
                    session[_REGISTERED] = {"enterprise": enterprise.name, "username": user.username,
                                            "department": department.name if department else None}
                    return redirect(url_for(".registered"))
            else:
                # Show every problem at once, not the form's first and the service's after a resubmit.
                form.show_errors(enterprises.registration_errors(
                    form.enterprise_data(), form.documents(), username=form.username.data,
                    password=form.password.data, confirm_password=form.confirm_password.data))
            flash(_("注册信息有误，请按提示修改；密码和文件需重新填写、选择"), "danger")
        return self.render_template("public/register.html", form=form, title=_("企业注册"),
                                    documents=enterprises.DOCUMENTS)

    @expose("/registered")
    def registered(self):
        done = session.pop(_REGISTERED, None)
        if not done:
            return redirect(url_for(".register"))
        return self.render_template("public/registered.html", title=_("企业注册"), done=done)

    @expose("/certificate", methods=["GET", "POST"])
    def certificate_query(self):
        return self.render_template("public/pending.html", title="证书查询",
                                    message="证书查询功能即将开放。")
