"""学员管理, 培训报名 (企业) and 报名管理 (培训机构: 缴费 / 开班 / 确认考勤; 主管部门: 退回考勤).

Thin views: every write goes through app.services.workers / app.services.enrollment, every row is
loaded through the scope (an out-of-scope id answers 404), refusals come back as Chinese messages.
"""
import datetime

from flask import abort, flash, g, redirect, request, send_file, url_for
from flask_appbuilder import expose
from flask_appbuilder.models.filters import BaseFilter
from flask_appbuilder.security.decorators import has_access, permission_name
from flask_babel import gettext, lazy_gettext as _l
from sqlalchemy import and_, select
from wtforms import FileField, StringField
from wtforms.validators import DataRequired, Length

from app.extensions import db
from app.models import Enrollment, TrainingPlan, Worker
from app.security.filters import contains
from app.security.scope import current_scope
from app.services import ServiceError
from app.services import enrollment as enrollment_service
from app.services import workers as worker_service
from app.services.dictionaries import DictSelectField
from app.views.base import CappedCountInterface, ReadOnlyScopedView, ScopedModelView, attach_refusal, run_and_redirect
from app.views.dict_fields import strip

CONTROL = {"class": "form-control"}
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
WORKER_LABELS = {"name": _l("姓名"), "masked_id_number": _l("身份证号"), "id_number": _l("身份证号"),
                 "gender": _l("性别"), "birth_date": _l("出生日期"), "mobile": _l("手机号"), "education": _l("学历"),
                 "education_label": _l("学历"), "enterprise": _l("所属企业"), "photo": _l("照片")}
PLAN_LABELS = {"name": _l("计划名称"), "institution": _l("培训机构"), "trade_label": _l("工种"),
               "skill_level_label": _l("技能等级"), "training_type_label": _l("培训类型"), "capacity": _l("计划人数"),
               "fee": _l("培训费用（元）"), "hours": _l("学时"), "enroll_start": _l("报名开始"),
               "enroll_end": _l("报名截止"), "train_start": _l("培训开始"), "train_end": _l("培训结束"),
               "location": _l("培训地点"), "progress_label": _l("进度"), "class_opened_at": _l("开班时间"),
               "attendance_confirmed_at": _l("考勤确认时间")}


def _is_enterprise():
    return current_scope().kind == "enterprise"


# --- 学员管理 --------------------------------------------------------------------------------------

WORKER_FIELDS = {
    "id_number": StringField(_l("身份证号"), filters=[strip], render_kw=CONTROL,
                             validators=[DataRequired(message=_l("请填写身份证号"))],
                             description=_l("18位身份证号；性别和出生日期由身份证号自动得出")),
    "name": StringField(_l("姓名"), filters=[strip], render_kw=CONTROL, validators=[
        DataRequired(message=_l("请填写姓名")), Length(max=50, message=_l("姓名不能超过50个字"))]),
    "mobile": StringField(_l("手机号"), filters=[strip], render_kw=CONTROL,
                          validators=[DataRequired(message=_l("请填写手机号"))]),
    "education": DictSelectField(_l("学历"), dict_type="education", render_kw=CONTROL,
                                 validators=[DataRequired(message=_l("请选择学历"))]),
    "photo": FileField(_l("照片"), description=_l("可选；JPG、PNG或PDF，不超过上传大小限制")),
}


class WorkerRosterView(ScopedModelView):
    """学员管理: the enterprise's roster (新增 by 身份证号, 修改, 删除, 批量导入, 转入本企业); others read it."""

    route_base = "/workerview"
    datamodel = CappedCountInterface(Worker)
    class_permission_name = "Worker"
    base_permissions = ["can_list", "can_show", "can_add", "can_edit", "can_delete", "can_import", "can_transfer"]
    list_title = _l("学员管理")
    show_title = _l("学员详情")
    add_title = _l("新增学员")
    edit_title = _l("修改学员")
    list_columns = ["name", "masked_id_number", "gender", "birth_date", "mobile", "education_label", "enterprise"]
    show_columns = ["name", "masked_id_number", "gender", "birth_date", "mobile", "education_label", "enterprise"]
    add_columns = ["id_number", "name", "mobile", "education", "photo"]
    edit_columns = ["name", "mobile", "education", "photo"]
    add_form_extra_fields = WORKER_FIELDS
    edit_form_extra_fields = {k: v for k, v in WORKER_FIELDS.items() if k != "id_number"}
    search_columns = ["name", "id_number", "mobile"]
    order_columns = ["name", "birth_date"]
    label_columns = WORKER_LABELS
    base_order = ("id", "desc")
    list_template = "enrollment/worker_list.html"
    add_template = "enrollment/worker_add.html"
    audit_changes = False  # the service records the 操作日志

    def _refuse_unless_enterprise(self):
        if not _is_enterprise():
            flash(gettext("只有企业可以维护学员名单"), "warning")
            return redirect(url_for(self.endpoint + ".list"))
        return None

    @expose("/add", methods=["GET", "POST"])
    @has_access
    def add(self):
        refused = self._refuse_unless_enterprise()
        if refused:
            return refused
        form = self.add_form.refresh()
        elsewhere = None
        if request.method == "POST" and form.validate():
            data = {name: form[name].data for name in ("id_number", "name", "mobile", "education")}
            try:
                worker = worker_service.add_worker(current_scope().enterprise_id, data, user=g.user,
                                                   photo=request.files.get("photo"))
            except worker_service.WorkerElsewhere as other:
                elsewhere = other
                attach_refusal(form, other)
            except ServiceError as refusal:
                attach_refusal(form, refusal)
            else:
                flash(gettext("已新增学员“%(name)s”", name=worker.name), "success")
                return redirect(url_for(self.endpoint + ".list"))
        widgets = self._get_add_widget(form=form, exclude_cols=[])
        return self.render_template(self.add_template, title=self.add_title, widgets=widgets, elsewhere=elsewhere,
                                    transfer_url=url_for(self.endpoint + ".transfer"))

    @expose("/edit/<pk>", methods=["GET", "POST"])
    @has_access
    def edit(self, pk):
        refused = self._refuse_unless_enterprise()
        if refused:
            return refused
        worker = self.scoped_get(pk)
        g.dict_form_record = worker
        if request.method == "POST":
            form = self.edit_form.refresh(request.form)
            if form.validate():
                try:
                    changes = worker_service.update_worker(
                        worker, {name: form[name].data for name in ("name", "mobile", "education")}, user=g.user,
                        photo=request.files.get("photo"))
                except ServiceError as refusal:
                    attach_refusal(form, refusal)
                else:
                    flash(gettext("已保存修改") if changes else gettext("没有需要保存的修改"), "success")
                    return redirect(url_for(self.endpoint + ".list"))
        else:
            form = self.edit_form.refresh(obj=worker)
        widgets = {"edit": self.edit_widget(form=form, include_cols=self.edit_columns, exclude_cols=[],
                                            fieldsets=self.edit_fieldsets)}
        return self.render_template(self.edit_template, title=self.edit_title, widgets=widgets,
                                    related_views=self._related_views)

    @expose("/delete/<pk>", methods=["GET", "POST"])
    @has_access
    def delete(self, pk):
        if request.method != "POST":
            abort(405)
        refused = self._refuse_unless_enterprise()
        if refused:
            return refused
        worker = self.scoped_get(pk)
        return run_and_redirect(lambda: worker_service.delete_worker(worker, user=g.user),
                                gettext("已删除学员“%(name)s”", name=worker.name), url_for(self.endpoint + ".list"))

    @expose("/transfer", methods=["POST"])
    @has_access
    @permission_name("transfer")
    def transfer(self):
        refused = self._refuse_unless_enterprise()
        if refused:
            return refused
        return run_and_redirect(
            lambda: worker_service.transfer_worker(current_scope().enterprise_id, request.form.get("id_number"),
                                                   user=g.user),
            lambda worker: gettext("已将学员“%(name)s”转入本企业", name=worker.name), url_for(self.endpoint + ".list"),
            refused_back=url_for(self.endpoint + ".add"))

    # --- 批量导入 -----------------------------------------------------------------------------------

    @expose("/template")
    @has_access
    @permission_name("import")
    def template(self):
        import io

        return send_file(io.BytesIO(worker_service.template_workbook()), mimetype=XLSX, as_attachment=True,
                         download_name="学员导入模板.xlsx")

    @expose("/import", methods=["GET", "POST"])
    @has_access
    @permission_name("import")
    def import_workers(self):
        refused = self._refuse_unless_enterprise()
        if refused:
            return refused
        result, error = None, None
        if request.method == "POST":
            try:
                result = worker_service.import_workers(current_scope().enterprise_id, request.files.get("file"),
                                                       user=g.user)
            except ServiceError as refusal:
                error = refusal.message
            else:
                if result.ok:
                    flash(gettext("导入成功：新增学员%(count)d人", count=result.created), "success")
                    return redirect(url_for(self.endpoint + ".list"))
                token = worker_service.keep_import_errors(result, g.user.id)
                result.download_url = url_for(self.endpoint + ".import_errors", token=token)
        return self.render_template("enrollment/worker_import.html", title=gettext("批量导入学员"), result=result,
                                    error=error, template_url=url_for(self.endpoint + ".template"),
                                    back=url_for(self.endpoint + ".list"),
                                    max_rows=worker_service.get_int(worker_service.IMPORT_MAX_ROWS))

    @expose("/import_errors/<token>")
    @has_access
    @permission_name("import")
    def import_errors(self, token):
        path = worker_service.import_errors_workbook(token, g.user.id)
        if path is None:
            abort(404)
        return send_file(path, mimetype=XLSX, as_attachment=True, download_name="学员导入错误信息.xlsx")


# --- 培训报名 (企业) ---------------------------------------------------------------------------------

def _enrolling_filter():
    today = datetime.date.today()
    return and_(TrainingPlan.review_state == "approved", TrainingPlan.enroll_start <= today,
                TrainingPlan.enroll_end >= today)


class FilterEnrolling(BaseFilter):
    name = "报名中"
    arg_name = None

    def apply(self, query, value):
        return query.filter(_enrolling_filter())


class FilterApproved(BaseFilter):
    name = "审核通过"
    arg_name = None

    def apply(self, query, value):
        return query.filter(TrainingPlan.review_state == "approved")


class EnrollPlanView(ReadOnlyScopedView):
    """培训报名: approved plans that are 报名中; a plan's page enrolls workers of the roster and cancels."""

    route_base = "/enrollplan"
    datamodel = CappedCountInterface(TrainingPlan)
    class_permission_name = "EnrollPlan"
    base_permissions = ["can_list", "can_show", "can_enroll", "can_cancel"]
    base_filters = [["id", FilterEnrolling, None]]
    list_title = _l("培训报名")
    list_columns = ["name", "institution", "trade_label", "skill_level_label", "fee", "capacity", "enroll_end",
                    "train_start", "location", "progress_label"]
    search_columns = ["name", "enroll_end", "train_start"]
    order_columns = ["name", "enroll_end", "train_start"]
    label_columns = PLAN_LABELS
    base_order = ("enroll_end", "asc")

    @expose("/show/<pk>")
    @has_access
    def show(self, pk):
        plan = current_scope().get_or_404(db.session, TrainingPlan, pk)
        scope = current_scope()
        mine = db.session.execute(select(Enrollment).where(
            Enrollment.plan_id == plan.id, scope.criterion(Enrollment)).order_by(Enrollment.id)).scalars().all()
        taken = {e.worker_id for e in mine if e.cancelled_at is None}
        query = (request.args.get("q") or "").strip()
        roster = []
        if scope.kind == "enterprise":
            statement = select(Worker).where(scope.criterion(Worker)).order_by(Worker.name).limit(200)
            if query:
                statement = statement.where(contains(Worker.name, query) | (Worker.id_number == query.upper())
                                            | (Worker.mobile == query))
            roster = [w for w in db.session.execute(statement).scalars() if w.id not in taken]
        return self.render_template(
            "enrollment/enroll_plan.html", title=gettext("培训报名"), plan=plan, mine=mine, roster=roster, query=query,
            refusal=enrollment_service.enroll_refusal(plan), remaining=enrollment_service.remaining_seats(plan),
            status=enrollment_service.enrollment_status, back=url_for(self.endpoint + ".list"),
            enroll_url=url_for(self.endpoint + ".enroll", pk=plan.id))

    @expose("/enroll/<pk>", methods=["POST"])
    @has_access
    @permission_name("enroll")
    def enroll(self, pk):
        plan = current_scope().get_or_404(db.session, TrainingPlan, pk)
        if not _is_enterprise():
            abort(403)
        try:
            done = enrollment_service.enroll(plan.id, current_scope().enterprise_id,
                                             request.form.getlist("worker_id"), user=g.user)
        except (ServiceError, ValueError) as refusal:
            flash(getattr(refusal, "message", None) or gettext("所选学员无效"), "danger")
        else:
            flash(gettext("报名成功：%(count)d人", count=len(done)), "success")
        return redirect(url_for(self.endpoint + ".show", pk=plan.id))

    @expose("/cancel/<pk>", methods=["POST"])
    @has_access
    @permission_name("cancel")
    def cancel(self, pk):
        plan = current_scope().get_or_404(db.session, TrainingPlan, pk)
        enrollment = current_scope().get_or_404(db.session, Enrollment, request.form.get("enrollment_id"))
        if enrollment.plan_id != plan.id:
            abort(404)
        if not _is_enterprise():
            abort(403)
        return run_and_redirect(
            lambda: enrollment_service.cancel(enrollment, reason=request.form.get("reason"), user=g.user),
            gettext("已取消报名"), url_for(self.endpoint + ".show", pk=enrollment.plan_id))


# --- 报名管理 (培训机构; 主管部门 read-only + 退回考勤) ---------------------------------------------------

class EnrollmentManageView(ReadOnlyScopedView):
    """报名管理: per approved plan, its enrollees with 缴费确认, 开班, 考勤 and 确认考勤."""

    route_base = "/enrollmanage"
    datamodel = CappedCountInterface(TrainingPlan)
    class_permission_name = "EnrollmentManage"
    base_permissions = ["can_list", "can_show", "can_pay", "can_open", "can_attendance", "can_reopen"]
    base_filters = [["id", FilterApproved, None]]
    list_title = _l("报名管理")
    list_columns = ["name", "institution", "trade_label", "capacity", "enroll_start", "enroll_end", "progress_label",
                    "class_opened_at", "attendance_confirmed_at"]
    search_columns = ["name", "enroll_start", "enroll_end"]
    order_columns = ["name", "enroll_start", "enroll_end"]
    label_columns = PLAN_LABELS
    base_order = ("id", "desc")

    def _plan(self, pk):
        plan = current_scope().get_or_404(db.session, TrainingPlan, pk)
        if plan.review_state != "approved":
            abort(404)
        return plan

    def _may(self, permission):
        return self.appbuilder.sm.has_access(permission, self.class_permission_name)

    @expose("/show/<pk>")
    @has_access
    def show(self, pk):
        plan = self._plan(pk)
        scope = current_scope()
        enrollees = db.session.execute(select(Enrollment).where(
            Enrollment.plan_id == plan.id, scope.criterion(Enrollment)).order_by(Enrollment.id)).scalars().all()
        owner = scope.owns_institution(plan.institution_id)
        return self.render_template(
            "enrollment/manage_plan.html", title=gettext("报名管理"), plan=plan, enrollees=enrollees,
            status=enrollment_service.enrollment_status, owner=owner and plan.institution.status == "active",
            attendance_refusal=enrollment_service.attendance_refusal(plan),
            may_reopen=self._may("can_reopen") and (scope.kind == "admin" or scope.reviews_institution(plan.institution)),
            now=datetime.datetime.now().strftime("%Y-%m-%d %H:%M"), back=url_for(self.endpoint + ".list"))

    def _owned_plan(self, pk):
        plan = self._plan(pk)
        if not current_scope().owns_institution(plan.institution_id):
            abort(403)
        return plan

    def _back(self, plan):
        return url_for(self.endpoint + ".show", pk=plan.id)

    @expose("/pay/<pk>", methods=["POST"])
    @has_access
    @permission_name("pay")
    def pay(self, pk):
        plan = self._owned_plan(pk)
        items = [current_scope().get_or_404(db.session, Enrollment, rowid) for rowid in request.form.getlist("rowid")]
        if any(item.plan_id != plan.id for item in items):
            abort(404)
        return run_and_redirect(
            lambda: enrollment_service.confirm_payment(items, amount=request.form.get("amount"),
                                                       paid_at=request.form.get("paid_at"),
                                                       receipt_no=request.form.get("receipt_no"), user=g.user),
            lambda count: gettext("已确认缴费：%(count)d人", count=count), self._back(plan))

    @expose("/open/<pk>", methods=["POST"])
    @has_access
    @permission_name("open")
    def open_class(self, pk):
        plan = self._owned_plan(pk)
        return run_and_redirect(lambda: enrollment_service.open_class(plan, user=g.user),
                                lambda count: gettext("已开班：%(count)d人", count=count), self._back(plan))

    @expose("/attendance/<pk>", methods=["POST"])
    @has_access
    @permission_name("attendance")
    def attendance(self, pk):
        plan = self._owned_plan(pk)
        saved, problems = enrollment_service.save_attendance(plan, request.form, user=g.user)
        for problem in problems:
            flash(problem, "danger")
        if saved:
            flash(gettext("已保存考勤：%(count)d人", count=saved), "success")
        if request.form.get("confirm") and not problems:
            return run_and_redirect(lambda: enrollment_service.confirm_attendance(plan, user=g.user),
                                    lambda passed: gettext("已确认考勤，合格%(count)d人", count=passed), self._back(plan))
        return redirect(self._back(plan))

    @expose("/reopen/<pk>", methods=["POST"])
    @has_access
    @permission_name("reopen")
    def reopen(self, pk):
        plan = self._plan(pk)
        return run_and_redirect(
            lambda: enrollment_service.reopen_attendance(plan, reason=request.form.get("reason"), user=g.user,
                                                         scope=current_scope()),
            gettext("已退回考勤，培训机构可重新录入"), self._back(plan))
