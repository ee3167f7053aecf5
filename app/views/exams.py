"""考核计划: the institution's list and form (新增/修改/删除, 上报/撤回 — also in bulk from the list), the
department's 未审核/已审核/全部 (bulk 受理 / 审核通过 / 审核不通过 with one opinion), and the exam documents
(准考证, 桌贴, 签到表, 汇总表) with the enterprise's 准考证下载.

All writes go through app.services.exams (the exam plan's data) and app.services.review (moves); every row is
loaded through the scope (404 otherwise); documents are drawn by app.documents.exam_docs.
"""
from urllib.parse import quote

from flask import Response, abort, flash, g, redirect, request, url_for
from flask_appbuilder import BaseView, action, expose
from flask_appbuilder.models.sqla.filters import FilterEqual
from flask_appbuilder.security.decorators import has_access, permission_name
from flask_babel import gettext, lazy_gettext as _l

from app.documents import exam_docs
from app.extensions import db
from app.models import ExamCandidate, ExamPlan, Institution, TrainingPlan
from app.security.scope import current_scope
from app.services import ServiceError, audit, submissions
from app.services import exams as exam_service
from app.services import review as review_service
from app.views.base import CappedCountInterface, ReadOnlyScopedView, refusal_errors
from app.views.review import (
    REVIEW_LABELS, BulkRejectMixin, DraftDeleteMixin, ReviewMixin, RowInfoListMixin, review_tabs, same_site_referrer,
)

EXAM_LABELS = {
    "institution": _l("培训机构"), "plan": _l("培训计划"), "name": _l("考核计划名称"), "theory_start": _l("理论考试开始"),
    "theory_end": _l("理论考试结束"), "practical_start": _l("实操考试开始"), "practical_end": _l("实操考试结束"),
    "site_address": _l("考核地点"), "rooms": _l("考场数"), "seats_per_room": _l("每考场座位数"),
    "pass_line": _l("合格线"), "year": _l("年度"), "serial": _l("序号"), **REVIEW_LABELS,
}
EXAM_SHOW = ["institution", "plan", "name", "year", "serial", "theory_start", "theory_end", "practical_start",
             "practical_end", "site_address", "rooms", "seats_per_room", "pass_line", "review_state_label",
             "review_opinion", "submitted_at", "accepted_at", "reviewed_at"]
FORM_FIELDS = exam_service.FIELDS


def _pdf(data, filename):
    return _download(data, filename, "application/pdf")


def _download(data, filename, mimetype):
    response = Response(data, mimetype=mimetype)
    response.headers["Content-Disposition"] = "attachment; filename*=UTF-8''%s" % quote(filename)
    response.headers["Cache-Control"] = "no-store"
    return response


class ExamListMixin(RowInfoListMixin):
    """The per-row facts the list template needs (state, opinion, editable, deletable), in one query."""

    row_prefix = "exam"

    def editable_states(self):
        return exam_service.EDITABLE_STATES


class ExamShowMixin:
    """Detail page: examiners, examinees (with ticket, room, seat once approved) and the documents."""

    show_template = "exams/show.html"

    def show_extras(self, exam):
        extras = super().show_extras(exam)
        scope = current_scope()
        extras["examiners"] = sorted(exam.examiners, key=lambda s: (s.name, s.id))
        extras["candidates"] = exam_service.visible_candidates(exam, scope)
        extras["removed"] = [c for c in exam.candidates if c.removed] if scope.kind != "enterprise" else []
        extras["edit_url"] = extras["delete_url"] = None
        extras["docs"] = exam_service.documents_available(exam)
        extras["room_numbers"] = exam_service.room_numbers(exam)
        extras["full_docs"] = scope.kind != "enterprise"
        return extras


# --- 主管部门: 未审核 / 已审核 / 全部 ---------------------------------------------------------------------

class ExamPlanReviewBase(ExamListMixin, ExamShowMixin, BulkRejectMixin, ReadOnlyScopedView):
    """考核计划 as the department reviews it: bulk 受理 / 审核通过 / 审核不通过 (one opinion, app.views.review)."""

    datamodel = CappedCountInterface(ExamPlan)
    show_title = _l("考核计划详情")
    list_columns = ["name", "institution", "plan", "theory_start", "review_state_label", "submitted_at"]
    show_columns = EXAM_SHOW
    search_columns = ["name", "review_state", "theory_start"]
    label_columns = EXAM_LABELS
    base_order = ("submitted_at", "desc")
    document_label = _l("考核计划")


ExamPlanReviewPending, ExamPlanReviewReviewed, ExamPlanReviewAll = review_tabs(
    ExamPlanReviewBase, "ExamPlanReview", "考核计划")


# --- 培训机构: 考核计划管理 ------------------------------------------------------------------------------

class ExamPlanView(ExamListMixin, ExamShowMixin, DraftDeleteMixin, ReviewMixin, ReadOnlyScopedView):
    """考核计划 as the institution manages it: 新增, 修改 (未上报/审核不通过), 删除 (从未上报), 上报/撤回 (also
    in bulk from the list), documents."""

    datamodel = CappedCountInterface(ExamPlan)
    class_permission_name = "ExamPlan"
    base_permissions = ["can_list", "can_show", "can_add", "can_edit", "can_delete", "can_workflow", "can_records"]
    method_permission_name = {**ReviewMixin.method_permission_name, "bulk_submit": "workflow",
                              "bulk_withdraw": "workflow"}
    list_title = _l("考核计划")
    show_title = _l("考核计划详情")
    list_columns = ["name", "plan", "theory_start", "practical_start", "review_state_label"]
    show_columns = EXAM_SHOW
    search_columns = ["name", "review_state"]
    label_columns = EXAM_LABELS
    base_order = ("id", "desc")
    _is_review_view = False

    # --- 上报 / 撤回 from the list: each row through the review engine, refusals reported per row ------

    @action("bulk_submit", "上报", _l("确定上报所选考核计划？"), "fa-upload", single=False)
    def bulk_submit(self, items):
        self._flash_result(*review_service.move_many(items, "submit"), "上报")
        return redirect(self._list_url(same_site_referrer()))

    @action("bulk_withdraw", "撤回", _l("确定撤回所选考核计划？已受理的不能撤回。"), "fa-undo", single=False)
    def bulk_withdraw(self, items):
        self._flash_result(*review_service.move_many(items, "withdraw"), "撤回")
        return redirect(self._list_url(same_site_referrer()))

    def show_extras(self, exam):
        extras = super().show_extras(exam)
        if not exam_service.edit_refusal(exam) and self.appbuilder.sm.has_access("can_edit", "ExamPlan"):
            extras["edit_url"] = url_for(self.endpoint + ".edit", pk=exam.id)
        if not exam_service.delete_refusal(exam) and self.appbuilder.sm.has_access("can_delete", "ExamPlan"):
            extras["delete_url"] = url_for(self.endpoint + ".delete", pk=exam.id)
        return extras

    def _institution(self):
        scope = current_scope()
        return db.session.get(Institution, scope.institution_id) if scope.institution_id else None

    @staticmethod
    def _posted():
        data = {name: request.form.get(name, "") for name in FORM_FIELDS}
        data["examiner_ids"] = request.form.getlist("examiner_ids")
        removed = {}
        for value in request.form.getlist("remove"):
            try:
                enrollment_id = int(value)
            except ValueError:
                continue
            removed[enrollment_id] = request.form.get("reason_%d" % enrollment_id, "")
        data["removed"] = removed
        return data

    def _render_form(self, *, title, plan, exam, data, errors, eligible_plans=None, form_token=None):
        from app.services.exams import eligible_enrollments, examiner_choices

        examiners = examiner_choices(plan.institution_id, plan) if plan is not None else []
        enrollments = eligible_enrollments(plan, exam) if plan is not None and plan.attendance_confirmed_at else []
        return self.render_template(
            "exams/form.html", title=title, plan=plan, exam=exam, data=data, errors=errors, form_token=form_token,
            eligible_plans=eligible_plans, examiners=examiners, enrollments=enrollments,
            specialty=exam_service.plan_specialty(plan) if plan is not None else None,
            min_examiners=exam_service.min_examiners(), list_url=url_for(self.endpoint + ".list"),
            cancel_url=url_for(self.endpoint + ".show", pk=exam.id) if exam is not None else url_for(self.endpoint + ".list"),
        )

    @expose("/add", methods=["GET", "POST"])
    @has_access
    def add(self):
        scope = current_scope()
        if scope.kind != "institution":
            flash(gettext("只有培训机构可以新增考核计划"), "warning")
            return redirect(url_for(self.endpoint + ".list"))
        institution = self._institution()
        if institution is None or institution.status != "active":
            flash(gettext("培训机构已注销，不能新增考核计划"), "danger")
            return redirect(url_for(self.endpoint + ".list"))
        plan_id = request.values.get("plan_id")
        title = gettext("新增考核计划")
        if not plan_id:
            plans = exam_service.eligible_plans(institution.id)
            return self._render_form(title=title, plan=None, exam=None, data={}, errors={}, eligible_plans=plans)
        plan = scope.get_or_404(db.session, TrainingPlan, plan_id)
        data = {"name": "%s考核" % plan.name, "site_address": plan.location or ""}
        errors = {}
        if plan.attendance_confirmed_at is None:
            errors["plan_id"] = gettext("该培训计划尚未确认考勤，不能创建考核计划")
        # One token per form instance: kept through a refused post, so the same form posted twice saves one plan.
        form_token = request.form.get("form_token") or submissions.new_token()
        if request.method == "POST":
            data = self._posted()
            try:
                exam = exam_service.create_exam_plan(institution.id, plan.id, data, user=g.user, form_token=form_token)
            except submissions.AlreadySubmitted as twice:
                flash(gettext("该考核计划已保存，重复提交的表单未再次保存"), "info")
                return redirect(url_for(self.endpoint + ".show", pk=twice.object_id) if twice.object_id
                                else url_for(self.endpoint + ".list"))
            except ServiceError as refused:
                errors = refusal_errors(refused)
            else:
                flash(gettext("已保存考核计划“%(name)s”（未上报），确认无误后请上报", name=exam.name), "success")
                return redirect(url_for(self.endpoint + ".show", pk=exam.id))
        return self._render_form(title=title, plan=plan, exam=None, data=data, errors=errors, form_token=form_token)

    @expose("/edit/<pk>", methods=["GET", "POST"])
    @has_access
    def edit(self, pk):
        exam = self.scoped_get(pk)
        refusal = exam_service.edit_refusal(exam)
        if refusal:
            flash(refusal, "warning")
            return redirect(url_for(self.endpoint + ".show", pk=exam.id))
        errors = {}
        if request.method == "POST":
            data = self._posted()
            try:
                changes = exam_service.update_exam_plan(exam, data, user=g.user,
                                                        expected_version=request.form.get("version"))
            except ServiceError as refused:
                errors = refusal_errors(refused)
            else:
                flash(gettext("已保存修改") if changes else gettext("没有需要保存的修改"), "success")
                return redirect(url_for(self.endpoint + ".show", pk=exam.id))
        else:
            data = {name: getattr(exam, name) for name in FORM_FIELDS}
            data["examiner_ids"] = [s.id for s in exam.examiners]
            data["removed"] = {c.enrollment_id: c.removed_reason for c in exam.candidates if c.removed}
        return self._render_form(title=gettext("修改考核计划"), plan=exam.plan, exam=exam, data=data, errors=errors)

    deleted_message = _l("已删除考核计划“%(name)s”")

    def delete_document(self, document, user):
        exam_service.delete_exam_plan(document, user=user)


# --- 企业: 准考证下载 ------------------------------------------------------------------------------------

class ExamTicketView(ReadOnlyScopedView):
    """The enterprise's approved exam plans with its own workers' 准考证 (scope: its enrollments only)."""

    datamodel = CappedCountInterface(ExamPlan)
    class_permission_name = "ExamTicket"
    base_permissions = ["can_list", "can_show"]
    base_filters = [["review_state", FilterEqual, "approved"]]
    list_title = _l("准考证下载")
    show_title = _l("准考证下载")
    show_template = "exams/ticket_show.html"
    list_columns = ["name", "institution", "theory_start", "practical_start", "site_address"]
    show_columns = ["institution", "plan", "name", "theory_start", "theory_end", "practical_start", "practical_end",
                    "site_address"]
    search_columns = ["name"]
    label_columns = EXAM_LABELS
    base_order = ("id", "desc")

    def scoped_get(self, pk):
        """An exam plan of this list: in scope and approved (404 otherwise, like the list's base filter)."""
        exam = super().scoped_get(pk)
        if exam.review_state != "approved":
            abort(404)
        return exam

    @expose("/show/<pk>", methods=["GET"])
    @has_access
    def show(self, pk):
        exam = self.scoped_get(pk)
        return self.render_show(exam, document=exam, candidates=exam_service.visible_candidates(exam, current_scope()),
                                docs=exam_service.documents_available(exam))


# --- downloads ---------------------------------------------------------------------------------------

class ExamDocumentView(BaseView):
    """准考证 (single / batch), 桌贴, 签到表, 汇总表 — every row through the scope; the enterprise gets only
    its own workers' 准考证, everything else answers 404."""

    route_base = "/examdocs"
    class_permission_name = "ExamDocument"
    default_view = "tickets"

    def _exam(self, exam_id, *, institution_level=False):
        scope = current_scope()
        if institution_level and scope.kind == "enterprise":
            abort(404)
        exam = scope.get_or_404(db.session, ExamPlan, exam_id)
        if not exam_service.documents_available(exam):
            abort(404)
        return exam, scope

    def _log(self, exam, what):
        audit.record("export", exam, detail=what)
        db.session.commit()

    @expose("/ticket/<candidate_id>")
    @has_access
    @permission_name("download")
    def ticket(self, candidate_id):
        scope = current_scope()
        candidate = scope.get_or_404(db.session, ExamCandidate, candidate_id)
        exam = candidate.exam_plan
        if candidate.removed or not candidate.ticket_no or not exam_service.documents_available(exam) \
                or not scope.can_see(db.session, exam):
            abort(404)
        data = exam_docs.tickets_pdf(exam, [candidate], title="准考证 %s" % candidate.ticket_no)
        self._log(exam, "准考证 %s" % candidate.ticket_no)
        return _pdf(data, "准考证_%s_%s.pdf" % (candidate.ticket_no, candidate.enrollment.worker_name))

    @expose("/tickets/<exam_id>")
    @has_access
    @permission_name("download")
    def tickets(self, exam_id):
        exam, scope = self._exam(exam_id)
        candidates = exam_service.visible_candidates(exam, scope)
        if not candidates:
            abort(404)
        data = exam_docs.tickets_pdf(exam, candidates)
        self._log(exam, "准考证（批量，%d人）" % len(candidates))
        return _pdf(data, "准考证_%s.pdf" % exam.name)

    @expose("/desk/<exam_id>/<int:room_no>")
    @has_access
    @permission_name("download")
    def desk(self, exam_id, room_no):
        exam, scope = self._exam(exam_id, institution_level=True)
        if room_no not in exam_service.room_numbers(exam):
            abort(404)
        data = exam_docs.desk_cards_pdf(exam, room_no, exam_service.visible_candidates(exam, scope))
        self._log(exam, "桌贴 第%d考场" % room_no)
        return _pdf(data, "桌贴_%s_第%d考场.pdf" % (exam.name, room_no))

    @expose("/signin/<exam_id>/<int:room_no>/<subject>")
    @has_access
    @permission_name("download")
    def signin(self, exam_id, room_no, subject):
        exam, scope = self._exam(exam_id, institution_level=True)
        if subject not in exam_docs.SUBJECTS or room_no not in exam_service.room_numbers(exam):
            abort(404)
        data = exam_docs.sign_in_pdf(exam, room_no, subject, exam_service.visible_candidates(exam, scope))
        label = exam_docs.SUBJECTS[subject]
        self._log(exam, "签到表 第%d考场 %s" % (room_no, label))
        return _pdf(data, "签到表_%s_第%d考场_%s.pdf" % (exam.name, room_no, label))

    @expose("/summary/<exam_id>")
    @has_access
    @permission_name("download")
    def summary(self, exam_id):
        exam, scope = self._exam(exam_id, institution_level=True)
        data = exam_docs.summary_xlsx(exam, exam_service.visible_candidates(exam, scope))
        self._log(exam, "汇总表")
        return _download(data, "汇总表_%s.xlsx" % exam.name,
                         "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
