"""操作日志, system settings and background export jobs."""
from sqlalchemy import Column, DateTime, ForeignKey, Index, Integer, String, Text

from .base import Model, TimestampMixin, display_name


class AuditLog(Model):
    """Who did what to which object, with before/after values; also logins and exports."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_object", "object_type", "object_id"),)
    id = Column(Integer, primary_key=True)
    at = Column(DateTime, nullable=False, index=True)
    user_id = Column(Integer, ForeignKey("ab_user.id"), index=True)
    username = Column(String(128))
    action = Column(String(50), nullable=False, index=True)
    object_type = Column(String(50))
    object_id = Column(Integer)
    object_label = Column(String(255))
    changes = Column(Text)  # JSON {field: [before, after]}
    detail = Column(Text)
    ip = Column(String(64))

    def __str__(self):
        return display_name("操作日志 %(at)s %(user)s", at=self.at, user=self.username or "")


class SystemSetting(TimestampMixin, Model):
    """A configurable value (rules, minimums, limits) with its default kept in code."""

    __tablename__ = "system_setting"
    key = Column(String(80), primary_key=True)
    value = Column(String(500), nullable=False)
    description = Column(String(255))

    def __str__(self):
        return self.description or self.key


class ExportJob(TimestampMixin, Model):
    """A background export; only its owner may download the file, until it expires."""

    __tablename__ = "export_job"
    id = Column(Integer, primary_key=True)
    user_id = Column(Integer, ForeignKey("ab_user.id"), nullable=False, index=True)
    kind = Column(String(50), nullable=False)
    filters = Column(Text)
    status = Column(String(16), nullable=False, default="pending")
    rows = Column(Integer, nullable=False, default=0)
    progress = Column(Integer, nullable=False, default=0)
    file_path = Column(String(255))
    error = Column(Text)
    expires_at = Column(DateTime)

    def __str__(self):
        return display_name("导出任务 %(id)s", id=self.id)


class FormSubmission(Model):
    """One submitted instance of a create form (its one-time token) and what it created: a double submit finds it."""

    __tablename__ = "form_submission"
    token = Column(String(32), primary_key=True)
    user_id = Column(Integer, ForeignKey("ab_user.id"), nullable=False, index=True)
    object_type = Column(String(50), nullable=False)
    object_id = Column(Integer)
    created_at = Column(DateTime, nullable=False, index=True)
