"""证书查询's 姓名 on the certificate itself (issue 14): certificate.worker_name with gram and trigram indexes.

The 姓名 filter was `worker_id IN (workers whose name matches)`: the certificate table had no name, so for a
common character the planner walked the certificate key checking each row against the worker gram lookup, and
at county scope (2 % of the certificates) that took 165 ms on 518,000 certificates. With the name on the row
the search is text_match on certificate.worker_name like enrollment.worker_name (gram GIN for 1–2 characters,
pg_trgm for longer terms). The name is copied at issue from the enrollment and kept in step with the worker
like the enrollment's copy (workers._sync_copies).

Revision ID: 0018
Revises: 0017
"""
import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("certificate") as batch_op:
        batch_op.add_column(sa.Column("worker_name", sa.String(length=50), nullable=True))
    if op.get_bind().dialect.name != "postgresql":
        op.execute("UPDATE certificate SET worker_name = (SELECT e.worker_name FROM enrollment e"
                   " WHERE e.id = certificate.enrollment_id)")
    else:
        op.execute("UPDATE certificate SET worker_name = e.worker_name FROM enrollment e"
                   " WHERE e.id = certificate.enrollment_id")
    with op.batch_alter_table("certificate") as batch_op:
        batch_op.alter_column("worker_name", existing_type=sa.String(length=50), nullable=False)
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("CREATE INDEX ix_certificate_worker_name_grams ON certificate USING gin (zjpx_grams(worker_name))")
    op.execute("CREATE INDEX ix_certificate_worker_name_trgm ON certificate USING gin (worker_name gin_trgm_ops)")
    op.execute("ANALYZE certificate")


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_certificate_worker_name_trgm")
        op.execute("DROP INDEX IF EXISTS ix_certificate_worker_name_grams")
    with op.batch_alter_table("certificate") as batch_op:
        batch_op.drop_column("worker_name")
