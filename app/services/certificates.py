"""证书: 生成证书 (background job, gap-free race-free numbers), 拉取证书, 撤销, the public query and
the signed verification link carried by the certificate's QR code."""
import datetime
import hashlib
import hmac
import time

from flask import current_app
from sqlalchemy import func, insert, select, update
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from app.models import (
    Certificate, CertificateJob, CertificateSequence, Enrollment, ExamPlan, PushOutbox, Score, TrainingPlan,
)
from app.models.certificate import CERT_STATUS
from app.security.scope import Actor
from app.services import ServiceError
from app.services import audit, task_queue
from app.services.scores import report_of
from app.services.sequences import next_value
from app.services.settings import get_setting

NOT_FOUND = "未查询到证书"
ACTIVE_JOB_STATES = ("pending", "running")
GENERATE_TASK = "app.generate_certificates"
SWEEP_ACTOR = "后台任务巡检"  # the 操作日志 name of the periodic sweep that re-sends abandoned jobs
JOB_STATUS = {"pending": "排队中", "running": "生成中", "finished": "已完成", "failed": "失败"}


def _now():
    return datetime.datetime.now().replace(microsecond=0)


def _require_reviewer(exam, scope):
    if not scope.reviews_institution(exam.institution) and scope.kind != "admin":
        raise ServiceError("只有设立该培训机构的主管部门可以生成、拉取证书")


def can_generate(exam):
    """生成证书 is shown and allowed only when the exam plan's scores are 审核通过."""
    report = report_of(exam)
    return report is not None and report.review_state == "approved"


def latest_job(exam):
    return db.session.execute(select(CertificateJob).where(CertificateJob.exam_plan_id == exam.id)
                              .order_by(CertificateJob.id.desc()).limit(1)).scalar_one_or_none()


def passed_enrollment_ids(exam):
    return list(db.session.execute(select(Score.enrollment_id).where(Score.exam_plan_id == exam.id,
                                                                     Score.passed.is_(True))
                                   .order_by(Score.enrollment_id)).scalars())


def start_generation(exam, *, user=None, scope=None):
    """Create (or return the running) 生成证书 job of an exam plan and queue it; returns the job."""
    user, scope = Actor.of(user, scope)
    _require_reviewer(exam, scope)
    if not can_generate(exam):
        raise ServiceError("成绩审核通过后才能生成证书")
    job = latest_job(exam)
    if job is not None and job.status in ACTIVE_JOB_STATES:
        if is_stale(job):
            requeue(job, user=user)
        return job
    job = CertificateJob(exam_plan_id=exam.id, status="pending", total=len(passed_enrollment_ids(exam)), done=0,
                         requested_by_id=user.id)
    db.session.add(job)
    db.session.flush()
    audit.record("generate_certificates", exam, user=user, detail="生成证书任务 #%d，合格 %d 人" % (job.id, job.total))
    message = task_queue.record(GENERATE_TASK, job.id, subject=job)
    db.session.commit()
    task_queue.send(message)
    return job


def is_stale(job):
    """An active job without progress for CERTIFICATE_JOB_STALE_SECONDS: its worker is gone or its message lost."""
    limit = datetime.timedelta(seconds=current_app.config["CERTIFICATE_JOB_STALE_SECONDS"])
    return job.status in ACTIVE_JOB_STATES and job.updated_at is not None and _now() - job.updated_at > limit


def requeue(job, *, user):
    """Queue an abandoned job again; the run skips what was issued, so nothing is issued twice."""
    job.updated_at = _now()
    audit.record("generate_certificates", job.exam_plan, user=user, username=None if user else SWEEP_ACTOR,
                 detail="生成证书任务 #%d 长时间无进度，已重新提交" % job.id)
    message = task_queue.record_unless_waiting(GENERATE_TASK, job.id, subject=job)
    db.session.commit()
    task_queue.send(message)


def requeue_stale_jobs():
    """The sweep's share: every abandoned 生成证书 job (is_stale) is queued again, nobody pressing the button."""
    limit = _now() - datetime.timedelta(seconds=current_app.config["CERTIFICATE_JOB_STALE_SECONDS"])
    stale = db.session.execute(select(CertificateJob).where(CertificateJob.status.in_(ACTIVE_JOB_STATES),
                                                            CertificateJob.updated_at < limit)
                               .order_by(CertificateJob.id)).scalars().all()
    for job in stale:
        requeue(job, user=None)
    return len(stale)


def certificate_number(exam, trade_code, serial, year):
    rule = get_setting("certificate_number_rule")
    return rule.format(yy=year % 100, year=year, institution_code=exam.institution.code, trade_code=trade_code,
                       serial=serial)


ISSUE_BATCH = 500  # certificates per transaction in 生成证书 (one when CERTIFICATE_ISSUE_PAUSE slows a drill)


def issue_batch(exam, plan, enrollment_ids, issue_date):
    """Certificates for those of `enrollment_ids` that have none of this exam plan yet, with consecutive
    numbers, in the caller's transaction; returns how many.

    The sequence row is locked FIRST (step 0): every other worker's batch of the same sequence has then either
    committed (and its certificates are seen by the check below, READ COMMITTED) or not started, so nothing is
    issued twice and the numbers taken after the check are consecutive; a rollback gives them all back.
    One lock, one check, one INSERT and one UPDATE per batch instead of per certificate (issue 14: 10,000
    numbers by two workers in seconds, not minutes).
    """
    year = issue_date.year
    key = {"year": year, "institution_code": exam.institution.code, "trade_code": plan.trade_code}
    last = next_value(CertificateSequence, key, step=0)
    have = set(db.session.execute(select(Certificate.enrollment_id).where(
        Certificate.exam_plan_id == exam.id, Certificate.enrollment_id.in_(enrollment_ids))).scalars())
    todo = [enrollment_id for enrollment_id in enrollment_ids if enrollment_id not in have]
    if not todo:
        return 0
    enrolled = {row.id: row for row in db.session.execute(
        select(Enrollment.id, Enrollment.worker_id, Enrollment.worker_name, Enrollment.inst_region_code,
               Enrollment.ent_region_code)
        .where(Enrollment.id.in_(todo)))}
    db.session.execute(insert(Certificate), [dict(
        number=certificate_number(exam, plan.trade_code, last + n, year), worker_id=enrolled[enrollment_id].worker_id,
        worker_name=enrolled[enrollment_id].worker_name,
        enrollment_id=enrollment_id, inst_region_code=enrolled[enrollment_id].inst_region_code,
        ent_region_code=enrolled[enrollment_id].ent_region_code, exam_plan_id=exam.id, institution_id=exam.institution_id,
        trade_code=plan.trade_code, skill_level=plan.skill_level, issue_date=issue_date, status="generated",
    ) for n, enrollment_id in enumerate(todo, start=1)])
    next_value(CertificateSequence, key, step=len(todo))
    return len(todo)


ISSUE_ATTEMPTS = 3


def _issue_and_commit(exam, plan, enrollment_ids, issue_date):
    """One batch in its own transaction; a batch that lost a race is retried (each retry sees the winner's rows)."""
    for attempt in range(1, ISSUE_ATTEMPTS + 1):
        try:
            created = issue_batch(exam, plan, enrollment_ids, issue_date)
            db.session.commit()  # releases the sequence row: the other worker's batch goes next
            return created
        except IntegrityError:  # issued meanwhile under another sequence row (a job running over New Year)
            db.session.rollback()  # the numbers are given back with the lock; the check sees the other's rows
            if attempt == ISSUE_ATTEMPTS:
                raise


def run_job(job_id):
    """Body of the 生成证书 task: idempotent, resumable, safe with several workers (commit per batch)."""
    job = db.session.get(CertificateJob, job_id)
    if job is None or job.status == "finished":
        return 0
    exam = db.session.get(ExamPlan, job.exam_plan_id)
    if not can_generate(exam):
        job.status, job.error, job.finished_at = "failed", "成绩未审核通过，不能生成证书", _now()
        db.session.commit()
        return 0
    plan = db.session.get(TrainingPlan, exam.plan_id)
    wanted = passed_enrollment_ids(exam)
    job.status, job.total = "running", len(wanted)
    db.session.commit()
    created = 0
    issue_date = datetime.date.today()
    pause = current_app.config["CERTIFICATE_ISSUE_PAUSE"]
    size = 1 if pause else ISSUE_BATCH
    for start in range(0, len(wanted), size):
        created += _issue_and_commit(exam, plan, wanted[start:start + size], issue_date)
        done = db.session.execute(select(func.count(Certificate.id)).where(Certificate.exam_plan_id == exam.id)).scalar()
        db.session.execute(update(CertificateJob).where(CertificateJob.id == job_id).values(done=done))
        db.session.commit()
        if pause:
            time.sleep(pause)
    job = db.session.get(CertificateJob, job_id)
    job.status, job.finished_at, job.done = "finished", _now(), len(wanted)
    db.session.commit()
    return created


def fail_job(job_id, error):
    db.session.rollback()
    job = db.session.get(CertificateJob, job_id)
    if job is not None and job.status != "finished":
        job.status, job.error = "failed", str(error)[:2000]
        db.session.commit()


def certificates_of(exam):
    return db.session.execute(select(Certificate).where(Certificate.exam_plan_id == exam.id)
                              .order_by(Certificate.number)).scalars().all()


def can_pull(exam):
    job = latest_job(exam)
    return job is not None and job.status == "finished" and can_generate(exam)


def pull(exam, *, user=None, scope=None):
    """拉取证书: attach the generated certificates to their enrollees and queue them for 推送."""
    user, scope = Actor.of(user, scope)
    _require_reviewer(exam, scope)
    if not can_pull(exam):
        raise ServiceError("证书生成完成后才能拉取证书")
    now = _now()
    count = 0
    for certificate in certificates_of(exam):
        if certificate.pulled_at is None:
            certificate.pulled_at = now
            count += 1
        if certificate.status == "generated":
            certificate.enrollment.cert_status = CERT_STATUS["generated"]
            exists = db.session.execute(select(PushOutbox.id).where(PushOutbox.certificate_id == certificate.id)).first()
            if exists is None and not certificate.revoked:
                db.session.add(PushOutbox(certificate_id=certificate.id, status="pending", attempts=0))
        elif certificate.status == "pushed":
            certificate.enrollment.cert_status = CERT_STATUS["pushed"]
    audit.record("pull_certificates", exam, user=user, detail="拉取证书 %d 张" % count)
    db.session.commit()
    return count


def revoke(certificate, reason, *, user=None, scope=None):
    user, scope = Actor.of(user, scope)
    if not scope.revokes_certificate(certificate):
        raise ServiceError("只有设立该培训机构的主管部门可以撤销证书")
    if certificate.revoked:
        raise ServiceError("该证书已撤销")
    reason = (reason or "").strip()
    if not reason:
        raise ServiceError("请填写撤销原因", field="reason")
    certificate.revoked, certificate.revoke_reason, certificate.revoked_at = True, reason[:1000], _now()
    from app.services.push import REVOKED_NOT_PUSHED

    db.session.execute(update(PushOutbox).where(PushOutbox.certificate_id == certificate.id,
                                                PushOutbox.status == "pending")
                       .values(status="cancelled", next_attempt_at=None, last_error=REVOKED_NOT_PUSHED))
    audit.record("revoke_certificate", certificate, user=user, detail=reason[:500])
    db.session.commit()


# --- public query and verification -----------------------------------------------------------------------

def public_info(certificate):
    from app.validators import mask_id_number

    worker = certificate.worker
    return {
        "number": certificate.number, "name": worker.name, "id_number": mask_id_number(worker.id_number),
        "trade": certificate.trade_label, "level": certificate.skill_level_label,
        "issuer": certificate.institution.name, "issue_date": certificate.issue_date.strftime("%Y-%m-%d"),
        "valid_until": certificate.valid_until.strftime("%Y-%m-%d") if certificate.valid_until else "长期有效",
        "status": "已撤销" if certificate.revoked else certificate.status_label,
        "revoked": certificate.revoked, "revoke_reason": certificate.revoke_reason,
    }


def query(*, number="", id_number="", name=""):
    """Certificates matching 证书编号 + 姓名 or 身份证号 + 姓名 (anything else: none)."""
    from app.models import Worker

    number, id_number, name = (number or "").strip(), (id_number or "").strip().upper(), (name or "").strip()
    if not name or not (number or id_number) or len(name) > 50 or len(number) > 32 or len(id_number) > 18:
        return []
    stmt = select(Certificate).join(Worker, Worker.id == Certificate.worker_id).where(Worker.name == name)
    if number:
        stmt = stmt.where(Certificate.number == number)
    if id_number:
        stmt = stmt.where(Worker.id_number == id_number)
    return db.session.execute(stmt.order_by(Certificate.issue_date.desc(), Certificate.id.desc())).scalars().all()


def _key():
    return current_app.config["SECRET_KEY"].encode()


def sign(number):
    return hmac.new(_key(), ("certificate:" + number).encode(), hashlib.sha256).hexdigest()[:24]


def verify_signature(number, signature):
    return bool(number) and bool(signature) and hmac.compare_digest(sign(number), str(signature))


def verification_path(number):
    from urllib.parse import urlencode

    return "/public/certificate/verify?" + urlencode({"n": number, "s": sign(number)})


def by_number(number):
    return db.session.execute(select(Certificate).where(Certificate.number == number)).scalar_one_or_none()
