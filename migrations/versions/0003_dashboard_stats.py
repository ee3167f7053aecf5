"""Aggregates for 行业数据看板 (SPEC §11): stat_inst_month, stat_ent_cross, stat_org, stat_refresh.

Rebuilt from the base tables by app.services.dashboard.refresh_stats (see app/models/stats.py).

Revision ID: 0003
Revises: 0002
"""
import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def _metrics():
    return [sa.Column(name, sa.Integer(), nullable=False) for name in ("enrolled", "scored", "passed", "certificates")]


def upgrade():
    op.create_table(
        "stat_inst_month",
        sa.Column("inst_region_code", sa.String(length=6), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("trade_code", sa.String(length=10), nullable=False),
        *_metrics(),
        sa.PrimaryKeyConstraint("inst_region_code", "month", "trade_code"),
    )
    op.create_table(
        "stat_ent_cross",
        sa.Column("level", sa.String(length=8), nullable=False),
        sa.Column("ent_region_code", sa.String(length=6), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("trade_code", sa.String(length=10), nullable=False),
        *_metrics(),
        sa.PrimaryKeyConstraint("level", "ent_region_code", "month", "trade_code"),
    )
    op.create_table(
        "stat_org",
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("region_code", sa.String(length=6), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("kind", "region_code", "month", "state"),
    )
    op.create_table(
        "stat_refresh",
        sa.Column("key", sa.String(length=32), nullable=False),
        sa.Column("refreshed_at", sa.DateTime(), nullable=True),
        sa.Column("requested_at", sa.DateTime(), nullable=True),
        sa.Column("duration_ms", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("key"),
    )


def downgrade():
    op.drop_table("stat_refresh")
    op.drop_table("stat_org")
    op.drop_table("stat_ent_cross")
    op.drop_table("stat_inst_month")
