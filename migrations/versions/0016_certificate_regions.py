"""证书查询 at province scale (issue 14): the certificate carries the two region codes its enrollment has.

A department sees a certificate when the issuing institution or the worker's enterprise lies in its region. That
was `institution_id IN (…) OR enrollment_id IN (enrollments in the region)`: an OR over two sub-selects that
PostgreSQL cannot turn into joins, so it probed the million-row enrollment for each of 518,000 certificates — the
city's 证书查询 count ran for more than 16 minutes on the bench data. With the codes on the row (as enrollment
has them) the rule is two prefix conditions that b-tree pattern indexes answer and a BitmapOr combines.

Revision ID: 0016
Revises: 0015
"""
import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("certificate") as batch_op:
        batch_op.add_column(sa.Column("inst_region_code", sa.String(length=6), nullable=True))
        batch_op.add_column(sa.Column("ent_region_code", sa.String(length=6), nullable=True))
    op.execute("UPDATE certificate SET inst_region_code = (SELECT e.inst_region_code FROM enrollment e"
               " WHERE e.id = certificate.enrollment_id), ent_region_code = (SELECT e.ent_region_code"
               " FROM enrollment e WHERE e.id = certificate.enrollment_id)")
    # text_pattern_ops: under the C.UTF-8 collation a b-tree serves LIKE '3301%' only so (equality too).
    for column in ("inst_region_code", "ent_region_code"):
        op.create_index("ix_certificate_%s" % column, "certificate", [column],
                        postgresql_ops={column: "text_pattern_ops"})
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ANALYZE certificate")


def downgrade():
    op.drop_index("ix_certificate_ent_region_code", table_name="certificate")
    op.drop_index("ix_certificate_inst_region_code", table_name="certificate")
    with op.batch_alter_table("certificate") as batch_op:
        batch_op.drop_column("ent_region_code")
        batch_op.drop_column("inst_region_code")
