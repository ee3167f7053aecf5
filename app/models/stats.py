"""Aggregates behind 行业数据看板 (SPEC §11), rebuilt from the base tables by GROUP BY.

A province holds millions of enrollments, scores and certificates; aggregating them live took
seconds on the reference dataset (SPEC §12), and the dashboard must answer in 300 ms. These tables
hold the same numbers per month, 工种 and ONE region code each, so every dashboard query is a range
scan over a few thousand rows. They are rebuilt in set-based statements by
app.services.dashboard.refresh_stats (Celery task app.refresh_dashboard_stats), never edited by hand.

How a department's scope maps onto them (the enrollment rule of app.security.scope: the institution
OR the enterprise lies in the department's region P): an enrollment counts where its institution is
when that lies in P (stat_inst_month, by institution region), otherwise where its enterprise is — and
then the institution lies outside P, i.e. outside the enterprise's region at P's level
(stat_ent_cross, by enterprise region and level).
"""
from sqlalchemy import Column, DateTime, Integer, String

from .base import Model


class StatInstMonth(Model):
    """Per institution region (county code), month and 工种: 报名人数 (enrolled_at), 参考人次 and 合格人次
    (exam month), 发证数 (issue month)."""

    __tablename__ = "stat_inst_month"
    inst_region_code = Column(String(6), primary_key=True)
    month = Column(String(7), primary_key=True)  # 2026-11
    trade_code = Column(String(10), primary_key=True)
    enrolled = Column(Integer, nullable=False, default=0)
    scored = Column(Integer, nullable=False, default=0)
    passed = Column(Integer, nullable=False, default=0)
    certificates = Column(Integer, nullable=False, default=0)


class StatEntCross(Model):
    """The same numbers per enterprise region, for enrollments whose institution lies outside the
    enterprise's province / city / county (level)."""

    __tablename__ = "stat_ent_cross"
    level = Column(String(8), primary_key=True)  # province / city / county
    ent_region_code = Column(String(6), primary_key=True)
    month = Column(String(7), primary_key=True)
    trade_code = Column(String(10), primary_key=True)
    enrolled = Column(Integer, nullable=False, default=0)
    scored = Column(Integer, nullable=False, default=0)
    passed = Column(Integer, nullable=False, default=0)
    certificates = Column(Integer, nullable=False, default=0)


class StatOrg(Model):
    """Counts of enterprises (by qualification state), institutions (by status) and training plans (by
    review state and enroll_start month) per region; month is '' for the first two."""

    __tablename__ = "stat_org"
    kind = Column(String(12), primary_key=True)  # enterprise / institution / plan
    region_code = Column(String(6), primary_key=True)
    month = Column(String(7), primary_key=True)
    state = Column(String(16), primary_key=True)
    count = Column(Integer, nullable=False, default=0)


class StatRefresh(Model):
    """When the aggregates were last rebuilt (one row, key 'dashboard')."""

    __tablename__ = "stat_refresh"
    key = Column(String(32), primary_key=True)
    refreshed_at = Column(DateTime)
    requested_at = Column(DateTime)
    duration_ms = Column(Integer)
