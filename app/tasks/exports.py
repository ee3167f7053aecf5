"""The background job of 报名人员导出: it takes the job's id and can run twice without harm."""
from app.extensions import celery


@celery.task(name="app.export_enrollees")
def export_enrollees(job_id):
    """Write the xlsx of an 报名人员 export job, with progress, as the job's owner sees the data."""
    from app.services.exports import run_job

    return run_job(job_id)
