"""操作日志: record who changed what, logins and exports."""
import datetime
import json

from flask import g, has_request_context, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.extensions import db
from app.models import AuditLog

# How the 操作日志 shows its stable English codes (for the list's formatters_columns).
ACTION_LABELS = {
    "login_success": _l("登录成功"),
    "login_failure": _l("登录失败"),
    "change_password": _l("修改密码"),
    "change_password_failure": _l("修改密码失败"),
    "logout": _l("退出"),
    "create_user": _l("创建账号"),
    "enable_user": _l("启用账号"),
    "disable_user": _l("停用账号"),
    "add": _l("新增"),
    "edit": _l("修改"),
    "delete": _l("删除"),
}
OBJECT_LABELS = {
    "ab_user": _l("账号"), "region": _l("行政区划"), "department": _l("主管部门"), "enterprise": _l("企业"),
    "institution": _l("培训机构"), "staff": _l("师资及考评员"), "worker": _l("学员"),
    "training_plan": _l("培训计划"), "enrollment": _l("报名"), "exam_plan": _l("考核计划"),
    "score_report": _l("成绩报审"), "certificate": _l("证书"), "dict_type": _l("数据字典"),
    "dict_item": _l("字典项"), "system_setting": _l("系统设置"), "uploaded_file": _l("附件"),
}


def action_label(action):
    """Chinese name of an audit action code (review_<action> from the review engine included)."""
    if action in ACTION_LABELS:
        return str(ACTION_LABELS[action])
    if action and action.startswith("review_"):
        from app.workflow import action_label as review_action_label

        return _("审核：%(action)s", action=_(review_action_label(action[len("review_"):])))
    return action


def object_type_label(object_type):
    """Chinese name of an audited table."""
    return str(OBJECT_LABELS[object_type]) if object_type in OBJECT_LABELS else object_type


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

    state = inspect(obj)
    if state.session is not None:
        with state.session.no_autoflush:  # loading an expired value must not flush (and clear) the changes
            return _changes(state, fields)
    return _changes(state, fields)


def _changes(state, fields):
    from sqlalchemy import inspect
    from sqlalchemy.orm import MANYTOONE

    mapper = state.mapper
    changed = {}
    unknown_before = {}
    for attr in mapper.column_attrs:
        if fields and attr.key not in fields:
            continue
        history = state.attrs[attr.key].history
        if history.has_changes():
            after = history.added[0] if history.added else None
            if not history.deleted and state.persistent:
                unknown_before[attr.key] = after  # set while expired: the old value is still in the database
                continue
            before = history.deleted[0] if history.deleted else None
            if _blank_as_none(before) != _blank_as_none(after):
                changed[attr.key] = [_jsonable(before), _jsonable(after)]
    if unknown_before:
        for key, before in _stored_values(state, list(unknown_before)).items():
            after = unknown_before[key]
            if _blank_as_none(before) != _blank_as_none(after):
                changed[key] = [_jsonable(before), _jsonable(after)]
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


def _stored_values(state, keys):
    """{key: value} of some columns of a persistent object as the database holds them now."""
    from sqlalchemy import select

    mapper = state.mapper
    columns = [mapper.attrs[key].columns[0] for key in keys]
    where = [column == value for column, value in zip(mapper.primary_key, state.identity)]
    row = state.session.execute(select(*columns).where(*where)).first()
    return dict(zip(keys, row)) if row is not None else {key: None for key in keys}


def record(action, obj=None, *, changes=None, detail=None, user=None, username=None, object_type=None):
    """Add one audit row to the current transaction (the caller commits)."""
    if user is None and has_request_context():
        user = g.get("user")
    user_id = getattr(user, "id", None) if user is not None and getattr(user, "is_authenticated", False) else None
    entry = AuditLog(
        at=datetime.datetime.now().replace(microsecond=0),
        user_id=user_id,
        username=(username or (getattr(user, "username", None) if user_id else None) or "")[:128] or None,
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
