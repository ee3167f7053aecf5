"""培训机构管理, 本机构信息, 师资及考评员 and 管理人员账号: declarations whose writes call services.institutions."""
from flask import abort, flash, g, redirect, request, url_for
from flask_appbuilder import action, expose
from flask_appbuilder.forms import DynamicForm
from flask_appbuilder.models.sqla.filters import FilterEqual
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_appbuilder.security.decorators import has_access, permission_name
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from sqlalchemy import select
from wtforms import PasswordField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

from app.extensions import db
from app.models import Institution, Staff
from app.models.org import INSTITUTION_STATUS, STAFF_CATEGORIES
from app.models.user import AppUser
from app.security.passwords import POLICY_HINT
from app.security.scope import current_scope
from app.services import ServiceError
from app.services import institutions as service
from app.services.dictionaries import DictSelectField
from app.services.settings import get_int
from app.validators import IdNumber, Mobile, Uscc, mask_id_number
from app.views.base import FilterInstitutionName, ScopedModelView, attach_refusal, run_and_redirect
from app.views.dict_fields import RegionSelectField, strip

INSTITUTION_LABELS = {
    "code": _l("机构代码"), "name": _l("机构名称"), "uscc": _l("统一社会信用代码"), "institution_type": _l("机构类型"), "institution_type_label": _l("机构类型"),
    "region": _l("所属地区"), "region_code": _l("区划代码"), "address": _l("地址"),
    "legal_representative": _l("法定代表人"), "contact_person": _l("联系人"), "contact_phone": _l("联系电话"),
    "department": _l("设立部门"), "status_label": _l("状态"), "status": _l("状态"), "cancel_reason": _l("注销原因"),
    "cancelled_at": _l("注销时间"), "created_at": _l("设立时间"), "license_file": _l("营业执照"),
}
INSTITUTION_SHOW = ["code", "name", "uscc", "institution_type_label", "region", "address", "legal_representative",
                    "contact_person", "contact_phone", "department", "status_label", "created_at"]
STAFF_LABELS = {"institution": _l("培训机构"), "name": _l("姓名"), "id_number": _l("身份证号"),
                "masked_id_number": _l("身份证号"), "mobile": _l("手机号"), "category": _l("类别"),
                "category_label": _l("类别"), "trade_code": _l("工种"), "trade_label": _l("工种"),
                "specialty": _l("专业"), "title": _l("职称"), "certificate_no": _l("证书编号"),
                "institution_id": _l("培训机构")}
PHONE_HINT = _l("11位手机号或区号+号码，如 0571-87654321")


# --- forms ------------------------------------------------------------------------------------------

class InstitutionForm(DynamicForm):
    """培训机构 basic data as the department enters it; 机构代码 is generated, never typed."""

    name = StringField(_l("机构名称"), filters=[strip], validators=[
        DataRequired(message=_l("请填写机构名称")), Length(max=200, message=_l("机构名称不能超过200个字"))])
    uscc = StringField(_l("统一社会信用代码"), filters=[strip], description=_l("18位，按 GB 32100 校验"),
                       validators=[DataRequired(message=_l("请填写统一社会信用代码")), Uscc()])
    institution_type = DictSelectField(_l("机构类型"), dict_type="institution_type",
                                       validators=[DataRequired(message=_l("请选择机构类型"))])
    region_code = RegionSelectField(_l("所在地区"), counties_only=True,
                                    invalid_choice_message=_l("所选地区不在本部门辖区内，请从列表中选择区县"),
                                    validators=[DataRequired(message=_l("请选择所在地区"))])
    address = StringField(_l("地址"), filters=[strip], validators=[
        Optional(), Length(max=255, message=_l("地址不能超过255个字"))])
    legal_representative = StringField(_l("法定代表人"), filters=[strip], validators=[
        Optional(), Length(max=50, message=_l("法定代表人不能超过50个字"))])
    contact_person = StringField(_l("联系人"), filters=[strip], validators=[
        DataRequired(message=_l("请填写联系人")), Length(max=50, message=_l("联系人不能超过50个字"))])
    contact_phone = StringField(_l("联系电话"), filters=[strip], description=PHONE_HINT,
                                validators=[DataRequired(message=_l("请填写联系电话"))])
    license_file = FileField(_l("营业执照"))


class ContactForm(DynamicForm):
    """What an institution may change of its own record."""

    contact_person = InstitutionForm.contact_person
    contact_phone = InstitutionForm.contact_phone
    address = InstitutionForm.address


class StaffForm(DynamicForm):
    """师资及考评员: 工种 for 职业理论知识培训师资, 专业 for 考评员."""

    institution_id = SelectField(_l("培训机构"), coerce=int, validate_choice=True,
                                 invalid_choice_message=_l("所选培训机构不存在或不能维护其师资"),
                                 validators=[DataRequired(message=_l("请选择培训机构"))])
    name = StringField(_l("姓名"), filters=[strip], validators=[
        DataRequired(message=_l("请填写姓名")), Length(max=50, message=_l("姓名不能超过50个字"))])
    id_number = StringField(_l("身份证号"), filters=[strip], validators=[
        DataRequired(message=_l("请填写身份证号")), IdNumber()])
    mobile = StringField(_l("手机号"), filters=[strip], validators=[DataRequired(message=_l("请填写手机号")), Mobile()])
    category = SelectField(_l("类别"), choices=[SelectChoice("", _l("请选择"))]
                           + [SelectChoice(k, v) for k, v in STAFF_CATEGORIES.items()],
                           validators=[DataRequired(message=_l("请选择人员类别"))])
    trade_code = DictSelectField(_l("工种"), dict_type="trade", description=_l("职业理论知识培训师资必选"))
    specialty = DictSelectField(_l("专业"), dict_type="specialty", description=_l("考评员必选"))
    title = StringField(_l("职称"), filters=[strip], validators=[
        Optional(), Length(max=50, message=_l("职称不能超过50个字"))])
    certificate_no = StringField(_l("证书编号"), filters=[strip], validators=[
        Optional(), Length(max=100, message=_l("证书编号不能超过100个字"))])


class AccountForm(DynamicForm):
    """A manager account of an institution."""

    institution_id = SelectField(_l("培训机构"), coerce=int, validate_choice=True,
                                 invalid_choice_message=_l("所选培训机构不存在或不由本部门设立"),
                                 validators=[DataRequired(message=_l("请选择培训机构"))])
    username = StringField(_l("用户名"), filters=[strip], validators=[
        DataRequired(message=_l("请填写用户名")), Length(max=64, message=_l("用户名不能超过64个字符"))])
    first_name = StringField(_l("姓名"), filters=[strip], validators=[
        DataRequired(message=_l("请填写姓名")), Length(max=64, message=_l("姓名不能超过64个字"))])
    password = PasswordField(_l("初始密码"), description=POLICY_HINT,
                             validators=[DataRequired(message=_l("请填写初始密码"))])
    confirm_password = PasswordField(_l("确认密码"), validators=[DataRequired(message=_l("请再次输入密码"))])


class PasswordForm(DynamicForm):
    password = PasswordField(_l("新密码"), description=POLICY_HINT,
                             validators=[DataRequired(message=_l("请填写新密码"))])
    confirm_password = PasswordField(_l("确认密码"), validators=[DataRequired(message=_l("请再次输入密码"))])


INSTITUTION_FORM_COLUMNS = ["name", "uscc", "institution_type", "region_code", "address", "legal_representative",
                            "contact_person", "contact_phone", "license_file"]
STAFF_FORM_COLUMNS = ["institution_id", "name", "id_number", "mobile", "category", "trade_code", "specialty",
                      "title", "certificate_no"]


def _institution_choices(institutions):
    return [SelectChoice(i.id, "%s（%s）" % (i.name, i.code)) for i in institutions]


def _describe_upload(field):
    field.description = _("PDF、JPG或PNG格式，不超过%(mb)sMB", mb=get_int("upload_max_mb"))


def institution_page(institution_id):
    """The institution's detail page as the current user reaches it."""
    if current_scope().kind == "institution":
        return url_for("MyInstitutionView.show", pk=institution_id)
    return url_for("InstitutionView.show", pk=institution_id)


class FormPageMixin:
    """Render one of the forms above with FAB's form widget (labels, descriptions, errors per field)."""

    form_template = "institution/form.html"

    def render_form(self, form, columns, title, **extra):
        widget = self.add_widget(form=form, include_cols=[c for c in columns if c in form], exclude_cols=[],
                                 fieldsets=None)
        return self.render_template(self.form_template, title=title, widgets={"form": widget}, **extra)


# --- search ------------------------------------------------------------------------------------------

class SearchFieldsMixin:
    """Search fields as selects matched exactly, plus filters on columns the model does not have."""

    equal_filters = ()  # columns searched with FilterEqual through the select in search_form_extra_fields
    virtual_filters = {}  # search name → filter class (e.g. a related row's name)

    def _init_properties(self):
        columns = list(self.search_columns)
        # FAB would log "Filter type not supported" for the virtual ones: add their filters afterwards.
        self.search_columns = [c for c in columns if c not in self.virtual_filters]
        super()._init_properties()
        self.search_columns = columns
        chosen = {name: [cls(name, self.datamodel)] for name, cls in self.virtual_filters.items()}
        chosen.update({name: [FilterEqual(name, self.datamodel)] for name in self.equal_filters})
        for name, filters in chosen.items():
            self._filters._search_filters[name] = filters
            self._filters._all_filters[name] = filters


SEARCH_CONTROL = {"class": "form-control"}


# --- 培训机构 ----------------------------------------------------------------------------------------

class InstitutionPageMixin(FormPageMixin):
    """The detail page: basic data, 营业执照, staffing rule with what is missing, roster, accounts, 注销/恢复."""

    show_template = "institution/show.html"

    def detail_context(self, institution):
        scope = current_scope()
        staff = list(db.session.execute(
            select(Staff).where(Staff.institution_id == institution.id)
            .order_by(Staff.category, Staff.trade_code, Staff.specialty, Staff.id)).scalars())
        sets_up = service.sets_up(scope, institution)
        accounts = list(db.session.execute(
            select(AppUser).where(AppUser.institution_id == institution.id, AppUser.account_type == "institution")
            .order_by(AppUser.id)).scalars()) if sets_up else []
        canceller = db.session.get(AppUser, institution.cancelled_by_id) if institution.cancelled_by_id else None
        return {
            "institution": institution,
            "staffing": service.staffing_summary(institution.id),
            "staff": staff,
            "mask": mask_id_number,
            "sets_up": sets_up,
            "keeps_staff": service.keeps_staff(scope, institution) and institution.is_active,
            "accounts": accounts,
            "canceller": canceller.display_name if canceller else None,
            "edit_url": url_for(self.endpoint + ".edit", pk=institution.id)
            if (sets_up or scope.owns_institution(institution.id)) and institution.is_active else None,
        }

    @expose("/show/<pk>", methods=["GET"])
    @has_access
    def show(self, pk):
        institution = self.scoped_get(pk)
        return self.render_show(institution, **self.detail_context(institution))


class InstitutionView(SearchFieldsMixin, InstitutionPageMixin, ScopedModelView):
    """培训机构管理: departments set institutions up, edit them, 注销 and restore them."""

    datamodel = SQLAInterface(Institution)
    class_permission_name = "Institution"
    base_permissions = ["can_list", "can_show", "can_add", "can_edit", "can_cancel", "can_restore"]
    list_title = _l("培训机构管理")
    show_title = _l("培训机构详情")
    add_title = _l("培训机构新增")
    edit_title = _l("修改培训机构")
    list_columns = ["code", "name", "institution_type_label", "region", "department", "status_label"]
    show_columns = INSTITUTION_SHOW
    search_columns = ["code", "name", "uscc", "institution_type", "region_code", "status"]
    search_form_extra_fields = {
        "institution_type": DictSelectField(_l("机构类型"), dict_type="institution_type", render_kw=SEARCH_CONTROL),
        "status": SelectField(_l("状态"), choices=[SelectChoice(k, v) for k, v in INSTITUTION_STATUS.items()],
                              render_kw=SEARCH_CONTROL),
    }
    equal_filters = ("institution_type", "status")
    order_columns = ["code", "name"]
    base_order = ("code", "asc")
    label_columns = INSTITUTION_LABELS

    @expose("/add", methods=["GET", "POST"])
    @has_access
    def add(self):
        scope = current_scope()
        if scope.kind != "department":
            flash(_("只有主管部门可以新增培训机构"), "danger")
            return redirect(url_for(".list"))
        form = InstitutionForm()
        form.region_code.prefix = scope.region_prefix
        _describe_upload(form.license_file)
        form.license_file.flags.required = True
        if request.method == "POST" and form.validate():
            try:
                institution = service.create_institution(
                    {key: form[key].data for key in service.BASIC_FIELDS}, form.license_file.data)
            except ServiceError as refused:
                attach_refusal(form, refused)
            else:
                flash(_("已新增培训机构“%(name)s”，机构代码 %(code)s", name=institution.name, code=institution.code),
                      "success")
                return redirect(url_for(".show", pk=institution.id))
        return self.render_form(form, INSTITUTION_FORM_COLUMNS, self.add_title, hint=service.institution_code_hint())

    @expose("/edit/<pk>", methods=["GET", "POST"])
    @has_access
    def edit(self, pk):
        institution = self.scoped_get(pk)
        scope = current_scope()
        if not service.sets_up(scope, institution) or not institution.is_active:
            flash(_("只有设立该培训机构的主管部门可以修改其基本信息") if institution.is_active
                  else _("培训机构已注销，不能修改；如需修改，请先恢复该机构"), "danger")
            return redirect(url_for(".show", pk=institution.id))
        g.dict_form_record = institution
        form = InstitutionForm(obj=institution)
        form.region_code.prefix = scope.region_prefix
        _describe_upload(form.license_file)
        if institution.license_file is not None:
            form.license_file.description = _("已上传：%(name)s；重新选择文件将替换。", name=institution.license_file.original_name) \
                + form.license_file.description
        if request.method == "POST" and form.validate():
            upload = form.license_file.data if getattr(form.license_file.data, "filename", "") else None
            try:
                service.update_institution(institution.id, {key: form[key].data for key in service.BASIC_FIELDS},
                                           upload)
            except ServiceError as refused:
                attach_refusal(form, refused)
            else:
                flash(_("已保存培训机构“%(name)s”的基本信息", name=institution.name), "success")
                return redirect(url_for(".show", pk=institution.id))
        return self.render_form(form, INSTITUTION_FORM_COLUMNS, self.edit_title, code=institution.code)

    @expose("/cancel/<pk>", methods=["POST"])
    @has_access
    @permission_name("cancel")
    def cancel(self, pk):
        institution = self.scoped_get(pk)
        return run_and_redirect(
            lambda: service.cancel_institution(institution.id, request.form.get("reason")),
            _("已注销培训机构“%(name)s”：其账号不能再登录，不能再上报培训及考核计划", name=institution.name),
            url_for(".show", pk=institution.id))

    @expose("/restore/<pk>", methods=["POST"])
    @has_access
    @permission_name("restore")
    def restore(self, pk):
        institution = self.scoped_get(pk)
        return run_and_redirect(lambda: service.restore_institution(institution.id, request.form.get("reason")),
                                _("已恢复培训机构“%(name)s”", name=institution.name), url_for(".show", pk=institution.id))


class MyInstitutionView(InstitutionPageMixin, ScopedModelView):
    """本机构信息: the institution's own record; it may change its contact person, phone and address."""

    datamodel = SQLAInterface(Institution)
    class_permission_name = "MyInstitution"
    base_permissions = ["can_list", "can_show", "can_edit"]
    list_title = show_title = _l("本机构信息")
    edit_title = _l("修改联系方式")
    list_columns = ["code", "name", "institution_type_label", "region", "contact_person", "contact_phone",
                    "status_label"]
    show_columns = INSTITUTION_SHOW
    search_columns = ["name"]
    label_columns = INSTITUTION_LABELS

    @expose("/list/")
    @has_access
    def list(self):
        scope = current_scope()
        if scope.kind == "institution":
            return redirect(url_for(".show", pk=scope.institution_id))
        return super().list()

    @expose("/edit/<pk>", methods=["GET", "POST"])
    @has_access
    def edit(self, pk):
        institution = self.scoped_get(pk)
        if not current_scope().owns_institution(institution.id) or not institution.is_active:
            flash(_("只能修改本机构的联系人、联系电话和地址"), "danger")
            return redirect(url_for(".show", pk=institution.id))
        form = ContactForm(obj=institution)
        if request.method == "POST" and form.validate():
            try:
                service.update_institution(institution.id,
                                           {key: form[key].data for key in service.INSTITUTION_EDITABLE})
            except ServiceError as refused:
                attach_refusal(form, refused)
            else:
                flash(_("已保存本机构的联系方式"), "success")
                return redirect(url_for(".show", pk=institution.id))
        return self.render_form(form, ["contact_person", "contact_phone", "address"], self.edit_title,
                                code=institution.code,
                                note=_("机构名称、统一社会信用代码、类型和所在地区由主管部门维护，如需变更请联系主管部门。"))


# --- 师资及考评员 -------------------------------------------------------------------------------------

class StaffView(SearchFieldsMixin, FormPageMixin, ScopedModelView):
    """师资及考评员: kept by the department that set the institution up, or by the institution itself."""

    datamodel = SQLAInterface(Staff)
    class_permission_name = "Staff"
    base_permissions = ["can_list", "can_show", "can_add", "can_edit", "can_delete"]
    list_title = _l("师资及考评员")
    show_title = _l("师资及考评员详情")
    add_title = _l("新增师资及考评员")
    edit_title = _l("修改师资及考评员")
    list_columns = ["institution", "name", "category_label", "trade_label", "specialty", "title", "mobile"]
    show_columns = ["institution", "name", "id_number", "mobile", "category_label", "trade_label", "specialty",
                    "title", "certificate_no"]
    search_columns = ["institution_name", "name", "category", "trade_code", "specialty"]
    base_order = ("id", "asc")  # the roster in the order it was entered (and a stable page split)
    search_form_extra_fields = {
        "institution_name": StringField(_l("培训机构名称"), render_kw=SEARCH_CONTROL),
        "category": SelectField(_l("类别"), choices=[SelectChoice(k, v) for k, v in STAFF_CATEGORIES.items()],
                                render_kw=SEARCH_CONTROL),
        "trade_code": DictSelectField(_l("工种"), dict_type="trade", render_kw=SEARCH_CONTROL),
        "specialty": DictSelectField(_l("专业"), dict_type="specialty", render_kw=SEARCH_CONTROL),
    }
    # A text filter on the institution's name instead of a select listing every institution in scope.
    virtual_filters = {"institution_name": FilterInstitutionName}
    equal_filters = ("category", "trade_code", "specialty")
    order_columns = ["name"]
    label_columns = dict(STAFF_LABELS, institution_name=_l("培训机构名称"))
    audit_changes = False  # the service writes the 操作日志

    def _choices(self):
        return _institution_choices(service.editable_institutions(current_scope()))

    @expose("/add", methods=["GET", "POST"])
    @has_access
    def add(self):
        choices = self._choices()
        if not choices:
            flash(_("没有可维护师资的培训机构：只有设立培训机构的主管部门或培训机构本身可以维护其师资及考评员"), "warning")
            return redirect(url_for(".list"))
        form = StaffForm()
        form.institution_id.choices = choices
        if request.method == "GET":
            wanted = request.args.get("institution_id", type=int)
            form.institution_id.data = wanted if wanted in {c.value for c in choices} else choices[0].value
        if request.method == "POST" and form.validate():
            data = {key: form[key].data for key in service.STAFF_FIELDS}
            try:
                staff = service.add_staff(form.institution_id.data, data)
            except ServiceError as refused:
                attach_refusal(form, refused)
            else:
                flash(_("已新增%(category)s“%(name)s”", category=staff.category_label, name=staff.name), "success")
                return redirect(institution_page(staff.institution_id))
        return self.render_form(form, STAFF_FORM_COLUMNS, self.add_title)

    @expose("/edit/<pk>", methods=["GET", "POST"])
    @has_access
    def edit(self, pk):
        staff = self.scoped_get(pk)
        if not service.keeps_staff(current_scope(), staff.institution) or not staff.institution.is_active:
            flash(_("只有设立该培训机构的主管部门或该培训机构本身可以维护其师资及考评员（已注销的机构不能维护）"),
                  "danger")
            return redirect(url_for(".show", pk=staff.id))
        g.dict_form_record = staff
        form = StaffForm(obj=staff)
        del form.institution_id
        if request.method == "POST" and form.validate():
            try:
                service.update_staff(staff.id, {key: form[key].data for key in service.STAFF_FIELDS})
            except ServiceError as refused:
                attach_refusal(form, refused)
            else:
                flash(_("已保存“%(name)s”的信息", name=staff.name), "success")
                return redirect(institution_page(staff.institution_id))
        return self.render_form(form, STAFF_FORM_COLUMNS, self.edit_title,
                                note=_("培训机构：%(name)s", name=staff.institution.name))

    @expose("/delete/<pk>", methods=["GET", "POST"])
    @has_access
    def delete(self, pk):
        if not self.is_get_mutation_allowed():
            abort(405)
        staff = self.scoped_get(pk)
        return run_and_redirect(lambda: service.remove_staff(staff.id), _("已删除“%(name)s”", name=staff.name),
                                self.get_redirect())


# --- 管理人员账号 -------------------------------------------------------------------------------------

class InstitutionAccountView(FormPageMixin, ScopedModelView):
    """管理人员账号: the department that set an institution up creates, disables and resets its accounts."""

    datamodel = SQLAInterface(AppUser)
    class_permission_name = "InstitutionAccount"
    route_base = "/institutionaccount"
    base_permissions = ["can_list", "can_show", "can_add", "can_toggle", "can_resetpassword"]
    method_permission_name = {"disable": "toggle", "enable": "toggle"}
    base_filters = [["account_type", FilterEqual, "institution"]]
    list_title = _l("管理人员账号")
    show_title = _l("管理人员账号详情")
    add_title = _l("新增管理人员账号")
    list_columns = ["username", "first_name", "institution", "active", "last_login"]
    show_columns = ["username", "first_name", "institution", "active", "last_login", "login_count", "created_on"]
    search_columns = ["username", "first_name", "active"]
    order_columns = ["username", "first_name"]
    label_columns = {"username": _l("用户名"), "first_name": _l("姓名"), "institution": _l("培训机构"),
                     "active": _l("启用"), "last_login": _l("最近登录"), "login_count": _l("登录次数"),
                     "created_on": _l("创建时间")}
    show_template = "institution/account_show.html"
    audit_changes = False  # the service writes the 操作日志

    def scoped_get(self, pk):
        account = super().scoped_get(pk)
        if account.account_type != "institution":
            abort(404)
        return account

    @expose("/show/<pk>", methods=["GET"])
    @has_access
    def show(self, pk):
        account = self.scoped_get(pk)
        return self.render_show(account, account=account, manages=service.sets_up(current_scope(), account.institution))

    @expose("/add", methods=["GET", "POST"])
    @has_access
    def add(self):
        choices = _institution_choices(service.managed_institutions(current_scope()))
        if not choices:
            flash(_("没有可设立账号的培训机构：只有设立培训机构的主管部门可以设立其管理人员账号"), "warning")
            return redirect(url_for(".list"))
        form = AccountForm()
        form.institution_id.choices = choices
        if request.method == "GET":
            wanted = request.args.get("institution_id", type=int)
            form.institution_id.data = wanted if wanted in {c.value for c in choices} else choices[0].value
        if request.method == "POST" and form.validate():
            try:
                account = service.create_manager_account(form.institution_id.data, form.username.data,
                                                         form.first_name.data, form.password.data,
                                                         form.confirm_password.data)
            except ServiceError as refused:
                attach_refusal(form, refused)
            else:
                flash(_("已设立管理人员账号“%(username)s”", username=account.username), "success")
                return redirect(url_for("InstitutionView.show", pk=account.institution_id))
        return self.render_form(form, ["institution_id", "username", "first_name", "password", "confirm_password"],
                                self.add_title)

    @expose("/resetpassword/<pk>", methods=["GET", "POST"])
    @has_access
    def resetpassword(self, pk):
        account = self.scoped_get(pk)
        form = PasswordForm()
        if request.method == "POST" and form.validate():
            try:
                service.reset_manager_password(account.id, form.password.data, form.confirm_password.data)
            except ServiceError as refused:
                attach_refusal(form, refused)
            else:
                flash(_("已重置账号“%(username)s”的密码", username=account.username), "success")
                return redirect(url_for(".show", pk=account.id))
        return self.render_form(form, ["password", "confirm_password"], _("重置密码"),
                                note=_("账号：%(username)s（%(name)s）", username=account.username,
                                       name=account.institution.name))

    def _set_active(self, items, active):
        done = 0
        for account in items if isinstance(items, list) else [items]:
            try:
                service.set_manager_active(account.id, active)
                done += 1
            except ServiceError as refused:
                flash("%s：%s" % (account.username, refused.message), "danger")
        if done:
            flash(_("已%(verb)s %(count)d 个账号", verb=_("启用") if active else _("停用"), count=done), "success")
        if not isinstance(items, list):
            return redirect(url_for(".show", pk=items.id))
        return redirect(url_for(".list"))

    @action("disable", _l("停用"), _l("确定停用所选账号？停用后不能登录系统"), "fa-ban")
    def disable(self, items):
        return self._set_active(items, False)

    @action("enable", _l("启用"), _l("确定启用所选账号？"), "fa-check")
    def enable(self, items):
        return self._set_active(items, True)
