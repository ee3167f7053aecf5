"""Background jobs of 生成证书 and 推送: they take ids and can run twice (or on two workers) without harm."""
from app.extensions import celery


@celery.task(name="app.generate_certificates", bind=True)
def generate_certificates(self, job_id):
    """Issue the certificates of a CertificateJob (skips those already issued; resumes after a crash)."""
    from app.extensions import db
    from app.models import CertificateJob
    from app.services.certificates import fail_job, run_job

    job = db.session.get(CertificateJob, job_id)
    if job is not None and job.task_id is None and self.request.id:
        job.task_id = self.request.id
        db.session.commit()
    try:
        return run_job(job_id)
    except Exception as error:
        fail_job(job_id, error)
        raise


@celery.task(name="app.push_certificates")
def push_certificates(limit=200):
    """Push the due outbox rows: on 推送, and every PUSH_SWEEP_SECONDS from beat (which carries the retries)."""
    from app.services.push import process_outbox

    return process_outbox(limit=limit)
