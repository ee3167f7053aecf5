"""Housekeeping jobs: the round-trip ping and the sweep that keeps background jobs from being stranded."""
from app.extensions import celery, db


@celery.task(name="app.ping")
def ping(value):
    """Round-trip check used by the test-suite and the as-shipped walk."""
    from sqlalchemy import text

    db.session.execute(text("select 1"))
    return value


@celery.task(name="app.sweep_background_jobs")
def sweep_background_jobs():
    """Send tasks recorded while the broker was down, and re-send jobs that made no progress (from beat)."""
    from app.services import certificates, dashboard, exports, task_queue

    return {"sent": task_queue.send_unsent(), "certificate_jobs": certificates.requeue_stale_jobs(),
            "export_jobs": exports.requeue_stale_jobs(), "dashboard": dashboard.requeue_stale_refresh()}
