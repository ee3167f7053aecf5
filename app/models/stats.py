"""Monthly aggregates behind 行业数据看板 (SPEC §11), rebuilt from the base tables by GROUP BY.

A province holds millions of enrollments, scores and certificates; aggregating them live took
seconds on the reference dataset, the dashboard must answer in 300 ms. These tables hold the same
numbers per month and (institution region, enterprise region) pair — about 0.2 rows per enrollment —
and are rebuilt in one set-based statement by app.services.dashboard.refresh_stats (Celery task
app.refresh_dashboard_stats), never edited by hand. The region codes are the enrollment's own
inst_region_code / ent_region_code, so the department scope rule of enrollments applies unchanged.
"""
from sqlalchemy import Column, DateTime, Integer, String

from .base import Model


class StatEnrollmentMonth(Model):
    """Per month and region pair: 报名人数 (enrolled_at), 参考人次 and 合格人次 (exam month), 发证数 (issue month)."""

    __tablename__ = "stat_enrollment_month"
    month = Column(String(7), primary_key=True)  # 2026-11
    inst_region_code = Column(String(6), primary_key=True)
    ent_region_code = Column(String(6), primary_key=True)
    enrolled = Column(Integer, nullable=False, default=0)
    scored = Column(Integer, nullable=False, default=0)
    passed = Column(Integer, nullable=False, default=0)
    certificates = Column(Integer, nullable=False, default=0)


class StatCertificateTrade(Model):
    """Certificates per month, 工种 and region pair (the 工种 chart)."""

    __tablename__ = "stat_certificate_trade"
    month = Column(String(7), primary_key=True)
    trade_code = Column(String(10), primary_key=True)
    inst_region_code = Column(String(6), primary_key=True)
    ent_region_code = Column(String(6), primary_key=True)
    certificates = Column(Integer, nullable=False, default=0)


class StatRefresh(Model):
    """When the aggregates were last rebuilt (one row, key 'dashboard')."""

    __tablename__ = "stat_refresh"
    key = Column(String(32), primary_key=True)
    refreshed_at = Column(DateTime)
    requested_at = Column(DateTime)
    duration_ms = Column(Integer)
