"""Public pages linked from the login page: 企业注册 and 证书查询 (with the QR code's 证书核验)."""
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

    # --- 证书查询 (anonymous; rate-limited by the app's limiter; every query in 操作日志) ------------------------

    def _query_allowed(self):
        """One hit on the app limiter's storage for this client; False once over CERTIFICATE_QUERY_RATE_LIMIT."""
        from flask import current_app
        from flask_limiter.util import get_remote_address
        from limits import parse

        limiter = getattr(self.appbuilder.sm, "limiter", None)
        if limiter is None or not limiter.enabled or not getattr(limiter, "initialized", False):
            return True
        rate = parse(current_app.config.get("CERTIFICATE_QUERY_RATE_LIMIT", "20 per 1 minute"))
        key_func = current_app.config.get("RATELIMIT_KEY_FUNC", get_remote_address)
        return limiter.limiter.hit(rate, "certificate_query", key_func())

    @expose("/certificate", methods=["GET", "POST"])
    def certificate_query(self):
        from flask import request

        from app.extensions import db
        from app.services import audit
        from app.services import certificates as certificate_service
        from app.validators import mask_id_number

        mode = request.values.get("mode", "number")
        fields = {k: (request.form.get(k) or "").strip()[:64] for k in ("number", "id_number", "name")}
        results, message = None, None
        if request.method == "POST":
            if not self._query_allowed():
                return self.render_template("public/certificate.html", title=_("证书查询"), mode=mode, fields=fields,
                                            results=None, message=_("查询过于频繁，请稍后再试")), 429
            by_number = mode != "id_number"
            if not fields["name"] or not (fields["number"] if by_number else fields["id_number"]):
                message = _("请填写证书编号和姓名") if by_number else _("请填写身份证号和姓名")
            else:
                found = certificate_service.query(number=fields["number"] if by_number else "",
                                                  id_number="" if by_number else fields["id_number"],
                                                  name=fields["name"])
                results = [certificate_service.public_info(c) for c in found]
                if not results:
                    message = _("未查询到证书")
                audit.record("certificate_query", None, object_type="certificate",
                             detail="%s：%s，姓名：%s，结果：%d 张" % (
                                 "证书编号" if by_number else "身份证号",
                                 fields["number"] if by_number else mask_id_number(fields["id_number"]),
                                 fields["name"], len(results)))
                db.session.commit()
        return self.render_template("public/certificate.html", title=_("证书查询"), mode=mode, fields=fields,
                                    results=results, message=message)

    @expose("/certificate/verify")
    def certificate_verify(self):
        """Target of the certificate's QR code: a genuine signed link shows the certificate; a forged one not."""
        from flask import request

        from app.services import certificates as certificate_service

        number, signature = (request.args.get("n") or "")[:32], (request.args.get("s") or "")[:64]
        info, genuine = None, certificate_service.verify_signature(number, signature)
        if genuine:
            certificate = certificate_service.by_number(number)
            info = certificate_service.public_info(certificate) if certificate else None
        return self.render_template("public/certificate_verify.html", title=_("证书核验"), info=info,
                                    genuine=genuine)
