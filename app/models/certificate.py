"""Certificates, their number sequences, generation jobs and the push outbox."""
from sqlalchemy import (
    Boolean, Column, Date, DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint,
)
from sqlalchemy.orm import relationship

from .base import Model, TimestampMixin, display_name
from .dictionary import DictLabel

CERT_STATUS = {"generated": "证书已生成未推送", "pushed": "证书已推送"}


class Certificate(TimestampMixin, Model):
    """证书: one per enrollment and exam plan; the number is unique and gap-free per sequence."""

    __tablename__ = "certificate"
    __table_args__ = (
        UniqueConstraint("enrollment_id", "exam_plan_id", name="uq_certificate_enrollment_exam"),
        *(Index("ix_certificate_%s" % column, column, postgresql_ops={column: "text_pattern_ops"})
          for column in ("inst_region_code", "ent_region_code")),
    )
    id = Column(Integer, primary_key=True)
    number = Column(String(32), nullable=False, unique=True)
    worker_id = Column(Integer, ForeignKey("worker.id"), nullable=False, index=True)
    enrollment_id = Column(Integer, ForeignKey("enrollment.id"), nullable=False, index=True)
    exam_plan_id = Column(Integer, ForeignKey("exam_plan.id"), nullable=False, index=True)
    institution_id = Column(Integer, ForeignKey("institution.id"), nullable=False, index=True)
    # The enrollment's region codes, copied at issue: department scope reads them from the row (migration 0016).
    inst_region_code = Column(String(6))
    ent_region_code = Column(String(6))
    # The holder's name, copied like enrollment.worker_name and kept in step with the worker by the same verb
    # (workers._sync_copies). 证书查询's 姓名 searches it through its gram / trigram indexes (migration 0018).
    worker_name = Column(String(50), nullable=False)
    trade_code = Column(String(10), nullable=False)
    skill_level = Column(String(50), nullable=False)
    issue_date = Column(Date, nullable=False)
    valid_until = Column(Date)
    status = Column(String(16), nullable=False, default="generated")
    pulled_at = Column(DateTime)
    push_attempts = Column(Integer, nullable=False, default=0)
    last_push_error = Column(Text)
    pushed_at = Column(DateTime)
    revoked = Column(Boolean, nullable=False, default=False)
    revoke_reason = Column(Text)
    revoked_at = Column(DateTime)
    worker = relationship("Worker")
    enrollment = relationship("Enrollment")
    exam_plan = relationship("ExamPlan")
    institution = relationship("Institution")
    trade_label = DictLabel("trade", "trade_code")
    skill_level_label = DictLabel("skill_level", "skill_level")

    @property
    def status_label(self):
        return CERT_STATUS.get(self.status, self.status)

    def __str__(self):
        return display_name("证书 %(number)s", number=self.number)


class CertificateSequence(Model):
    """Last serial per (year, 机构代码, 工种): allocation locks this row, so numbers have no gaps."""

    __tablename__ = "certificate_sequence"
    year = Column(Integer, primary_key=True)
    institution_code = Column(String(16), primary_key=True)
    trade_code = Column(String(10), primary_key=True)
    last_serial = Column(Integer, nullable=False, default=0)


class CertificateJob(TimestampMixin, Model):
    """A background 生成证书 run for one exam plan, with its progress."""

    __tablename__ = "certificate_job"
    id = Column(Integer, primary_key=True)
    exam_plan_id = Column(Integer, ForeignKey("exam_plan.id"), nullable=False, index=True)
    status = Column(String(16), nullable=False, default="pending")  # pending/running/finished/failed
    total = Column(Integer, nullable=False, default=0)
    done = Column(Integer, nullable=False, default=0)
    task_id = Column(String(64))
    error = Column(Text)
    requested_by_id = Column(Integer, ForeignKey("ab_user.id"))
    finished_at = Column(DateTime)
    exam_plan = relationship("ExamPlan")

    def __str__(self):
        return display_name("生成证书任务 %(id)s", id=self.id)


class PushOutbox(TimestampMixin, Model):
    """Outbox row per certificate to push to the national system; retried with back-off."""

    __tablename__ = "push_outbox"
    id = Column(Integer, primary_key=True)
    certificate_id = Column(Integer, ForeignKey("certificate.id"), nullable=False, unique=True)
    status = Column(String(16), nullable=False, default="pending")  # pending/sent/failed
    attempts = Column(Integer, nullable=False, default=0)
    next_attempt_at = Column(DateTime)
    last_error = Column(Text)
    sent_at = Column(DateTime)
    certificate = relationship("Certificate")

    def __str__(self):
        return display_name("推送 %(certificate)s", certificate=self.certificate)
