"""培训计划: the institution's list and form (新增/修改/删除, 上报/撤回) and the department's 未审核/已审核/全部.

All writes go through services: app.services.plans (the plan's data) and app.services.review (moves).
FAB's own add/edit/delete flows are replaced so that a refusal keeps the user's input and shows the
Chinese message next to the field, and so that every row is loaded through the scope (404 otherwise).
"""
import datetime

from flask import flash, g, redirect, request, url_for
from flask_appbuilder import action, expose
from flask_appbuilder.fieldwidgets import DatePickerWidget
from flask_appbuilder.models.filters import BaseFilter
from flask_appbuilder.models.sqla.filters import FilterEqual
from flask_appbuilder.security.decorators import has_access
from flask_babel import gettext, lazy_gettext as _l
from sqlalchemy import and_
from wtforms import DateField, DecimalField, HiddenField, IntegerField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from app.extensions import db
from app.models import Institution, TrainingPlan
from app.security.scope import current_scope
from app.services import ServiceError, submissions
from app.services import plans as plan_service
from app.services import review as review_service
from app.services.dictionaries import DictSelectField
from app.services.staffing import gaps_by_trade
from app.views.base import CappedCountInterface, FilterInstitutionName, ReadOnlyScopedView, ScopedModelView, attach_refusal
from app.views.dict_fields import strip
from app.views.review import (
    REVIEW_LABELS, BulkRejectMixin, DraftDeleteMixin, ReviewMixin, RowInfoListMixin, review_tabs, same_site_referrer,
)
from app.workflow import STATES

PLAN_LABELS = {
    "institution": _l("培训机构"), "institution_name": _l("培训机构名称"), "name": _l("计划名称"),
    "trade_code": _l("工种"), "trade_label": _l("工种"), "skill_level": _l("技能等级"),
    "skill_level_label": _l("技能等级"), "training_type": _l("培训类型"), "training_type_label": _l("培训类型"),
    "capacity": _l("计划人数"), "fee": _l("培训费用（元）"), "hours": _l("学时"),
    "enroll_start": _l("报名开始"), "enroll_end": _l("报名截止"), "train_start": _l("培训开始"),
    "train_end": _l("培训结束"), "location": _l("培训地点"), "contact_person": _l("联系人"),
    "contact_phone": _l("联系电话"), "progress_label": _l("进度"), "progress": _l("进度"), **REVIEW_LABELS,
}
PLAN_SHOW = ["institution", "name", "trade_label", "skill_level_label", "training_type_label", "capacity", "fee",
             "hours", "enroll_start", "enroll_end", "train_start", "train_end", "location", "contact_person",
             "contact_phone", "review_state_label", "progress_label", "review_opinion", "submitted_at", "accepted_at",
             "reviewed_at"]
PLAN_FORM = list(plan_service.FIELDS)
PROGRESS_CHOICES = [SelectChoice("enrolling", _l("报名中")), SelectChoice("finished", _l("培训结束")),
                    SelectChoice("not_started", _l("未开始报名"))]
CONTROL = {"class": "form-control"}


# --- search: by institution NAME (no relation filter loading every institution), 工种, state, progress ----

class FilterProgress(BaseFilter):
    """进度 (SPEC §7) from the dates of approved plans: 报名中 / 培训结束 / 未开始报名."""

    name = _l("等于")
    arg_name = "eq"

    def apply(self, query, value):
        today = datetime.date.today()
        approved = TrainingPlan.review_state == "approved"
        conditions = {
            "enrolling": and_(approved, TrainingPlan.enroll_start <= today, TrainingPlan.enroll_end >= today),
            "finished": and_(approved, TrainingPlan.enroll_end < today),
            "not_started": and_(approved, TrainingPlan.enroll_start > today),
        }
        condition = conditions.get(value)
        return query if condition is None else query.filter(condition)


class StateSelectField(SelectField):
    """审核状态 as a select of the Chinese state names (the search form only)."""

    def __init__(self, label=None, validators=None, **kwargs):
        super().__init__(label, validators, choices=[], validate_choice=False, **kwargs)

    def iter_choices(self):
        self.choices = [SelectChoice(key, gettext(text)) for key, text in STATES.items()]
        return super().iter_choices()


class PlanListMixin(RowInfoListMixin):
    """Search fields and filters, and the per-row facts the list template needs."""

    row_prefix = "plan"
    custom_filters = {
        "institution_name": [FilterInstitutionName],
        "progress": [FilterProgress],
        "trade_code": [FilterEqual],
        "review_state": [FilterEqual],
    }
    search_form_extra_fields = {
        "institution_name": StringField(_l("培训机构名称"), render_kw=CONTROL),
        "trade_code": DictSelectField(_l("工种"), dict_type="trade", render_kw=CONTROL),
        "review_state": StateSelectField(_l("审核状态"), render_kw=CONTROL),
        "progress": SelectField(_l("进度"), choices=PROGRESS_CHOICES, render_kw=CONTROL),
    }

    virtual_columns = ("institution_name", "progress")  # searchable, but not columns of the model

    def _init_properties(self):
        columns = list(self.search_columns or [])
        # FAB would log "Filter type not supported" for the virtual ones: add their filters afterwards.
        self.search_columns = [c for c in columns if c not in self.virtual_columns]
        super()._init_properties()
        self.search_columns = columns
        for column, classes in self.custom_filters.items():
            if column in self.search_columns:
                filters = [cls(column, self.datamodel) for cls in classes]
                self._filters._search_filters[column] = filters
                self._filters._all_filters[column] = filters

    def editable_states(self):
        """Editable states; 审核通过 too when the settings leave some fields editable after approval."""
        states = set(plan_service.EDITABLE_STATES)
        if plan_service.fields_editable_after_approval():
            states.add("approved")
        return states


class PlanShowMixin:
    """Detail page: the rejection opinion up front, progress, and (for the owner) 修改 / 删除."""

    show_template = "plans/show.html"

    def show_extras(self, plan):
        extras = super().show_extras(plan)
        extras["progress"] = plan.progress()
        extras["edit_url"] = extras["delete_url"] = None
        return extras


# --- 主管部门: 未审核 / 已审核 / 全部 ---------------------------------------------------------------------

class TrainingPlanReviewBase(PlanListMixin, PlanShowMixin, BulkRejectMixin, ReadOnlyScopedView):
    """培训计划 as the department reviews it: bulk 受理 / 审核通过 / 审核不通过 (one opinion, app.views.review)."""

    datamodel = CappedCountInterface(TrainingPlan)
    show_title = _l("培训计划详情")
    list_columns = ["name", "institution", "trade_label", "skill_level_label", "enroll_start", "enroll_end",
                    "review_state_label", "progress_label", "submitted_at"]
    show_columns = PLAN_SHOW
    search_columns = ["name", "institution_name", "trade_code", "review_state", "progress", "enroll_start",
                      "enroll_end", "train_start", "train_end", "submitted_at"]
    order_columns = ["name", "enroll_start", "enroll_end", "submitted_at"]
    label_columns = PLAN_LABELS
    base_order = ("submitted_at", "desc")
    document_label = _l("培训计划")


TrainingPlanReviewPending, TrainingPlanReviewReviewed, TrainingPlanReviewAll = review_tabs(
    TrainingPlanReviewBase, "TrainingPlanReview", "培训计划")


# --- 培训机构: 培训计划管理 ------------------------------------------------------------------------------

def _date_field(label, message):
    return DateField(label, format="%Y-%m-%d", widget=DatePickerWidget(),
                     validators=[InputRequired(message=message)])


class TradeSelectField(DictSelectField):
    """工种 of the plan form: the trades the institution's 师资及考评员 qualify for first; the others greyed out
    below with what is missing (a plan for them could not be saved). The plan's current trade stays choosable."""

    def _load_choices(self):
        grouped = getattr(self, "_grouped_choices", None)
        if grouped is not None:  # rendering asks has_groups() and iter_choices(), validation once more: one lookup
            self.choices = grouped
            return
        super()._load_choices()
        institution_id = current_scope().institution_id
        if not institution_id:
            return
        blank, trades = self.choices[0], self.choices[1:]
        missing = gaps_by_trade(institution_id, [c.value for c in trades])
        current = self.current_value()
        ready = [SelectChoice(c.value, c.label, optgroup=gettext("师资及考评员满足要求")) for c in trades
                 if not missing[c.value] or c.value == current]
        unready = [SelectChoice(c.value, gettext("%(trade)s（%(missing)s）", trade=c.label,
                                                 missing="；".join(missing[c.value])),
                                render_kw={"disabled": True}, optgroup=gettext("不可选：师资及考评员不足"))
                   for c in trades if missing[c.value] and c.value != current]
        self.choices = self._grouped_choices = [blank] + ready + unready

    def has_groups(self):
        self._load_choices()  # the widget asks before it iterates: the groups exist once the choices are read
        return super().has_groups()


PLAN_FORM_FIELDS = {
    "name": StringField(_l("计划名称"), filters=[strip], render_kw=CONTROL, validators=[
        DataRequired(message=_l("请填写计划名称")), Length(max=200, message=_l("计划名称不能超过200个字"))]),
    "trade_code": TradeSelectField(_l("工种"), dict_type="trade", render_kw=CONTROL,
                                   validators=[DataRequired(message=_l("请选择工种"))],
                                   description=_l("只能选择本机构师资及考评员满足要求的工种；其余工种列在后面并注明缺少的人员")),
    "skill_level": DictSelectField(_l("技能等级"), dict_type="skill_level", render_kw=CONTROL,
                                   validators=[DataRequired(message=_l("请选择技能等级"))]),
    "training_type": DictSelectField(_l("培训类型"), dict_type="training_type", render_kw=CONTROL,
                                     validators=[DataRequired(message=_l("请选择培训类型"))]),
    "capacity": IntegerField(_l("计划人数"), render_kw=CONTROL, validators=[InputRequired(message=_l("请填写计划人数"))],
                             description=_l("大于0的整数")),
    "fee": DecimalField(_l("培训费用（元）"), places=2, render_kw=CONTROL, validators=[InputRequired(message=_l("请填写培训费用"))],
                        description=_l("不小于0，最多两位小数")),
    "hours": IntegerField(_l("学时"), render_kw=CONTROL, validators=[InputRequired(message=_l("请填写学时"))],
                          description=_l("大于0的整数")),
    "enroll_start": _date_field(_l("报名开始"), _l("请填写报名开始日期，格式如 2026-11-28")),
    "enroll_end": _date_field(_l("报名截止"), _l("请填写报名截止日期，格式如 2026-11-28")),
    "train_start": _date_field(_l("培训开始"), _l("请填写培训开始日期，格式如 2026-11-28")),
    "train_end": _date_field(_l("培训结束"), _l("请填写培训结束日期，格式如 2026-11-28")),
    "location": StringField(_l("培训地点"), filters=[strip], render_kw=CONTROL, validators=[
        Optional(), Length(max=255, message=_l("培训地点不能超过255个字"))]),
    "contact_person": StringField(_l("联系人"), filters=[strip], render_kw=CONTROL, validators=[
        Optional(), Length(max=50, message=_l("联系人不能超过50个字"))]),
    "contact_phone": StringField(_l("联系电话"), filters=[strip], render_kw=CONTROL, validators=[Optional()],
                                 description=_l("11位手机号或区号+号码，如 0571-87654321")),
}


class TrainingPlanView(PlanListMixin, PlanShowMixin, DraftDeleteMixin, ReviewMixin, ScopedModelView):
    """培训计划 as the institution manages it: list, 新增, 修改 (未上报/审核不通过), 删除 (从未上报), 上报/撤回."""

    datamodel = CappedCountInterface(TrainingPlan)
    class_permission_name = "TrainingPlan"
    base_permissions = ["can_list", "can_show", "can_add", "can_edit", "can_delete", "can_workflow", "can_records"]
    method_permission_name = {**ReviewMixin.method_permission_name, "bulk_submit": "workflow",
                              "bulk_withdraw": "workflow"}
    list_title = _l("培训计划")
    show_title = _l("培训计划详情")
    add_title = _l("新增培训计划")
    edit_title = _l("修改培训计划")
    list_columns = ["name", "trade_label", "skill_level_label", "training_type_label", "capacity", "enroll_start",
                    "enroll_end", "train_start", "train_end", "review_state_label", "progress_label"]
    show_columns = PLAN_SHOW
    add_columns = PLAN_FORM + ["form_token"]
    edit_columns = PLAN_FORM + ["version"]
    add_form_extra_fields = {**PLAN_FORM_FIELDS, "form_token": HiddenField(default=submissions.new_token)}
    edit_form_extra_fields = {**PLAN_FORM_FIELDS, "version": HiddenField()}
    search_columns = ["name", "trade_code", "review_state", "progress", "enroll_start", "train_start"]
    order_columns = ["name", "capacity", "enroll_start", "enroll_end", "train_start", "train_end"]
    label_columns = PLAN_LABELS
    base_order = ("id", "desc")
    audit_changes = False  # the service records the 操作日志
    _is_review_view = False

    # --- 上报 / 撤回 from the list (each row re-checked by the review service) -------------------------

    @action("bulk_submit", "上报", "确定上报所选培训计划？", "fa-upload", single=False)
    def bulk_submit(self, items):
        self._flash_result(*review_service.move_many(items, "submit"), "上报")
        return redirect(self._list_url(same_site_referrer()))

    @action("bulk_withdraw", "撤回", "确定撤回所选培训计划？已受理的不能撤回。", "fa-undo", single=False)
    def bulk_withdraw(self, items):
        self._flash_result(*review_service.move_many(items, "withdraw"), "撤回")
        return redirect(self._list_url(same_site_referrer()))

    # --- detail ---------------------------------------------------------------------------------------

    def show_extras(self, plan):
        extras = super().show_extras(plan)
        if not plan_service.edit_refusal(plan) and self._may("can_edit"):
            extras["edit_url"] = url_for(self.endpoint + ".edit", pk=plan.id)
        if not plan_service.delete_refusal(plan) and self._may("can_delete"):
            extras["delete_url"] = url_for(self.endpoint + ".delete", pk=plan.id)
        return extras

    def _may(self, permission):
        return self.appbuilder.sm.has_access(permission, self.class_permission_name)

    # --- 新增 / 修改 / 删除 through app.services.plans ----------------------------------------------------

    def _form_data(self, form, names):
        return {name: form[name].data for name in names if name in form}

    def _precheck(self, form, names, plan=None):
        """Run the service rules on what parsed, so every message shows at once next to its field."""
        data = {name: form[name].data for name in names if name in form and not form[name].errors}
        try:
            plan_service.validate(data, self._institution(plan), plan)
        except plan_service.PlanInvalid as refused:
            for name, message in refused.errors.items():
                if name is None:
                    continue
                if name in form and not form[name].errors:
                    form[name].errors = [message]

    def _institution(self, plan=None):
        if plan is not None:
            return plan.institution
        scope = current_scope()
        return db.session.get(Institution, scope.institution_id) if scope.institution_id else None

    @expose("/add", methods=["GET", "POST"])
    @has_access
    def add(self):
        scope = current_scope()
        if scope.kind != "institution":
            flash(gettext("只有培训机构可以新增培训计划"), "warning")
            return redirect(url_for(self.endpoint + ".list"))
        institution = self._institution()
        if institution is None or institution.status != "active":
            flash(gettext("培训机构已注销，不能新增培训计划"), "danger")
            return redirect(url_for(self.endpoint + ".list"))
        form = self.add_form.refresh()
        if request.method == "POST":
            valid = form.validate()
            if valid:
                try:
                    plan = plan_service.create_plan(scope.institution_id, self._form_data(form, PLAN_FORM), user=g.user,
                                                    form_token=form.form_token.data)
                except submissions.AlreadySubmitted as twice:  # a double click: show the plan the first one saved
                    flash(gettext("该培训计划已保存，重复提交的表单未再次保存"), "info")
                    if twice.object_id:
                        return redirect(url_for(self.endpoint + ".show", pk=twice.object_id))
                    return redirect(url_for(self.endpoint + ".list"))
                except ServiceError as refused:
                    attach_refusal(form, refused)
                else:
                    flash(gettext("已保存培训计划“%(name)s”（未上报），确认无误后请上报", name=plan.name), "success")
                    return redirect(url_for(self.endpoint + ".show", pk=plan.id))
            else:
                self._precheck(form, PLAN_FORM)
        widgets = self._get_add_widget(form=form, exclude_cols=[])
        return self.render_template(self.add_template, title=self.add_title, widgets=widgets)

    @expose("/edit/<pk>", methods=["GET", "POST"])
    @has_access
    def edit(self, pk):
        plan = self.scoped_get(pk)
        refusal = plan_service.edit_refusal(plan)
        if refusal:
            flash(refusal, "warning")
            return redirect(url_for(self.endpoint + ".show", pk=plan.id))
        g.dict_form_record = plan  # keeps a since-disabled 工种 selectable for this plan
        allowed = plan_service.editable_fields(plan)
        hidden = [name for name in PLAN_FORM if name not in allowed]
        if request.method == "POST":
            form = self.edit_form.refresh(request.form)
            form._id = plan.id
            for name in hidden:
                del form[name]
            if form.validate():
                try:
                    changes = plan_service.update_plan(plan, self._form_data(form, allowed), user=g.user,
                                                       expected_version=form.version.data)
                except ServiceError as refused:
                    attach_refusal(form, refused)
                else:
                    flash(gettext("已保存修改") if changes else gettext("没有需要保存的修改"), "success")
                    return redirect(url_for(self.endpoint + ".show", pk=plan.id))
            else:
                self._precheck(form, allowed, plan)
        else:
            form = self.edit_form.refresh(obj=plan)
            form.version.data = plan.review_version
            for name in hidden:
                del form[name]
            if plan.review_state == "approved":
                flash(gettext("该培训计划已审核通过，只能修改系统设置允许的字段"), "info")
        widgets = {"edit": self.edit_widget(form=form, include_cols=[c for c in self.edit_columns if c not in hidden],
                                            exclude_cols=[], fieldsets=self.edit_fieldsets)}
        return self.render_template(self.edit_template, title=self.edit_title, widgets=widgets,
                                    related_views=self._related_views)

    deleted_message = _l("已删除培训计划“%(name)s”")

    def delete_document(self, document, user):
        plan_service.delete_plan(document, user=user)
