"""The outbox of background tasks: a task is recorded in the transaction that needs it, then handed to the broker."""
from sqlalchemy import Column, DateTime, Index, Integer, String, Text

from .base import Model, now


class QueuedTask(Model):
    """One Celery task to send by name; sent_at stays empty until the broker has taken it (then the sweep resends)."""

    __tablename__ = "queued_task"
    __table_args__ = (Index("ix_queued_task_unsent", "sent_at", "id"),
                      Index("ix_queued_task_subject", "subject_type", "subject_key"))
    id = Column(Integer, primary_key=True)
    task = Column(String(80), nullable=False)
    args = Column(Text, nullable=False, default="[]")  # JSON list: tasks take ids, never objects
    subject_type = Column(String(50))  # what the task works on, so a page can tell "recorded, not yet queued"
    subject_key = Column(String(64))
    created_at = Column(DateTime, nullable=False, default=now)
    sent_at = Column(DateTime)
    attempts = Column(Integer, nullable=False, default=0)
    last_error = Column(Text)
