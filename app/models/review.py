"""审核记录: one immutable row per workflow move."""
from sqlalchemy import Column, DateTime, ForeignKey, Index, Integer, String, Text

from .base import Model, display_name


class ReviewRecord(Model):
    """A move of a reviewable document; never edited or deleted."""

    __tablename__ = "review_record"
    __table_args__ = (Index("ix_review_record_object", "object_type", "object_id", "id"),)
    id = Column(Integer, primary_key=True)
    object_type = Column(String(30), nullable=False)
    object_id = Column(Integer, nullable=False)
    action = Column(String(16), nullable=False)
    from_state = Column(String(16), nullable=False)
    to_state = Column(String(16), nullable=False)
    actor_id = Column(Integer, ForeignKey("ab_user.id"))
    actor_name = Column(String(128))
    at = Column(DateTime, nullable=False)
    opinion = Column(Text)

    @property
    def action_label(self):
        from app.workflow import action_label

        return action_label(self.action)

    def __str__(self):
        return display_name("审核记录 %(at)s", at=self.at)
