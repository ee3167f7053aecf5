"""成绩报审 (score import, review) and 证书 (generation, pull, push, revoke)."""
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_babel import lazy_gettext as _l

from app.models import Certificate, ScoreReport
from app.views.base import ReadOnlyScopedView
from app.views.review import ReviewMixin, review_tabs

SCORE_LABELS = {"exam_plan": _l("考核计划"), "institution": _l("培训机构"), "review_state_label": _l("审核状态"),
                "review_state": _l("审核状态"), "review_opinion": _l("审核意见"), "imported_at": _l("成绩导入时间"),
                "submitted_at": _l("上报时间"), "accepted_at": _l("受理时间"), "reviewed_at": _l("审核时间")}
SCORE_SHOW = ["exam_plan", "institution", "imported_at", "review_state_label", "review_opinion", "submitted_at",
              "accepted_at", "reviewed_at"]


class ScoreReportReviewBase(ReviewMixin, ReadOnlyScopedView):
    """成绩证书 (成绩报审) as the department reviews it."""

    datamodel = SQLAInterface(ScoreReport)
    show_title = _l("成绩报审详情")
    list_columns = ["exam_plan", "institution", "review_state_label", "submitted_at", "reviewed_at"]
    show_columns = SCORE_SHOW
    search_columns = ["review_state", "submitted_at"]
    label_columns = SCORE_LABELS
    base_order = ("submitted_at", "desc")


ScoreReportReviewPending, ScoreReportReviewReviewed, ScoreReportReviewAll = review_tabs(
    ScoreReportReviewBase, "ScoreReportReview", "成绩证书")


class ScoreReportView(ReviewMixin, ReadOnlyScopedView):
    """成绩报审 as the institution manages it."""

    datamodel = SQLAInterface(ScoreReport)
    class_permission_name = "ScoreReport"
    base_permissions = ["can_list", "can_show", "can_workflow", "can_records"]
    list_title = _l("成绩报审")
    show_title = _l("成绩报审详情")
    list_columns = ["exam_plan", "imported_at", "review_state_label", "review_opinion"]
    show_columns = SCORE_SHOW
    search_columns = ["review_state"]
    label_columns = SCORE_LABELS
    _is_review_view = False


class CertificateView(ReadOnlyScopedView):
    """证书."""

    datamodel = SQLAInterface(Certificate)
    class_permission_name = "Certificate"
    list_title = _l("证书")
    list_columns = ["number", "worker", "trade_label", "skill_level_label", "institution", "issue_date", "status_label"]
    show_columns = ["number", "worker", "trade_label", "skill_level_label", "institution", "issue_date", "valid_until",
                    "status_label", "revoked", "revoke_reason"]
    search_columns = ["number", "trade_code", "status", "issue_date"]
    label_columns = {"number": _l("证书编号"), "worker": _l("学员"), "trade_code": _l("工种"), "trade_label": _l("工种"),
                     "skill_level": _l("技能等级"), "skill_level_label": _l("技能等级"), "institution": _l("发证机构"), "issue_date": _l("发证日期"),
                     "valid_until": _l("有效期至"), "status_label": _l("证书状态"), "status": _l("证书状态"),
                     "revoked": _l("已撤销"), "revoke_reason": _l("撤销原因")}


# --- 成绩导入 / 生成证书 / 拉取证书 / 推送 / 撤销: one page per exam plan -------------------------------------

import io  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import uuid  # noqa: E402

from flask import abort, current_app, flash, jsonify, redirect, request, send_file, session, url_for  # noqa: E402
from flask_appbuilder import BaseView, expose  # noqa: E402
from flask_appbuilder.security.decorators import has_access  # noqa: E402
from flask_babel import gettext as _  # noqa: E402
from sqlalchemy import select  # noqa: E402

from app.extensions import db  # noqa: E402
from app.models import ExamPlan  # noqa: E402
from app.security.scope import current_scope  # noqa: E402
from app.services import ServiceError  # noqa: E402
from app.services import certificates as certificate_service  # noqa: E402
from app.services import review as review_service  # noqa: E402
from app.services import scores as score_service  # noqa: E402

_ERROR_FILES = "score_import_errors"


def _error_folder(app):
    folder = os.path.join(app.config["EXPORT_FOLDER"], _ERROR_FILES)
    os.makedirs(folder, exist_ok=True)
    return folder


def _load_errors(app, exam_id):
    """The last refused import of this exam plan by this session: message, problems, workbook token."""
    mine = session.get("score_import_errors") or {}
    token = mine.get("token") or ""
    if mine.get("exam") != exam_id or not token.isalnum():
        return None
    try:
        with open(os.path.join(_error_folder(app), token + ".json"), encoding="utf-8") as source:
            errors = json.load(source)
    except OSError:
        return None
    errors["token"] = token if errors.get("workbook") else None
    return errors

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
        errors = _load_errors(current_app, exam.id) if request.args.get("errors") else None
        return self.render_template(
            "scores/exam.html", title=_("成绩与证书"), exam=exam, report=report, rows=score_service.scores_of(exam),
            roster_size=len(score_service.roster(exam)), owner=owner, reviewer=reviewer, moves=moves,
            can_import=owner and exam.review_state == "approved" and (report is None
                                                                     or report.review_state in ("draft", "rejected")),
            can_generate=reviewer and certificate_service.can_generate(exam), job=job,
            job_status=certificate_service.JOB_STATUS, can_pull=reviewer and certificate_service.can_pull(exam),
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
        data = upload.read() if upload else b""
        filename = upload.filename if upload else ""
        try:
            count = score_service.import_scores(exam, data, filename)
        except score_service.ScoreImportError as refused:
            token = uuid.uuid4().hex
            folder = _error_folder(current_app)
            if refused.workbook:
                with open(os.path.join(folder, token + ".xlsx"), "wb") as out:
                    out.write(refused.workbook)
            with open(os.path.join(folder, token + ".json"), "w", encoding="utf-8") as out:
                json.dump({"message": refused.message, "workbook": bool(refused.workbook),
                           "items": [[p.row or "", p.column, p.reason] for p in refused.problems[:500]],
                           "more": max(len(refused.problems) - 500, 0)}, out, ensure_ascii=False)
            session["score_import_errors"] = {"exam": exam.id, "token": token}
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
        mine = session.get("score_import_errors") or {}
        if not token or mine.get("token") != token or mine.get("exam") != exam.id or not token.isalnum():
            abort(404)
        path = os.path.join(_error_folder(current_app), token + ".xlsx")
        if not os.path.exists(path):
            abort(404)
        return send_file(path, mimetype=score_service.XLSX_MIME, as_attachment=True,
                         download_name="%s_成绩导入错误.xlsx" % exam.name)

    @expose("/exam/<int:exam_id>/workflow", methods=["POST"])
    @has_access
    def workflow(self, exam_id):
        exam = self._exam(exam_id)
        report = score_service.report_of(exam)
        move = request.form.get("move", "")
        if report is None or move not in ("submit", "withdraw"):
            flash(_("请先导入成绩再上报"), "danger")
        else:
            try:
                review_service.move(report, move, expected_version=request.form.get("version"))
            except ServiceError as refused:
                flash(refused.message, "danger")
            else:
                flash(_("操作成功（当前状态：%(s)s）", s=report.review_state_label), "success")
        return redirect(url_for(".exam", exam_id=exam.id))

    @expose("/exam/<int:exam_id>/generate", methods=["POST"])
    @has_access
    def generate(self, exam_id):
        exam = self._exam(exam_id)
        try:
            job = certificate_service.start_generation(exam)
        except ServiceError as refused:
            flash(refused.message, "danger")
        else:
            flash(_("证书生成任务已提交（%(s)s）", s=certificate_service.JOB_STATUS.get(job.status, job.status)), "success")
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
        try:
            count = certificate_service.pull(exam)
        except ServiceError as refused:
            flash(refused.message, "danger")
        else:
            flash(_("已拉取证书 %(n)d 张", n=count), "success")
        return redirect(url_for(".exam", exam_id=exam.id))

    @expose("/exam/<int:exam_id>/push", methods=["POST"])
    @has_access
    def push(self, exam_id):
        from app.services import push as push_service

        exam = self._exam(exam_id)
        if not current_scope().reviews_institution(exam.institution):
            abort(404)
        push_service.start_push([c for c in certificate_service.certificates_of(exam)])
        flash(_("已提交推送，推送结果见证书列表"), "success")
        return redirect(url_for(".exam", exam_id=exam.id))

    @expose("/certificate/<int:pk>/pdf")
    @has_access
    def pdf(self, pk):
        from app.documents.certificate_pdf import render
        from app.models import Certificate

        certificate = current_scope().get_or_404(db.session, Certificate, pk)
        info = certificate_service.public_info(certificate)
        data = render(info, request.host_url.rstrip("/") + certificate_service.verification_path(certificate.number))
        return send_file(io.BytesIO(data), mimetype="application/pdf", as_attachment=False,
                         download_name="证书_%s.pdf" % certificate.number)

    @expose("/certificate/<int:pk>/revoke", methods=["POST"])
    @has_access
    def revoke(self, pk):
        from app.models import Certificate

        certificate = current_scope().get_or_404(db.session, Certificate, pk)
        try:
            certificate_service.revoke(certificate, request.form.get("reason"))
        except ServiceError as refused:
            flash(refused.message, "danger")
        else:
            flash(_("证书已撤销"), "success")
        return redirect(url_for(".exam", exam_id=certificate.exam_plan_id))
