"""Indexes for 报名人员查询 at provincial scale (SPEC §8, §12).

On PostgreSQL: pg_trgm GIN indexes for infix search on the names (the database must use a UTF-8
locale: under C the trigram index finds no Chinese trigrams), and composite indexes for the status
filters. SQLite keeps the plain b-tree indexes of 0001.

Revision ID: 0002
Revises: 0001
"""
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

TRGM_COLUMNS = ["worker_name", "enterprise_name", "institution_name", "plan_name", "exam_plan_name"]


def upgrade():
    op.create_index("ix_enrollment_status", "enrollment", ["exam_status", "score_status", "cert_status", "id"])
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for column in TRGM_COLUMNS:
        op.execute(
            "CREATE INDEX ix_enrollment_%s_trgm ON enrollment USING gin (%s gin_trgm_ops)" % (column, column)
        )


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        for column in TRGM_COLUMNS:
            op.execute("DROP INDEX IF EXISTS ix_enrollment_%s_trgm" % column)
    op.drop_index("ix_enrollment_status", table_name="enrollment")
