"""The outbox of background tasks (queued_task): recorded with the job, sent after commit, resent by the sweep.

Revision ID: 0004
Revises: 0003
"""
import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "queued_task",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("task", sa.String(length=80), nullable=False),
        sa.Column("args", sa.Text(), nullable=False),
        sa.Column("subject_type", sa.String(length=50), nullable=True),
        sa.Column("subject_key", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("sent_at", sa.DateTime(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_queued_task_unsent", "queued_task", ["sent_at", "id"])
    op.create_index("ix_queued_task_subject", "queued_task", ["subject_type", "subject_key"])


def downgrade():
    op.drop_index("ix_queued_task_subject", table_name="queued_task")
    op.drop_index("ix_queued_task_unsent", table_name="queued_task")
    op.drop_table("queued_task")
