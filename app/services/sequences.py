"""Race-free counters: one row per sequence, bumped by a single UPDATE ... RETURNING.

The UPDATE takes the row lock, so concurrent transactions queue on it and each gets the next
value; a rolled-back transaction releases its value with the lock, so sequences have no gaps.
"""
from sqlalchemy import insert, update
from sqlalchemy.exc import IntegrityError

from app.extensions import db


def next_value(model, key, step=1):
    """Increment and return the counter of `model` identified by the primary-key dict `key`.

    step=0 only locks the row (created at 0 when missing) and returns its value; step=n takes n values at once
    (the last is returned).
    """
    where = [getattr(model, k) == v for k, v in key.items()]
    stmt = update(model).where(*where).values(last_serial=model.last_serial + step).returning(model.last_serial)
    value = db.session.execute(stmt).scalar()
    if value is None:
        try:
            with db.session.begin_nested():
                db.session.execute(insert(model).values(**key, last_serial=0))
        except IntegrityError:
            pass  # another transaction created it first
        value = db.session.execute(stmt).scalar()
    return value
