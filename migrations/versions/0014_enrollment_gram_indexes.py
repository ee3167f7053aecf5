"""Short searches of 报名人员查询 on PostgreSQL: GIN indexes on the 1- and 2-character grams of the names.

pg_trgm (0002) cannot use its index for a pattern under 3 characters, and Chinese names are mostly 2–3
characters and operators type surnames: `worker_name LIKE '%砌筑%'` scanned the table backwards by id
(409 ms at city scope with 3 parallel workers when nothing matched; minutes are possible for rare
1-character terms at county scope). pg_bigm is not packaged here.

So zjpx_grams(text) returns the distinct characters and character pairs of a value, and an expression GIN
index (array_ops) over it serves every infix filter whose term has 1 or 2 characters (`grams @> ARRAY[term]`
is exact for them; app/services/enrollees.py adds a cheap strpos() for walks along the key and says why not
LIKE); terms of 3 characters and more stay with pg_trgm, which is fast for them (asking for their pairs too
made the planner multiply two estimates of the same rows). No new column, nothing for the services to keep; ANALYZE keeps statistics of the index expression (most common elements), so the planner still walks
the primary key backwards when a term matches many rows (张: a few rows into the scan fill a page) and uses the
index when it matches few or none. Measured with EXPLAIN ANALYZE on 1,000,000 enrollments: see bench/README.md.

SQLite keeps the plain LIKE (the embedded default is for small data).

Revision ID: 0014
Revises: 0013
"""
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

GRAM_COLUMNS = ["worker_name", "enterprise_name", "institution_name", "plan_name", "exam_plan_name"]

GRAMS_FUNCTION = """
CREATE OR REPLACE FUNCTION zjpx_grams(value text) RETURNS text[]
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT coalesce(array_agg(DISTINCT g), '{}')
    FROM (SELECT substr(value, i, 1) AS g FROM generate_series(1, char_length(value)) AS i
          UNION ALL
          SELECT substr(value, i, 2) FROM generate_series(1, char_length(value) - 1) AS i) AS grams
$$
"""


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(GRAMS_FUNCTION)
    for column in GRAM_COLUMNS:
        op.execute("CREATE INDEX ix_enrollment_%s_grams ON enrollment USING gin (zjpx_grams(%s))" % (column, column))
    # Statistics of the index expressions (most common grams): without them the planner assumes 0.5 % for every
    # gram and reads a million-row bitmap for 培训 at county scope (441 ms) instead of walking the key (2 ms).
    op.execute("ANALYZE enrollment")


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    for column in GRAM_COLUMNS:
        op.execute("DROP INDEX IF EXISTS ix_enrollment_%s_grams" % column)
    op.execute("DROP FUNCTION IF EXISTS zjpx_grams(text)")
