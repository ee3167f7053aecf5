"""Shared column mixins and helpers for the domain models."""
import datetime

from flask_appbuilder import Model
from sqlalchemy import Column, DateTime, Index, Integer, String, Text


def display_name(text, **values):
    """A record's display name: `text` translated when a request or app context has a locale, else as written."""
    try:
        from flask_babel import gettext

        return gettext(text, **values)
    except (RuntimeError, KeyError, AttributeError):  # no app context (scripts, the shell)
        return text % values if values else text


def now():
    """Current local time (the console runs in Asia/Shanghai; stored naive)."""
    return datetime.datetime.now().replace(microsecond=0)


class TimestampMixin:
    """created_at / updated_at maintained by SQLAlchemy."""

    created_at = Column(DateTime, default=now, nullable=False)
    updated_at = Column(DateTime, default=now, onupdate=now, nullable=False)


class ReviewableMixin:
    """State columns driven by app.workflow; review_version guards stale forms and races."""

    review_state = Column(String(16), nullable=False, default="draft", index=True)
    review_version = Column(Integer, nullable=False, default=0)
    review_opinion = Column(Text)
    submitted_at = Column(DateTime)
    accepted_at = Column(DateTime)
    reviewed_at = Column(DateTime)

    @property
    def review_state_label(self):
        from flask_babel import gettext

        from app.workflow import state_label

        return gettext(state_label(self.review_state))


def review_order_index(model):
    """The b-tree of a review list's order (submitted_at desc, id desc, walked backwards; migration 0017): when a
    search matches most rows the page reads its 20 rows off the index instead of sorting every match (培训计划审核
    searched with "20" at province: 54 → 12 ms)."""
    return Index("ix_%s_submitted" % model.__tablename__, model.submitted_at, model.id)


__all__ = ["Model", "TimestampMixin", "ReviewableMixin", "now", "review_order_index"]
