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
        # A page waits for the broker this long at most; the task outbox retries later (services/task_queue.py).
        broker_connection_timeout=app.config["CELERY_BROKER_CONNECT_TIMEOUT"],
        broker_transport_options=broker_transport_options(app.config["CELERY_BROKER_URL"], app.config),
        beat_schedule={
            "push-outbox": {"task": "app.push_certificates", "schedule": app.config["PUSH_SWEEP_SECONDS"]},
            "task-outbox": {"task": "app.sweep_background_jobs", "schedule": app.config["TASK_SWEEP_SECONDS"]},
        },
    )
    celery.Task = FlaskTask
    celery.set_default()
    app.extensions["celery"] = celery
    from app.tasks import certificates, dashboard, exports, jobs  # noqa: F401  (register every task)

    return celery


def broker_transport_options(url, config):
    """Options the broker's transport understands, and only those.

    kombu hands the SQLAlchemy transport's options to create_engine(), which refuses unknown keywords
    (a visibility_timeout there killed the worker at start); only Redis has a visibility timeout.
    """
    scheme = url.split("://", 1)[0].lower()
    if scheme in ("redis", "rediss", "sentinel"):
        return {"visibility_timeout": config["CELERY_VISIBILITY_TIMEOUT"],
                "socket_connect_timeout": config["CELERY_BROKER_CONNECT_TIMEOUT"]}
    return {}
