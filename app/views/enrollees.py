"""报名人员查询 (SPEC §8): the query page, 详情 and 导出, plus the owner's export jobs.

A purpose-made page instead of FAB's ModelView list: FAB counts the whole (scoped) table for every
page and offers its generic filters; this page filters through app.services.enrollees (the one query
builder, also used by the export and its Celery task), pages by keyset (page_size + 1 rows), and
counts only on request. Every row goes through the scope; an out-of-scope id answers 404.
"""
import datetime
from urllib.parse import urlencode

from flask import abort, current_app, flash, g, jsonify, redirect, request, send_file, url_for
from flask_appbuilder import BaseView, expose
from flask_appbuilder.security.decorators import has_access, permission_name
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.documents.xlsx_out import XLSX_MIMETYPE
from app.extensions import db
from app.models import Enrollment, ExportJob
from app.security.scope import current_scope
from app.services import ServiceError
from app.services import enrollees as enrollee_service
from app.services import exports as export_service
from app.services.settings import get_int
from app.validators import mask_id_number
from app.views.base import flash_queue_notice, queue_notice

# Labels of the query form (Chinese msgids).
TEXT_FILTERS = [
    ("name", _l("姓名")), ("id_number", _l("身份证号")), ("mobile", _l("手机号")),
    ("enterprise_name", _l("企业名称")), ("institution_name", _l("培训机构名称")),
    ("plan_name", _l("培训计划名称")), ("exam_plan_name", _l("考核计划名称")),
]
STATUS_FILTERS = [
    ("plan_status", _l("培训计划"), enrollee_service.PLAN_STATUSES),
    ("exam_status", _l("考核计划"), enrollee_service.EXAM_STATUSES),
    ("score_status", _l("成绩报审"), enrollee_service.SCORE_STATUSES),
    ("cert_status", _l("培训证书"), enrollee_service.CERT_STATUSES),
]
PAGE_SIZES = (20, 50, 100)
JOB_STATUS = {"pending": _l("排队中"), "running": _l("导出中"), "finished": _l("已完成"), "failed": _l("导出失败"),
              "expired": _l("已过期")}


def _page_limit():
    return int(current_app.config.get("LIST_PAGE_SIZE_MAX", 100))


class EnrollmentView(BaseView):
    """报名人员查询: departments within their region; institutions and enterprises within their own data."""

    route_base = "/enrollmentview"
    class_permission_name = "Enrollment"
    base_permissions = ["can_list", "can_show", "can_export"]
    default_view = "list"
    scoped_model = Enrollment  # tests/views/test_scope_http.py: <pk> here is an enrollment

    @expose("/list/")
    @has_access
    @permission_name("list")
    def list(self):
        scope = current_scope()
        filters = enrollee_service.EnrolleeFilters.from_mapping(request.args)
        page_size = enrollee_service.clamp_page_size(request.args.get("psize", enrollee_service.DEFAULT_PAGE_SIZE),
                                                     _page_limit())
        notices = []
        total, page = None, None
        try:
            page = enrollee_service.fetch_page(db.session, scope, filters, page_size=page_size,
                                               after=request.args.get("after"), before=request.args.get("before"))
            if not page.has_next and not page.has_prev:
                total = (len(page.rows), True)  # the whole result is on this page: counting is free
            elif request.args.get("count") == "1":
                total = enrollee_service.count(db.session, scope, filters)
        except ServiceError as refused:  # the search ran into the statement timeout
            notices.append(refused.message)
        page = page or enrollee_service.Page(page_size=page_size)
        if filters.id_number and len(filters.id_number) not in (15, 18):
            notices.append(_("身份证号按完整号码精确查询，请输入完整的18位身份证号"))
        if filters.mobile and len(filters.mobile) != 11:
            notices.append(_("手机号按完整号码精确查询，请输入完整的11位手机号"))
        base_args = dict(filters.as_dict(), psize=page_size) if page_size != enrollee_service.DEFAULT_PAGE_SIZE \
            else filters.as_dict()

        def link(**extra):
            args = dict(base_args, **{k: v for k, v in extra.items() if v is not None})
            return url_for("EnrollmentView.list") + ("?" + urlencode(args) if args else "")

        return self.render_template(
            "enrollees/list.html", filters=filters, page=page, total=total, notices=notices,
            text_filters=TEXT_FILTERS, status_filters=STATUS_FILTERS, page_sizes=PAGE_SIZES, page_size=page_size,
            link=link, count_cap=enrollee_service.COUNT_CAP, can_export=self._can("export"),
            sync_max=get_int("export_sync_max_rows"), back_args=request.query_string.decode(),
        )

    @expose("/show/<int:pk>")
    @has_access
    @permission_name("show")
    def show(self, pk):
        info = enrollee_service.detail(db.session, current_scope(), pk)
        back = request.args.get("back", "")
        back_url = url_for("EnrollmentView.list") + ("?" + back if back and "//" not in back else "")
        return self.render_template("enrollees/show.html", info=info, back_url=back_url, mask=mask_id_number,
                                    title=_("报名人员详情"))

    @expose("/export", methods=["POST"])
    @has_access
    @permission_name("export")
    def export(self):
        scope = current_scope()
        filters = enrollee_service.EnrolleeFilters.from_mapping(request.form)
        if export_service.runs_in_background(db.session, scope, filters):
            job = export_service.start_job(db.session, scope, filters, g.user)
            flash_queue_notice(job)
            flash(_("导出数据超过 %(n)d 行，已转为后台任务，完成后可在此页下载。", n=get_int("export_sync_max_rows")),
                  "info")
            return redirect(url_for("ExportJobView.status", pk=job.id))
        buffer, _rows = export_service.export_now(db.session, scope, filters, g.user)
        return send_file(buffer, mimetype=XLSX_MIMETYPE, as_attachment=True,
                         download_name=export_service.export_filename())

    def _can(self, name):
        return self.appbuilder.sm.has_access("can_" + name, self.class_permission_name)


class ExportJobView(BaseView):
    """The owner's background exports: progress and the download link (owner only, until it expires)."""

    route_base = "/exports"
    class_permission_name = "ExportJob"
    base_permissions = ["can_list", "can_show", "can_download"]
    default_view = "list"
    scoped_model = ExportJob

    def _own_job(self, pk):
        scope = current_scope()
        job = scope.get_or_404(db.session, ExportJob, pk)
        if job.user_id != scope.user_id:
            abort(404)
        return job

    @expose("/")
    @has_access
    @permission_name("list")
    def list(self):
        scope = current_scope()
        jobs = db.session.execute(
            select(ExportJob).where(scope.criterion(ExportJob), ExportJob.user_id == scope.user_id)
            .order_by(ExportJob.id.desc()).limit(50)).scalars().all()
        return self.render_template("enrollees/export_jobs.html", jobs=jobs, job_status=JOB_STATUS,
                                    title=_("我的导出"), now=_now())

    @expose("/<int:pk>")
    @has_access
    @permission_name("show")
    def status(self, pk):
        job = self._own_job(pk)
        return self.render_template("enrollees/export_job.html", job=job, job_status=JOB_STATUS,
                                    expired=_expired(job), queue_notice=queue_notice(job), title=_("导出任务"))

    @expose("/<int:pk>/progress")
    @has_access
    @permission_name("show")
    def progress(self, pk):
        job = self._own_job(pk)
        return jsonify(status=job.status, status_label=str(JOB_STATUS.get(job.status, job.status)),
                       progress=job.progress, rows=job.rows, expired=_expired(job),
                       download_url=url_for("ExportJobView.file", pk=job.id)
                       if job.status == "finished" and not _expired(job) else None,
                       error=_("导出失败，请重新导出") if job.status == "failed" else None)

    @expose("/<int:pk>/file")
    @has_access
    @permission_name("download")
    def file(self, pk):
        self._own_job(pk)  # someone else's job: 404 before anything else is said
        try:
            job = export_service.job_for_download(db.session, current_scope(), pk)
        except ServiceError as refused:
            job = db.session.get(ExportJob, pk)
            return self.render_template("enrollees/export_job.html", job=job, job_status=JOB_STATUS,
                                        expired=_expired(job), refusal=_(refused.message), title=_("导出任务")), \
                409 if job.status in ("pending", "running") else 410
        return send_file(job.file_path, mimetype=XLSX_MIMETYPE, as_attachment=True,
                         download_name="报名人员_%s.xlsx" % job.created_at.strftime("%Y%m%d%H%M%S"))


def _now():
    return datetime.datetime.now()


def _expired(job):
    return job.status == "expired" or (job.expires_at is not None and job.expires_at < _now())
