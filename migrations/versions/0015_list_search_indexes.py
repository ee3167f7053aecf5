"""Name searches of the other lists on PostgreSQL (issue 14): the gram and trigram indexes of 0014/0002 on the
name columns of worker, enterprise, institution, training_plan and exam_plan, and a pattern index on the
certificate number.

Every name filter goes through app.security.filters.text_match: a 1- or 2-character term asks for its gram
(`zjpx_grams(name) @> ARRAY[term]`, GIN of this migration), a longer one is a LIKE / ILIKE that pg_trgm
indexes. Without them a term that matches nothing read the whole table (300,000 workers for 证书查询's 姓名,
50,000 enterprises for 企业名称). 证书编号 "starts with" is LIKE 'x%', which a b-tree serves only with
text_pattern_ops under the C.UTF-8 collation. ANALYZE gives the planner the statistics of the expressions.

Revision ID: 0015
Revises: 0014
"""
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

NAME_COLUMNS = [("worker", "name"), ("enterprise", "name"), ("institution", "name"), ("training_plan", "name"),
                ("exam_plan", "name")]


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    for table, column in NAME_COLUMNS:
        op.execute("CREATE INDEX ix_%s_%s_grams ON %s USING gin (zjpx_grams(%s))" % (table, column, table, column))
        op.execute("CREATE INDEX ix_%s_%s_trgm ON %s USING gin (%s gin_trgm_ops)" % (table, column, table, column))
    op.execute("CREATE INDEX ix_certificate_number_pattern ON certificate (number text_pattern_ops)")
    for table in sorted({table for table, _column in NAME_COLUMNS}):
        op.execute("ANALYZE %s" % table)


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP INDEX IF EXISTS ix_certificate_number_pattern")
    for table, column in NAME_COLUMNS:
        op.execute("DROP INDEX IF EXISTS ix_%s_%s_trgm" % (table, column))
        op.execute("DROP INDEX IF EXISTS ix_%s_%s_grams" % (table, column))
