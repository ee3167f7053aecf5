"""Background jobs. Each takes ids, re-checks what it acts on, and can run twice without harm."""
from app.extensions import celery, db


@celery.task(name="app.ping")
def ping(value):
    """Round-trip check used by the test-suite and `make run` health check."""
    from sqlalchemy import text

    db.session.execute(text("select 1"))
    return value
