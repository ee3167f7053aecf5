"""Monthly aggregates for 行业数据看板 (SPEC §11): stat_enrollment_month, stat_certificate_trade, stat_refresh.

Rebuilt from enrollment / score / certificate by app.services.dashboard.refresh_stats.

Revision ID: 0003
Revises: 0002
"""
import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "stat_enrollment_month",
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("inst_region_code", sa.String(length=6), nullable=False),
        sa.Column("ent_region_code", sa.String(length=6), nullable=False),
        sa.Column("enrolled", sa.Integer(), nullable=False),
        sa.Column("scored", sa.Integer(), nullable=False),
        sa.Column("passed", sa.Integer(), nullable=False),
        sa.Column("certificates", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("month", "inst_region_code", "ent_region_code"),
    )
    op.create_table(
        "stat_certificate_trade",
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("trade_code", sa.String(length=10), nullable=False),
        sa.Column("inst_region_code", sa.String(length=6), nullable=False),
        sa.Column("ent_region_code", sa.String(length=6), nullable=False),
        sa.Column("certificates", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("month", "trade_code", "inst_region_code", "ent_region_code"),
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
    op.drop_table("stat_certificate_trade")
    op.drop_table("stat_enrollment_month")
