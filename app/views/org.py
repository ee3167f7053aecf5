"""Enterprises as departments (企业列表, 企业资质审核) and the enterprise itself (企业信息, 修改资料) see them."""
from flask import flash, g, redirect, request, url_for
from flask_appbuilder import expose
from flask_appbuilder.security.decorators import has_access
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import SelectField
from wtforms.fields.choices import SelectChoice

from app.models import Enterprise
from app.security.scope import current_scope
from app.services import ServiceError
from app.services import enterprises
from app.views.base import CappedCountInterface, ReadOnlyScopedView
from app.views.enterprise_forms import EnterpriseDataForm
from app.views.review import ReviewMixin, review_tabs
from app.workflow import STATES

ENTERPRISE_LABELS = {
    "name": _l("企业名称"), "uscc": _l("统一社会信用代码"), "region": _l("所属地区"), "region_code": _l("区划代码"),
    "address": _l("地址"), "legal_representative": _l("法定代表人"), "contact_person": _l("联系人"),
    "contact_mobile": _l("联系人手机"), "qualification_category": _l("资质类别"), "qualification_category_label": _l("资质类别"), "qualification_grade": _l("资质等级"),
    "qualification_cert_no": _l("资质证书编号"), "review_state_label": _l("资质审核状态"),
    "review_state": _l("资质审核状态"), "review_opinion": _l("审核意见"), "submitted_at": _l("上报时间"),
    "reviewed_at": _l("审核时间"), "created_at": _l("注册时间"),
}
ENTERPRISE_COLUMNS = ["name", "uscc", "region", "address", "legal_representative", "contact_person",
                      "contact_mobile", "qualification_category_label", "qualification_grade", "qualification_cert_no",
                      "review_state_label", "review_opinion", "submitted_at", "reviewed_at"]
FORMATTERS = {"region": lambda region: region.full_name if region is not None else ""}


def _state_search_field():
    """资质审核状态 searched by its Chinese label (the column holds codes: draft/submitted/…)."""
    return SelectField(_l("资质审核状态"), choices=[SelectChoice(code, _l(label)) for code, label in STATES.items()],
                       render_kw={"class": "form-control"})


def _documents_context(enterprise):
    return {"documents": enterprises.documents_of(enterprise),
            "reviewing_department": enterprises.reviewing_department(enterprise)}


class EnterpriseColumnsMixin:
    """What the department's enterprise pages (企业列表 and 企业资质审核) show and search."""

    datamodel = CappedCountInterface(Enterprise)
    show_columns = ENTERPRISE_COLUMNS
    search_columns = ["name", "uscc", "region_code", "review_state"]
    search_form_extra_fields = {"review_state": _state_search_field()}
    label_columns = ENTERPRISE_LABELS
    formatters_columns = FORMATTERS


class EnterpriseView(EnterpriseColumnsMixin, ReadOnlyScopedView):
    """企业列表 within the department's jurisdiction, with each enterprise's documents."""

    class_permission_name = "Enterprise"
    list_title = _l("企业列表")
    show_title = _l("企业详情")
    show_template = "enterprise/show.html"
    list_columns = ["name", "uscc", "region", "contact_person", "contact_mobile", "review_state_label", "created_at"]
    base_order = ("id", "desc")

    @expose("/show/<pk>", methods=["GET"])
    @has_access
    def show(self, pk):
        enterprise = self.scoped_get(pk)
        return self.render_show(enterprise, **_documents_context(enterprise))


class EnterpriseReviewBase(EnterpriseColumnsMixin, ReviewMixin, ReadOnlyScopedView):
    """企业资质审核: the reviewer opens the three documents, then 审核通过 / 审核不通过 with an opinion."""

    show_title = _l("企业资质审核")
    show_template = "enterprise/review_show.html"
    list_columns = ["name", "uscc", "region", "review_state_label", "submitted_at", "reviewed_at"]
    base_order = ("submitted_at", "desc")

    def show_extras(self, document):
        extras = super().show_extras(document)
        extras.update(_documents_context(document))
        return extras


EnterpriseReviewPending, EnterpriseReviewReviewed, EnterpriseReviewAll = review_tabs(
    EnterpriseReviewBase, "EnterpriseReview", "企业资质审核")


def enterprise_approval_notice():
    """Banner for an enterprise account whose qualification is not 审核通过 (None otherwise)."""
    user = g.get("user")
    if user is None or not getattr(user, "is_authenticated", False) or getattr(user, "account_type", None) != "enterprise":
        return None
    if request.endpoint in ("HomeView.index", "MyEnterpriseView.edit"):
        return None  # those pages show the state and the opinion themselves
    enterprise = user.enterprise
    problem = enterprises.approval_problem(enterprise)
    if not problem:
        return None
    on_detail = request.endpoint and request.endpoint.startswith("MyEnterpriseView.")
    return {"message": problem, "style": "danger" if enterprise and enterprise.review_state == "rejected" else "warning",
            "url": None if on_detail or enterprise is None else url_for("MyEnterpriseView.show", pk=enterprise.id)}


class MyEnterpriseView(ReviewMixin, ReadOnlyScopedView):
    """企业信息: the enterprise's own record, documents and qualification state; 修改资料 and 上报."""

    datamodel = CappedCountInterface(Enterprise)
    class_permission_name = "MyEnterprise"
    base_permissions = ["can_list", "can_show", "can_edit", "can_workflow", "can_records", "can_download"]
    list_title = show_title = _l("企业信息")
    show_template = "enterprise/review_show.html"
    list_columns = ["name", "uscc", "region", "review_state_label", "review_opinion"]
    show_columns = ENTERPRISE_COLUMNS
    label_columns = ENTERPRISE_LABELS
    formatters_columns = FORMATTERS
    search_columns = ["name"]
    _is_review_view = False

    def create_blueprint(self, appbuilder, *args, **kwargs):
        blueprint = super().create_blueprint(appbuilder, *args, **kwargs)
        # Every page's layout includes enterprise/approval_banner.html, which asks this.
        blueprint.add_app_template_global(enterprise_approval_notice, "enterprise_approval_notice")
        return blueprint

    @expose("/list/")
    @has_access
    def list(self):
        scope = current_scope()
        if scope.kind == "enterprise":
            return redirect(url_for(".show", pk=scope.enterprise_id))
        return super().list()

    def show_extras(self, document):
        extras = super().show_extras(document)
        extras.update(_documents_context(document))
        extras["edit_url"] = url_for(".edit", pk=document.id) if enterprises.editable(document) else None
        return extras

    @expose("/edit/<pk>", methods=["GET", "POST"])
    @has_access
    def edit(self, pk):
        enterprise = self.scoped_get(pk)
        back = url_for(".show", pk=enterprise.id)
        if not enterprises.editable(enterprise):
            flash(_("当前资质审核状态为“%(state)s”，不能修改企业资料；审核不通过或撤回后方可修改",
                    state=enterprise.review_state_label), "warning")
            return redirect(back)
        g.dict_form_record = enterprise  # a disabled 资质类别 stays selectable for this record
        form = EnterpriseDataForm(obj=enterprise)
        if form.is_submitted():
            submit = request.form.get("save") == "submit"
            if form.validate():
                try:
                    enterprises.update_enterprise(enterprise, form.enterprise_data(), form.documents(), user=g.user,
                                                  submit=submit)
                except enterprises.EnterpriseInputError as bad:
                    form.show_errors(bad.errors)
                except ServiceError as refused:
                    flash(refused.message, "danger")
                else:
                    flash(_("企业资料已保存并重新上报，请等待主管部门审核") if submit
                          else _("企业资料已保存；确认无误后请点击“上报”提交审核"), "success")
                    return redirect(back)
            flash(_("企业资料有误，请按提示修改；文件需重新选择"), "danger")
        return self.render_template(
            "enterprise/edit.html", form=form, enterprise=enterprise, title=_("修改资料"), back=back,
            data_fields=list(enterprises.FIELDS), documents=enterprises.documents_of(enterprise),
            required={name for name, (_label, required) in enterprises.FIELDS.items() if required},
        )
