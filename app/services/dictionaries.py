"""数据字典 lookups: fields bound to a type code read its enabled items at render time."""
from flask import g, has_app_context
from sqlalchemy import select
from wtforms import SelectField

from app.extensions import db
from app.models import DictItem, DictType


def items(type_code, include=None):
    """Enabled items of a type as (value, label), ordered; `include` keeps a disabled current value."""
    rows = db.session.execute(
        select(DictItem.value, DictItem.label, DictItem.enabled)
        .join(DictType, DictItem.type_id == DictType.id)
        .where(DictType.code == type_code)
        .order_by(DictItem.sort_order, DictItem.value)
    ).all()
    return [(value, label) for value, label, enabled in rows if enabled or value == include]


def label(type_code, value):
    """The label of a value (disabled items too); the raw value when unknown."""
    if value is None:
        return ""
    return _labels(type_code).get(value, value)


def _labels(type_code):
    # One query per type and request: list pages show a label per row.
    cache = g.setdefault("_dict_labels", {}) if has_app_context() else {}
    if type_code not in cache:
        cache[type_code] = dict(db.session.execute(
            select(DictItem.value, DictItem.label).join(DictType, DictItem.type_id == DictType.id)
            .where(DictType.code == type_code)
        ).all())
    return cache[type_code]


class DictSelectField(SelectField):
    """A select whose choices come from a dictionary type, read on every render (no restart needed)."""

    def __init__(self, label=None, validators=None, dict_type=None, **kwargs):
        self.dict_type = dict_type
        super().__init__(label, validators, choices=[], validate_choice=True, **kwargs)

    def _load_choices(self):
        self.choices = [("", "请选择")] + items(self.dict_type, include=self.object_data)

    def iter_choices(self):
        self._load_choices()
        return super().iter_choices()

    def pre_validate(self, form):
        self._load_choices()
        if self.data in ("", None):
            return
        super().pre_validate(form)
