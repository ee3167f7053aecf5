"""成绩报审 (score import, review) and 证书 (list, detail, generation, pull, push, 查看证书, 撤销)."""
import datetime
import io

from flask import abort, current_app, flash, jsonify, redirect, request, send_file, session, url_for
from flask_appbuilder import BaseView, expose
from flask_appbuilder.models.filters import BaseFilter
from flask_appbuilder.models.sqla.filters import FilterEqual, FilterStartsWith
from flask_appbuilder.security.decorators import has_access
from flask_appbuilder.widgets import ListWidget
from flask_babel import gettext as _, lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import joinedload
from wtforms import SelectField, StringField
from wtforms.fields.choices import SelectChoice

from app.extensions import db
from app.models import Certificate, ExamPlan, ScoreReport, Worker
from app.security.filters import starts_with
from app.security.scope import current_scope
from app.services import ServiceError
from app.services import certificates as certificate_service
from app.services import push as push_service
from app.services import review as review_service
from app.services import scores as score_service
from app.services.dictionaries import DictSelectField
from app.services.uploads import read_limited
from app.validators import normalize_id_number
from app.views.base import (
    CappedCountInterface, FilterWorkerName, ReadOnlyScopedView, display_value, flash_queue_notice, queue_notice,
    run_and_redirect,
)
from app.views.review import REVIEW_LABELS, ReviewMixin, review_tabs
from app.web import local_path

SCORE_LABELS = {"exam_plan": _l("考核计划"), "institution": _l("培训机构"), "imported_at": _l("成绩导入时间"),
                **REVIEW_LABELS}
SCORE_SHOW = ["exam_plan", "institution", "imported_at", "review_state_label", "review_opinion", "submitted_at",
              "accepted_at", "reviewed_at"]


class ScoreRowsMixin:
    """The 成绩报审 detail shows the scores the report is about (the department decides on them there)."""

    def show_extras(self, document):
        extras = super().show_extras(document)
        extras["rows"] = score_service.scores_of(document.exam_plan)
        return extras


class ScoreReportReviewBase(ScoreRowsMixin, ReviewMixin, ReadOnlyScopedView):
    """成绩证书 (成绩报审) as the department reviews it."""

    datamodel = CappedCountInterface(ScoreReport)
    show_title = _l("成绩报审详情")
    list_columns = ["exam_plan", "institution", "review_state_label", "submitted_at", "reviewed_at"]
    show_columns = SCORE_SHOW
    search_columns = ["review_state", "submitted_at"]
    label_columns = SCORE_LABELS
    base_order = ("submitted_at", "desc")


ScoreReportReviewPending, ScoreReportReviewReviewed, ScoreReportReviewAll = review_tabs(
    ScoreReportReviewBase, "ScoreReportReview", "成绩证书")


class ScoreReportView(ScoreRowsMixin, ReviewMixin, ReadOnlyScopedView):
    """成绩报审 as the institution manages it."""

    datamodel = CappedCountInterface(ScoreReport)
    class_permission_name = "ScoreReport"
    base_permissions = ["can_list", "can_show", "can_workflow", "can_records"]
    list_title = _l("成绩报审")
    show_title = _l("成绩报审详情")
    list_columns = ["exam_plan", "imported_at", "review_state_label", "review_opinion"]
    show_columns = SCORE_SHOW
    search_columns = ["review_state"]
    label_columns = SCORE_LABELS
    _is_review_view = False


# --- 证书: list, detail, 查看证书 (PDF), 撤销 -------------------------------------------------------------
# Everything goes through ScopedModelView's scope (list, detail) or current_scope().get_or_404 (PDF, 撤销).
# 撤销 is offered to, and allowed for, only the department that set the issuing institution up.

CERT_STATUS_LABELS = {"generated": _l("证书已生成未推送"), "pushed": _l("证书已推送")}
PUSH_STATUS_LABELS = {"pushed": _l("已推送"), "pending": _l("待推送"), "retrying": _l("推送失败，等待重试"),
                      "failed": _l("推送失败"), "none": _l("未推送"), "cancelled": _l("已撤销，不推送")}
CONTROL = {"class": "form-control"}


def may_revoke(certificate, scope=None):
    """撤销 is offered to the department Scope names (SPEC §3 "who acts") when it holds 证书 rights."""
    scope = scope or current_scope()
    return scope.revokes_certificate(certificate) and _holds_certificate_rights(scope)


def _holds_certificate_rights(scope):
    return scope.kind == "department" and current_app.appbuilder.sm.has_access("can_certificate", "Scores")


def certificate_pdf(certificate):
    """The certificate as a PDF (QR code → the signed public verification page), shown in the browser."""
    from app.documents.certificate_pdf import render

    info = certificate_service.public_info(certificate)
    data = render(info, request.host_url.rstrip("/") + certificate_service.verification_path(certificate.number))
    return send_file(io.BytesIO(data), mimetype="application/pdf", as_attachment=False,
                     download_name="证书_%s.pdf" % certificate.number)


class CertificateInterface(CappedCountInterface):
    """The list's page query loads each row's 学员 and 发证机构 in the same SELECT (no query per row); the count is
    capped (518,000 certificates at province scope)."""

    def apply_all(self, query, *args, **kwargs):
        query = super().apply_all(query, *args, **kwargs)
        return query.options(joinedload(Certificate.worker), joinedload(Certificate.institution))


class FilterWorkerIdNumber(BaseFilter):
    """身份证号 equals (the whole number, any case of the final X)."""

    name = _l("等于")
    arg_name = "eq"

    def apply(self, query, value):
        text = normalize_id_number(value)[:18]
        if not text:
            return query
        return query.filter(Certificate.worker_id.in_(select(Worker.id).where(Worker.id_number == text)))


class FilterNumberStartsWith(FilterStartsWith):
    """证书编号 starts with (FAB's own, with a typed % or _ literal)."""

    def apply(self, query, value):
        text = (value or "").strip()[:32]
        if not text:
            return query
        return query.filter(starts_with(Certificate.number, text))


class FilterNumberEqual(FilterEqual):
    def apply(self, query, value):
        text = (value or "").strip()[:32]
        return query.filter(Certificate.number == text) if text else query


class FilterRevoked(BaseFilter):
    name = _l("等于")
    arg_name = "eq"

    def apply(self, query, value):
        if value in ("1", "y", "true"):
            return query.filter(Certificate.revoked.is_(True))
        if value in ("0", "n", "false"):
            return query.filter(Certificate.revoked.is_(False))
        return query


def _date(value):
    try:
        return datetime.date.fromisoformat((value or "").strip()[:10])
    except ValueError:
        return None


class FilterIssuedFrom(BaseFilter):
    name = _l("不早于")
    arg_name = "ge"

    def apply(self, query, value):
        day = _date(value)
        return query if day is None else query.filter(Certificate.issue_date >= day)


class FilterIssuedTo(BaseFilter):
    name = _l("不晚于")
    arg_name = "le"

    def apply(self, query, value):
        day = _date(value)
        return query if day is None else query.filter(Certificate.issue_date <= day)


class CertificateListWidget(ListWidget):
    """FAB's list with 证书状态 (已撤销), 推送状态 (with the last error) and 操作 (查看证书, 撤销) per row."""

    template = "scores/certificate_list_widget.html"


CERT_LABELS = {
    "number": _l("证书编号"), "worker": _l("学员"), "worker.name": _l("姓名"), "worker_name": _l("姓名"),
    "worker.masked_id_number": _l("身份证号"), "id_number": _l("身份证号"), "trade_code": _l("工种"),
    "trade_label": _l("工种"), "skill_level": _l("技能等级"), "skill_level_label": _l("技能等级"),
    "institution": _l("发证机构"), "exam_plan": _l("考核计划"), "issue_date": _l("发证日期"),
    "valid_until": _l("有效期至"), "status_label": _l("证书状态"), "status": _l("证书状态"),
    "push_status": _l("推送状态"), "operations": _l("操作"), "revoked": _l("已撤销"), "revoke_reason": _l("撤销原因"),
    "revoked_at": _l("撤销时间"), "pulled_at": _l("拉取时间"), "pushed_at": _l("推送时间"),
    "push_attempts": _l("推送次数"), "last_push_error": _l("推送错误"),
}


class CertificateView(ReadOnlyScopedView):
    """证书: every certificate in the user's scope, searchable, with 查看证书 and (for the acting department) 撤销."""

    datamodel = CertificateInterface(Certificate)
    class_permission_name = "Certificate"
    # 查看证书 and the 撤销 page need the right to see the certificate; 撤销 itself is checked by may_revoke().
    method_permission_name = {"pdf": "show", "revoke": "show"}
    list_title = _l("证书")
    show_title = _l("证书详情")
    list_widget = CertificateListWidget
    show_template = "scores/certificate_show.html"
    list_columns = ["number", "worker.name", "worker.masked_id_number", "trade_label", "skill_level_label",
                    "institution", "issue_date", "status_label", "push_status", "operations"]
    show_columns = ["number", "worker.name", "worker.masked_id_number", "trade_label", "skill_level_label",
                    "institution", "exam_plan", "issue_date", "valid_until", "pulled_at", "pushed_at", "push_attempts"]
    order_columns = ["number", "issue_date"]
    base_order = ("id", "desc")
    search_columns = ["number", "worker_name", "id_number", "trade_code", "status", "revoked", "issue_date"]
    label_columns = CERT_LABELS
    formatters_columns = {"valid_until": lambda value: display_value(value) if value else _("长期有效")}
    virtual_columns = ("worker_name", "id_number")  # searched by their own filters only (below)
    custom_filters = {
        "number": [FilterNumberEqual, FilterNumberStartsWith],
        "worker_name": [FilterWorkerName],
        "id_number": [FilterWorkerIdNumber],
        "trade_code": [FilterEqual],
        "status": [FilterEqual],
        "revoked": [FilterRevoked],
        "issue_date": [FilterIssuedFrom, FilterIssuedTo],
    }
    search_form_extra_fields = {
        "worker_name": StringField(_l("姓名"), render_kw=CONTROL),
        "id_number": StringField(_l("身份证号"), render_kw=CONTROL),
        "trade_code": DictSelectField(_l("工种"), dict_type="trade", render_kw=CONTROL),
        "status": SelectField(_l("证书状态"), choices=[SelectChoice(k, v) for k, v in CERT_STATUS_LABELS.items()],
                              render_kw=CONTROL),
        "revoked": SelectField(_l("已撤销"), choices=[SelectChoice("1", _l("是")), SelectChoice("0", _l("否"))],
                               render_kw=CONTROL),
    }

    def _init_properties(self):
        columns = list(self.search_columns)
        # FAB would log "Filter type not supported" for the virtual ones: add their filters afterwards.
        self.search_columns = [c for c in columns if c not in self.virtual_columns]
        super()._init_properties()
        self.search_columns = columns
        for column, classes in self.custom_filters.items():
            filters = [cls(column, self.datamodel) for cls in classes]
            self._filters._search_filters[column] = filters
            self._filters._all_filters[column] = filters

    def _here(self):
        """This page's local URL (with its filters and page): where 撤销 comes back to."""
        return request.full_path.rstrip("?")

    def _get_list_widget(self, filters, **kwargs):
        widgets = super()._get_list_widget(filters, **kwargs)
        widget = widgets["list"]
        widget.template_args["row_info"] = self.row_info(widget.template_args.get("pks") or [])
        widget.template_args["here"] = self._here()
        return widgets

    def row_info(self, pks):
        """{pk: {revoked, status, push, push_error, push_attempts, can_revoke}} for the rows shown, in one query."""
        if not pks:
            return {}
        scope = current_scope()
        permitted = _holds_certificate_rights(scope)
        info = {}
        for certificate, outbox, push, error in push_service.push_states(pks).values():
            info[certificate.id] = {
                "revoked": certificate.revoked, "revoked_at": certificate.revoked_at,
                "revoke_reason": certificate.revoke_reason,
                "status": CERT_STATUS_LABELS.get(certificate.status, certificate.status_label),
                "push": push, "push_label": PUSH_STATUS_LABELS[push], "push_error": error,
                "push_attempts": certificate.push_attempts or 0,
                "next_attempt_at": outbox.next_attempt_at if outbox is not None and push == "retrying" else None,
                "can_revoke": bool(permitted and not certificate.revoked and scope.revokes_certificate(certificate)),
            }
        return info

    @expose("/show/<pk>", methods=["GET"])
    @has_access
    def show(self, pk):
        certificate = self.scoped_get(pk)
        return self.render_show(certificate, certificate=certificate,
                                info=self.row_info([certificate.id])[certificate.id], here=self._here())

    @expose("/pdf/<pk>")
    @has_access
    def pdf(self, pk):
        """查看证书: the PDF of a certificate in scope (also for 企业 and 培训机构, which have no 成绩 page)."""
        return certificate_pdf(self.scoped_get(pk))

    @expose("/revoke/<pk>", methods=["GET", "POST"])
    @has_access
    def revoke(self, pk):
        """撤销 with a reason (required), then back to `next` (a local path) or the exam plan's page."""
        certificate = self.scoped_get(pk)
        if not may_revoke(certificate):
            abort(403)
        back = local_path(request.values.get("next")) or url_for("ScoreImportView.exam",
                                                                exam_id=certificate.exam_plan_id)
        if certificate.revoked:
            flash(_("该证书已撤销"), "warning")
            return redirect(back)
        error, reason = None, (request.form.get("reason") or "").strip()
        if request.method == "POST":
            if not reason:
                error = _("请填写撤销原因")
            else:
                try:
                    certificate_service.revoke(certificate, reason)
                except ServiceError as refused:
                    error = refused.message
                else:
                    flash(_("证书已撤销"), "success")
                    return redirect(back)
        return self.render_template("scores/certificate_revoke.html", title=_("撤销证书"), certificate=certificate,
                                    back=back, error=error, reason=reason)


# --- 成绩导入 / 生成证书 / 拉取证书 / 推送 / 撤销: one page per exam plan -------------------------------------

IMPORT_ERRORS_KEY = "score_import_errors"  # session: {"exam": id, "token": …} of this session's last refused import

ScoreReportReviewBase.show_template = "scores/report_show.html"
ScoreReportView.show_template = "scores/report_show.html"


class ScoreImportView(BaseView):
    """成绩导入 (institution) and 成绩/证书 of one exam plan (department): template, import, 上报, 生成证书 …"""

    route_base = "/scores"
    default_view = "index"
    class_permission_name = "Scores"
    # For the scope checks of the test-suite: which model each record argument designates.
    scoped_args = {"exam_id": ExamPlan}
    scoped_models = {"pdf": Certificate, "revoke": Certificate}
    method_permission_name = {
        "index": "list", "exam": "list", "template": "list", "progress": "list", "pdf": "list", "errors": "list",
        "import_scores": "import", "workflow": "import",
        "generate": "certificate", "pull": "certificate", "push": "certificate", "revoke": "certificate",
    }

    def _exam(self, exam_id):
        return current_scope().get_or_404(db.session, ExamPlan, exam_id)

    @staticmethod
    def _import_errors(exam):
        """The last refused import of this exam plan by this session: message, problems, workbook token."""
        mine = session.get(IMPORT_ERRORS_KEY) or {}
        return score_service.import_errors(mine.get("token")) if mine.get("exam") == exam.id else None

    @expose("/")
    @has_access
    def index(self):
        scope = current_scope()
        exams = db.session.execute(
            scope.filter(select(ExamPlan), ExamPlan).where(ExamPlan.review_state == "approved")
            .order_by(ExamPlan.id.desc()).limit(200)).scalars().all()
        reports = {r.exam_plan_id: r for r in db.session.execute(
            select(score_service.ScoreReport).where(score_service.ScoreReport.exam_plan_id.in_([e.id for e in exams]))
        ).scalars()} if exams else {}
        return self.render_template("scores/index.html", title=_("成绩导入"), exams=exams, reports=reports)

    @expose("/exam/<int:exam_id>")
    @has_access
    def exam(self, exam_id):
        exam = self._exam(exam_id)
        scope = current_scope()
        report = score_service.report_of(exam)
        owner = scope.owns_institution(exam.institution_id)
        reviewer = scope.reviews_institution(exam.institution)
        moves = [m for m in (review_service.available_actions(report) if report else []) if m in ("submit", "withdraw")]
        if owner and report is None and exam.review_state == "approved":
            moves = []
        job = certificate_service.latest_job(exam)
        errors = self._import_errors(exam) if request.args.get("errors") else None
        return self.render_template(
            "scores/exam.html", title=_("成绩与证书"), exam=exam, report=report, rows=score_service.scores_of(exam),
            roster_size=len(score_service.roster(exam)), owner=owner, reviewer=reviewer, moves=moves,
            can_import=owner and exam.review_state == "approved" and (report is None
                                                                     or report.review_state in ("draft", "rejected")),
            can_generate=reviewer and certificate_service.can_generate(exam), job=job,
            job_stale=reviewer and job is not None and certificate_service.is_stale(job),
            job_status=certificate_service.JOB_STATUS, job_notice=queue_notice(job) if job is not None else None,
            can_pull=reviewer and certificate_service.can_pull(exam),
            certificates=certificate_service.certificates_of(exam), errors=errors,
        )

    @expose("/exam/<int:exam_id>/template")
    @has_access
    def template(self, exam_id):
        exam = self._exam(exam_id)
        try:
            data = score_service.build_template(exam)
        except ServiceError as refused:
            flash(refused.message, "danger")
            return redirect(url_for(".exam", exam_id=exam.id))
        return send_file(io.BytesIO(data), mimetype=score_service.XLSX_MIME, as_attachment=True,
                         download_name=score_service.template_filename(exam))

    @expose("/exam/<int:exam_id>/import", methods=["POST"])
    @has_access
    def import_scores(self, exam_id):
        exam = self._exam(exam_id)
        if not current_scope().owns_institution(exam.institution_id):
            abort(404)
        upload = request.files.get("file")
        data = read_limited(upload)
        filename = upload.filename if upload else ""
        try:
            count = score_service.import_scores(exam, data, filename)
        except score_service.ScoreImportError as refused:
            session[IMPORT_ERRORS_KEY] = {"exam": exam.id, "token": score_service.keep_import_errors(refused)}
            flash(refused.message, "danger")
            return redirect(url_for(".exam", exam_id=exam.id, errors=1))
        except ServiceError as refused:
            flash(refused.message, "danger")
        else:
            flash(_("成绩导入成功，共 %(n)d 条", n=count), "success")
        return redirect(url_for(".exam", exam_id=exam.id))

    @expose("/exam/<int:exam_id>/errors/<token>")
    @has_access
    def errors(self, exam_id, token):
        exam = self._exam(exam_id)
        mine = session.get(IMPORT_ERRORS_KEY) or {}
        path = score_service.import_errors_workbook(token) if mine.get("token") == token else None
        if path is None or mine.get("exam") != exam.id:
            abort(404)
        return send_file(path, mimetype=score_service.XLSX_MIME, as_attachment=True,
                         download_name="%s_成绩导入错误.xlsx" % exam.name)

    @expose("/exam/<int:exam_id>/workflow", methods=["POST"])
    @has_access
    def workflow(self, exam_id):
        exam = self._exam(exam_id)
        report = score_service.report_of(exam)
        move = request.form.get("move", "")
        back = url_for(".exam", exam_id=exam.id)
        if report is None or move not in ("submit", "withdraw"):
            flash(_("请先导入成绩再上报"), "danger")
            return redirect(back)
        return run_and_redirect(lambda: review_service.move(report, move, expected_version=request.form.get("version")),
                                lambda _moved: _("操作成功（当前状态：%(s)s）", s=report.review_state_label), back)

    @expose("/exam/<int:exam_id>/generate", methods=["POST"])
    @has_access
    def generate(self, exam_id):
        exam = self._exam(exam_id)
        try:
            job = certificate_service.start_generation(exam)
        except ServiceError as refused:
            flash(refused.message, "danger")
        else:
            if not flash_queue_notice(job):
                flash(_("证书生成任务已提交（%(s)s）", s=certificate_service.JOB_STATUS.get(job.status, job.status)),
                      "success")
        return redirect(url_for(".exam", exam_id=exam.id))

    @expose("/exam/<int:exam_id>/progress")
    @has_access
    def progress(self, exam_id):
        exam = self._exam(exam_id)
        job = certificate_service.latest_job(exam)
        if job is None:
            return jsonify(status=None)
        return jsonify(status=job.status, label=certificate_service.JOB_STATUS.get(job.status, job.status),
                       total=job.total, done=job.done, error=job.error)

    @expose("/exam/<int:exam_id>/pull", methods=["POST"])
    @has_access
    def pull(self, exam_id):
        exam = self._exam(exam_id)
        return run_and_redirect(lambda: certificate_service.pull(exam), lambda count: _("已拉取证书 %(n)d 张", n=count),
                                url_for(".exam", exam_id=exam.id))

    @expose("/exam/<int:exam_id>/push", methods=["POST"])
    @has_access
    def push(self, exam_id):
        exam = self._exam(exam_id)
        if not current_scope().reviews_institution(exam.institution):
            abort(404)
        push_service.start_push([c for c in certificate_service.certificates_of(exam)])
        if not flash_queue_notice(push_service.PUSH_SUBJECT):
            flash(_("已提交推送，推送结果见证书列表"), "success")
        return redirect(url_for(".exam", exam_id=exam.id))

    @expose("/certificate/<int:pk>/pdf")
    @has_access
    def pdf(self, pk):
        return certificate_pdf(current_scope().get_or_404(db.session, Certificate, pk))

    @expose("/certificate/<int:pk>/revoke", methods=["POST"])
    @has_access
    def revoke(self, pk):
        """撤销 from the exam plan's page (or any page passing `next`, a local path): back there afterwards."""
        certificate = current_scope().get_or_404(db.session, Certificate, pk)
        back = local_path(request.form.get("next")) or url_for(".exam", exam_id=certificate.exam_plan_id)
        return run_and_redirect(lambda: certificate_service.revoke(certificate, request.form.get("reason")),
                                _("证书已撤销"), back)
