"""操作日志: record who changed what, logins and exports."""
import datetime
import json

from flask import g, has_request_context, request

from app.extensions import db
from app.models import AuditLog


def _jsonable(value):
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat(sep=" ") if isinstance(value, datetime.datetime) else value.isoformat()
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)


def _blank_as_none(value):
    # Forms send "" for an empty text field whose column holds NULL: that is no change.
    return None if isinstance(value, str) and value == "" else value


def changes_of(obj, fields=None):
    """{field: [before, after]} for the columns of `obj` changed in this session (call before the flush).

    A changed many-to-one relation is recorded under its foreign-key column (region → region_code),
    since that column only changes at the flush.
    """
    from sqlalchemy import inspect
    from sqlalchemy.orm import MANYTOONE

    state = inspect(obj)
    mapper = state.mapper
    changed = {}
    for attr in mapper.column_attrs:
        if fields and attr.key not in fields:
            continue
        history = state.attrs[attr.key].history
        if history.has_changes():
            before = history.deleted[0] if history.deleted else None
            after = history.added[0] if history.added else None
            if _blank_as_none(before) != _blank_as_none(after):
                changed[attr.key] = [_jsonable(before), _jsonable(after)]
    for rel in mapper.relationships:
        if rel.direction is not MANYTOONE or (fields and rel.key not in fields):
            continue
        history = state.attrs[rel.key].history
        if not history.added:
            continue
        target = history.added[0]
        for local, remote in rel.local_remote_pairs:
            key = mapper.get_property_by_column(local).key
            if key in changed:
                continue
            before = state.attrs[key].value
            after = getattr(target, inspect(target).mapper.get_property_by_column(remote).key) if target else None
            if _blank_as_none(before) != _blank_as_none(after):
                changed[key] = [_jsonable(before), _jsonable(after)]
    return changed


def record(action, obj=None, *, changes=None, detail=None, user=None, username=None, object_type=None):
    """Add one audit row to the current transaction (the caller commits)."""
    if user is None and has_request_context():
        user = g.get("user")
    user_id = getattr(user, "id", None) if user is not None and getattr(user, "is_authenticated", False) else None
    entry = AuditLog(
        at=datetime.datetime.now().replace(microsecond=0),
        user_id=user_id,
        username=username or (getattr(user, "username", None) if user_id else None),
        action=action,
        object_type=object_type or (obj.__tablename__ if obj is not None else None),
        object_id=getattr(obj, "id", None) if obj is not None and not isinstance(getattr(obj, "id", None), str) else None,
        object_label=str(obj)[:255] if obj is not None else None,
        changes=json.dumps(changes, ensure_ascii=False) if changes else None,
        detail=detail,
        ip=request.remote_addr if has_request_context() else None,
    )
    db.session.add(entry)
    return entry
