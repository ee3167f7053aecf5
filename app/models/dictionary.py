"""数据字典: lookup types and their items, editable by 系统管理员 without code changes."""
from sqlalchemy import Boolean, Column, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import relationship

from .base import Model, TimestampMixin


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
