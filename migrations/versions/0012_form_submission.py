"""form_submission: one-time tokens of create forms, so a double submit creates one record (issue 12).

Revision ID: 0012
Revises: 0004
"""
import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "form_submission",
        sa.Column("token", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("object_type", sa.String(length=50), nullable=False),
        sa.Column("object_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["ab_user.id"]),
        sa.PrimaryKeyConstraint("token"),
    )
    op.create_index("ix_form_submission_user_id", "form_submission", ["user_id"])
    op.create_index("ix_form_submission_created_at", "form_submission", ["created_at"])


def downgrade():
    op.drop_index("ix_form_submission_created_at", table_name="form_submission")
    op.drop_index("ix_form_submission_user_id", table_name="form_submission")
    op.drop_table("form_submission")
