"""The background refresh of 行业数据看板's aggregates (idempotent: a full rebuild each time)."""
from app.extensions import celery


@celery.task(name="app.refresh_dashboard_stats")
def refresh_dashboard_stats():
    """Rebuild the monthly aggregates of 行业数据看板."""
    from app.services.dashboard import refresh_stats

    return refresh_stats()
