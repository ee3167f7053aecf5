"""SqlCounter: the SQL statements run inside a `with` block (to show a page needs no query per row)."""
from sqlalchemy import event

from app.extensions import db


class SqlCounter:
    """with SqlCounter() as sql: … → sql.statements, each statement's text in order."""

    def __init__(self):
        self.statements = []

    def __call__(self, conn, cursor, statement, parameters, context, executemany):
        self.statements.append(statement)

    def __enter__(self):
        event.listen(db.engine, "before_cursor_execute", self)
        return self

    def __exit__(self, *exc):
        event.remove(db.engine, "before_cursor_execute", self)
