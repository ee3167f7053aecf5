"""The schema built by the Alembic migrations matches the models, on whichever database runs the suite."""
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_appbuilder import Model

from app.extensions import db


def _ignore_trgm(obj, name, type_, reflected, compare_to):
    """The PostgreSQL-only indexes of migrations 0002 (pg_trgm), 0014/0015 (grams) and 0015's certificate number
    pattern index have no model."""
    return not (type_ == "index" and name and (name.endswith(("_trgm", "_grams")) or name == "ix_certificate_number_pattern"))


def test_migrations_match_the_models(ctx):
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"include_object": _ignore_trgm, "compare_type": True})
        diffs = compare_metadata(context, Model.metadata)
    assert diffs == []


def test_unique_constraints_of_the_spec_exist(ctx):
    tables = Model.metadata.tables
    unique_sets = {
        name: {tuple(c.name for c in con.columns) for con in table.constraints if con.__class__.__name__ == "UniqueConstraint"}
        | {tuple(c.name for c in idx.columns) for idx in table.indexes if idx.unique}
        | {(c.name,) for c in table.columns if c.unique}
        for name, table in tables.items()
    }
    assert ("uscc",) in unique_sets["enterprise"]
    assert ("uscc",) in unique_sets["institution"] and ("code",) in unique_sets["institution"]
    assert ("id_number",) in unique_sets["worker"]
    assert ("number",) in unique_sets["certificate"]
    assert ("plan_id", "worker_id") in unique_sets["enrollment"]
    assert ("enrollment_id", "exam_plan_id") in unique_sets["certificate"]
    assert ("ticket_no",) in unique_sets["exam_candidate"]
