"""The review lists' order as an index (issue 14): training_plan, exam_plan, score_report and enterprise on
(submitted_at, id).

未审核 / 已审核 / 全部 list newest submitted first (submitted_at desc, id desc). Without an index a page sorted every
row the search matched: 培训计划审核 searched with "20" (in nearly every plan's name) sorted 19,549 plans at province
scope, 54 ms; walking this b-tree backwards reads the page's 20 rows, 12 ms (bench/README.md).

Revision ID: 0017
Revises: 0016
"""
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

TABLES = ("training_plan", "exam_plan", "score_report", "enterprise")


def upgrade():
    for table in TABLES:
        op.create_index("ix_%s_submitted" % table, table, ["submitted_at", "id"])


def downgrade():
    for table in TABLES:
        op.drop_index("ix_%s_submitted" % table, table_name=table)
