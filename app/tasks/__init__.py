"""Celery bound to the Flask app: tasks take ids and run inside the app context."""
from celery import Task

from app.extensions import celery


def init_celery(app):
    """Configure the shared Celery app from Flask config (embedded SQLAlchemy broker by default)."""

    class FlaskTask(Task):
        def __call__(self, *args, **kwargs):
            with app.app_context():
                return self.run(*args, **kwargs)

    celery.conf.update(
        broker_url=app.config["CELERY_BROKER_URL"],
        result_backend=app.config["CELERY_RESULT_BACKEND"],
        task_always_eager=app.config["CELERY_TASK_ALWAYS_EAGER"],
        task_eager_propagates=True,
        # A killed worker's job is redelivered and re-run; the tasks are idempotent.
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_serializer="json",
        accept_content=["json"],
        timezone="Asia/Shanghai",
        broker_connection_retry_on_startup=True,
        broker_transport_options={"visibility_timeout": app.config["CELERY_VISIBILITY_TIMEOUT"]},
        beat_schedule={"push-outbox": {"task": "app.push_certificates",
                                       "schedule": app.config["PUSH_SWEEP_SECONDS"]}},
    )
    celery.Task = FlaskTask
    celery.set_default()
    app.extensions["celery"] = celery
    from app.tasks import jobs  # noqa: F401  (register tasks)
    from app.tasks import exports  # noqa: F401  (register the export task)
    from app.tasks import certificates  # noqa: F401  (register 生成证书 / 推送)

    return celery
