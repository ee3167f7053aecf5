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


def changes_of(obj, fields=None):
    """{field: [before, after]} for the columns of `obj` changed in this session."""
    from sqlalchemy import inspect

    state = inspect(obj)
    changed = {}
    for attr in state.mapper.column_attrs:
        if fields and attr.key not in fields:
            continue
        history = state.attrs[attr.key].history
        if history.has_changes():
            before = history.deleted[0] if history.deleted else None
            after = history.added[0] if history.added else None
            if before != after:
                changed[attr.key] = [_jsonable(before), _jsonable(after)]
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
