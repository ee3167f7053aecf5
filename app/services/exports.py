"""导出 (SPEC §9): xlsx with Chinese headers, formula-safe cells, direct or background, always logged.

The xlsx files are written by app.documents.xlsx_out.XlsxStreamWriter (streaming, formula-safe cells);
openpyxl still reads the files in the tests, so they stay standard xlsx.

Small results (≤ setting export_sync_max_rows) download at once; larger ones run as a Celery job
(app.tasks.exports) with progress, and a download link that only the job's owner can use and that
expires (EXPORT_LINK_HOURS, default 24). Every export writes an 操作日志 entry: who, filter, rows, when.
"""
import datetime
import io
import json
import os
import secrets

from flask import current_app
from sqlalchemy import select

from app.documents.xlsx_out import XlsxStreamWriter
from app.extensions import db
from app.models import ExportJob
from app.models.user import AppUser
from app.services import ServiceError, audit, task_queue
from app.services import enrollees as enrollee_service
from app.services.settings import get_int
from app.validators import mask_id_number

CHUNK_ROWS = 5000
JOB_KIND = "enrollees"
EXPORT_TASK = "app.export_enrollees"

# The 12 columns of the 报名人员 export: (header, EnrolleeRow attribute, width in characters).
ENROLLEE_COLUMNS = (
    ("姓名", "worker_name", 10), ("身份证号", "masked_id_number", 21), ("手机号", "mobile", 13),
    ("企业名称", "enterprise_name", 30), ("培训机构名称", "institution_name", 30),
    ("培训计划名称", "plan_name", 32), ("考核计划名称", "exam_plan_name", 32), ("报名时间", "enrolled_at", 17),
    ("培训计划", "plan_status", 10), ("考核计划", "exam_status", 10), ("成绩报审", "score_status", 10),
    ("培训证书", "cert_status", 16),
)


# --- 报名人员 export ---------------------------------------------------------------------------------

def iter_enrollee_rows(session, scope, filters, limit=None, chunk=CHUNK_ROWS):
    """Every row of scoped_enrollments(scope, filters), newest first, read in keyset chunks: yields
    (ids, rows of export cells) per chunk.

    Short queries instead of one long cursor: no server-side cursor to keep open, and on SQLite the
    job can write its progress between chunks (a long read would block the writer).
    """
    today = datetime.date.today()
    progress = enrollee_service.plan_progress
    after, sent = None, 0
    while True:
        size = chunk if limit is None else min(chunk, limit - sent)
        if size <= 0:
            return
        rows = enrollee_service.fetch_rows(session, scope, filters, limit=size + 1, after=after, today=today)
        more = len(rows) > size
        rows = rows[:size]
        yield [r.id for r in rows], [(r.worker_name, _mask(r.id_number), r.mobile, r.enterprise_name, r.institution_name, r.plan_name,
                r.exam_plan_name, r.enrolled_at, progress(r.plan_review_state, r.enroll_start, r.enroll_end, today),
                r.exam_status, r.score_status, r.cert_status) for r in rows]
        sent += len(rows)
        if not more:
            return
        after = rows[-1].id


def _mask(id_number):
    """mask_id_number for the stored (already normalised) value, without re-normalising per row."""
    if id_number and len(id_number) == 18:
        return id_number[:6] + "********" + id_number[14:]
    return mask_id_number(id_number)


def write_enrollees(fileobj, session, scope, filters, limit=None, on_chunk=None):
    """Write the xlsx of the filtered, scoped enrollees into fileobj; returns the number of rows."""
    with XlsxStreamWriter(fileobj) as book:
        book.start_sheet("报名人员", [h for h, _a, _w in ENROLLEE_COLUMNS], [w for _h, _a, w in ENROLLEE_COLUMNS])
        for _ids, cells in iter_enrollee_rows(session, scope, filters, limit=limit):
            for row in cells:
                book.write_row(row)
            if on_chunk is not None:
                on_chunk(book.rows_written)
        return book.rows_written


def export_filename(prefix="报名人员"):
    return "%s_%s.xlsx" % (prefix, datetime.datetime.now().strftime("%Y%m%d%H%M%S"))


def runs_in_background(session, scope, filters):
    """True when the result has more rows than the setting export_sync_max_rows (capped count)."""
    limit = get_int("export_sync_max_rows")
    _number, exact = enrollee_service.count(session, scope, filters, cap=limit)
    return not exact


def log_export(user, filters, rows, how):
    audit.record("export", None, user=user, object_type="enrollment",
                 detail="报名人员查询导出：%d 行；条件：%s；%s" % (rows, filters.describe(), how))


def export_now(session, scope, filters, user):
    """The direct download: (BytesIO of the xlsx, rows); logged and committed."""
    buffer = io.BytesIO()
    rows = write_enrollees(buffer, session, scope, filters)
    log_export(user, filters, rows, "直接下载")
    session.commit()
    buffer.seek(0)
    return buffer, rows


def start_job(session, scope, filters, user):
    """Create the ExportJob and hand it to Celery through the task outbox; returns the job."""
    purge_expired(session)
    job = ExportJob(user_id=user.id, kind=JOB_KIND, filters=json.dumps(filters.as_dict(), ensure_ascii=False),
                    status="pending", progress=0, rows=0)
    session.add(job)
    session.flush()
    message = task_queue.record(EXPORT_TASK, job.id, subject=job)
    session.commit()
    task_queue.send(message)
    return job


def requeue_stale_jobs():
    """The sweep's share: export jobs without progress for EXPORT_JOB_STALE_SECONDS are sent again."""
    session = db.session
    limit = datetime.datetime.now() - datetime.timedelta(seconds=current_app.config["EXPORT_JOB_STALE_SECONDS"])
    jobs = session.execute(select(ExportJob).where(ExportJob.kind == JOB_KIND,
                                                   ExportJob.status.in_(("pending", "running")),
                                                   ExportJob.updated_at < limit)).scalars().all()
    messages = []
    for job in jobs:
        job.updated_at = datetime.datetime.now().replace(microsecond=0)
        messages.append(task_queue.record_unless_waiting(EXPORT_TASK, job.id, subject=job))
    session.commit()
    for message in messages:
        task_queue.send(message)
    return len(jobs)


def link_hours():
    return int(current_app.config.get("EXPORT_LINK_HOURS", 24))


def run_job(job_id):
    """Body of the Celery task: build the file of one job, with progress; safe to run twice."""
    from app.security.scope import scope_for_user_id

    session = db.session
    job = session.get(ExportJob, job_id)
    if job is None or job.kind != JOB_KIND:
        return "no such job"
    if job.status == "finished" and job.file_path and os.path.exists(job.file_path):
        return "already finished"
    user = session.get(AppUser, job.user_id)
    scope = scope_for_user_id(session, job.user_id)
    filters = enrollee_service.EnrolleeFilters.from_mapping(json.loads(job.filters or "{}"))
    job.status, job.progress, job.rows, job.error = "running", 0, 0, None
    session.commit()
    folder = current_app.config["EXPORT_FOLDER"]
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, "enrollees-%d-%s.xlsx" % (job.id, secrets.token_hex(8)))
    partial = path + ".part"
    try:
        total, _exact = enrollee_service.count(session, scope, filters, cap=10 ** 8)

        def progress(done):
            job.rows = done
            job.progress = min(99, int(done * 100 / total)) if total else 99
            session.commit()

        with open(partial, "wb") as handle:
            rows = write_enrollees(handle, session, scope, filters, on_chunk=progress)
        os.replace(partial, path)
    except Exception as failure:  # recorded on the job, shown to its owner; the task itself ends
        session.rollback()
        if os.path.exists(partial):
            os.remove(partial)
        job = session.get(ExportJob, job_id)
        job.status, job.error = "failed", str(failure)[:500]
        session.commit()
        current_app.logger.exception("export job %s failed", job_id)
        return "failed"
    job.status, job.rows, job.progress, job.file_path = "finished", rows, 100, path
    job.expires_at = datetime.datetime.now().replace(microsecond=0) + datetime.timedelta(hours=link_hours())
    log_export(user, filters, rows, "后台导出任务 #%d" % job.id)
    session.commit()
    return "finished"


def job_for_download(session, scope, pk):
    """The finished, unexpired job of its owner, or ServiceError (Chinese) / 404 for anyone else."""
    from flask import abort

    job = scope.get_or_404(session, ExportJob, pk)
    if job.user_id != scope.user_id:  # even 系统管理员: a download link is its owner's alone
        abort(404)
    if job.status in ("pending", "running"):
        raise ServiceError("导出尚未完成，请稍候")
    if job.status == "failed":
        raise ServiceError("导出失败，请重新导出")
    if job.status == "expired" or (job.expires_at is not None and job.expires_at < datetime.datetime.now()):
        raise ServiceError("下载链接已过期，请重新导出")
    if not job.file_path or not os.path.exists(job.file_path):
        raise ServiceError("导出文件已不存在，请重新导出")
    return job


def purge_expired(session):
    """Remove the files of expired jobs (the rows stay as the record of the export)."""
    now = datetime.datetime.now()
    for job in session.query(ExportJob).filter(ExportJob.status == "finished", ExportJob.expires_at < now).limit(100):
        if job.file_path and os.path.exists(job.file_path):
            try:
                os.remove(job.file_path)
            except OSError:
                continue
        job.status, job.file_path = "expired", None
    session.flush()
