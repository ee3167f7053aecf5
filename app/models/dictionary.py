"""数据字典: lookup types and their items, editable by 系统管理员 without code changes, and their labels."""
from flask import g, has_app_context
from sqlalchemy import Boolean, Column, ForeignKey, Integer, String, UniqueConstraint, bindparam, event, select
from sqlalchemy.orm import relationship

from app.extensions import db

from .base import Model, TimestampMixin

_CACHE_KEY = "_dict_labels"


class DictType(TimestampMixin, Model):
    """A lookup list, referenced by its code."""

    __tablename__ = "dict_type"
    id = Column(Integer, primary_key=True)
    code = Column(String(50), nullable=False, unique=True)
    name = Column(String(100), nullable=False)
    description = Column(String(255))
    items = relationship("DictItem", back_populates="dict_type", order_by="DictItem.sort_order")

    def __repr__(self):
        return self.name


class DictItem(TimestampMixin, Model):
    """An entry of a lookup list; disabled items stay on old records but are not offered."""

    __tablename__ = "dict_item"
    __table_args__ = (UniqueConstraint("type_id", "value", name="uq_dict_item_value"),)
    id = Column(Integer, primary_key=True)
    type_id = Column(Integer, ForeignKey("dict_type.id"), nullable=False, index=True)
    value = Column(String(50), nullable=False)
    label = Column(String(100), nullable=False)
    sort_order = Column(Integer, nullable=False, default=0)
    enabled = Column(Boolean, nullable=False, default=True)
    parent_value = Column(String(50))  # hierarchy inside a type (工种 → parent 工种)
    group_value = Column(String(50))  # grouping by another type's value (工种 → 专业)
    dict_type = relationship("DictType", back_populates="items")

    def __repr__(self):
        return self.label


# --- labels (read by DictLabel on the models and by app.services.dictionaries) --------------------

def label(type_code, value):
    """The label of a value (disabled items too); the raw value when unknown."""
    if value is None:
        return ""
    return _labels(type_code).get(value, value)


def clear_cache(type_code=None):
    """Forget the per-request label cache (one type, or all) after items changed."""
    if not has_app_context():
        return
    cache = g.get(_CACHE_KEY)
    if not cache:
        return
    if type_code is None:
        cache.clear()
    else:
        cache.pop(type_code, None)


def _labels(type_code):
    # One query per type and request: list pages show a label per row.
    cache = g.setdefault(_CACHE_KEY, {}) if has_app_context() else {}
    if type_code not in cache:
        cache[type_code] = dict(db.session.execute(_LABELS, {"type_code": type_code}).all())
    return cache[type_code]


# Built once with the type as a bound parameter: building the join and its cache key on every call was half the
# cost of a label lookup (详情 reads four types). The items are still read once per type and request.
_LABELS = (select(DictItem.value, DictItem.label).join(DictType, DictItem.type_id == DictType.id)
           .where(DictType.code == bindparam("type_code")))


@event.listens_for(DictItem, "after_insert")
@event.listens_for(DictItem, "after_update")
@event.listens_for(DictItem, "after_delete")
@event.listens_for(DictType, "after_insert")
@event.listens_for(DictType, "after_update")
@event.listens_for(DictType, "after_delete")
def _dictionary_written(_mapper, _connection, _target):
    # Whatever wrote the row (admin screens, seed, a service): the next label() reads afresh.
    clear_cache()


class DictLabel:
    """Read-only attribute showing the 数据字典 label of a code column (e.g. 工种 020 → 钢筋工)."""

    def __init__(self, dict_type, column):
        self.dict_type, self.column = dict_type, column

    def __get__(self, obj, owner=None):
        if obj is None:
            return self
        return label(self.dict_type, getattr(obj, self.column))
