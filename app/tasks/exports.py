"""Background jobs of 报名人员导出 and 行业数据看板: they take ids (or nothing) and can run twice without harm."""
from app.extensions import celery


@celery.task(name="app.export_enrollees")
def export_enrollees(job_id):
    """Write the xlsx of an 报名人员 export job, with progress, as the job's owner sees the data."""
    from app.services.exports import run_job

    return run_job(job_id)


@celery.task(name="app.refresh_dashboard_stats")
def refresh_dashboard_stats():
    """Rebuild the monthly aggregates of 行业数据看板 (idempotent: a full rebuild each time)."""
    from app.services.dashboard import refresh_stats

    return refresh_stats()
