"""Training plans and enrollments (报名) with payment, class and attendance."""
import datetime

from sqlalchemy import (
    Boolean, Column, Date, DateTime, ForeignKey, Index, Integer, Numeric, String, Text, UniqueConstraint,
)
from sqlalchemy.orm import relationship

from .base import Model, ReviewableMixin, TimestampMixin, display_name, review_order_index
from .dictionary import DictLabel


class TrainingPlan(TimestampMixin, ReviewableMixin, Model):
    """培训计划 of an institution, reviewed by the department that set the institution up."""

    __tablename__ = "training_plan"
    id = Column(Integer, primary_key=True)
    institution_id = Column(Integer, ForeignKey("institution.id"), nullable=False, index=True)
    name = Column(String(200), nullable=False, index=True)
    trade_code = Column(String(10), nullable=False)
    skill_level = Column(String(50), nullable=False)
    training_type = Column(String(50), nullable=False)
    capacity = Column(Integer, nullable=False)
    fee = Column(Numeric(10, 2), nullable=False, default=0)
    hours = Column(Integer, nullable=False)
    enroll_start = Column(Date, nullable=False)
    enroll_end = Column(Date, nullable=False)
    train_start = Column(Date, nullable=False)
    train_end = Column(Date, nullable=False)
    location = Column(String(255))
    contact_person = Column(String(50))
    contact_phone = Column(String(30))
    class_opened_at = Column(DateTime)
    attendance_confirmed_at = Column(DateTime)
    institution = relationship("Institution")
    trade_label = DictLabel("trade", "trade_code")
    skill_level_label = DictLabel("skill_level", "skill_level")
    training_type_label = DictLabel("training_type", "training_type")

    def progress(self, today=None):
        """报名中 inside the enrollment window, 培训结束 after it (SPEC §7); None before approval."""
        if self.review_state != "approved":
            return None
        today = today or datetime.date.today()
        if today <= self.enroll_end:
            return "报名中" if today >= self.enroll_start else "未开始报名"
        return "培训结束"

    @property
    def progress_label(self):
        return self.progress() or ""

    def is_enrolling(self, today=None):
        today = today or datetime.date.today()
        return self.review_state == "approved" and self.enroll_start <= today <= self.enroll_end

    def __repr__(self):
        return self.name


class Enrollment(TimestampMixin, Model):
    """报名: one worker in one plan; carries denormalised search columns for 报名人员查询 (SPEC §12)."""

    __tablename__ = "enrollment"
    __table_args__ = (
        UniqueConstraint("plan_id", "worker_id", name="uq_enrollment_plan_worker"),
        Index("ix_enrollment_inst_region_id", "inst_region_code", "id"),
        Index("ix_enrollment_ent_region_id", "ent_region_code", "id"),
        Index("ix_enrollment_worker_name", "worker_name"),
        Index("ix_enrollment_id_number", "id_number"),
        Index("ix_enrollment_mobile", "mobile"),
        Index("ix_enrollment_status", "exam_status", "score_status", "cert_status", "id"),
        # PostgreSQL also gets pg_trgm GIN indexes on the name columns (migration 0002).
    )
    id = Column(Integer, primary_key=True)
    plan_id = Column(Integer, ForeignKey("training_plan.id"), nullable=False, index=True)
    worker_id = Column(Integer, ForeignKey("worker.id"), nullable=False, index=True)
    enterprise_id = Column(Integer, ForeignKey("enterprise.id"), nullable=False, index=True)
    institution_id = Column(Integer, ForeignKey("institution.id"), nullable=False, index=True)
    exam_plan_id = Column(Integer, ForeignKey("exam_plan.id"), index=True)
    # Denormalised copies so the provincial enrollee query filters one table (kept by the services).
    inst_region_code = Column(String(6), nullable=False)
    ent_region_code = Column(String(6), nullable=False)
    worker_name = Column(String(50), nullable=False)
    id_number = Column(String(18), nullable=False)
    mobile = Column(String(11))
    enterprise_name = Column(String(200), nullable=False)
    institution_name = Column(String(200), nullable=False)
    plan_name = Column(String(200), nullable=False)
    exam_plan_name = Column(String(200))
    # Progress statuses of SPEC §7, maintained by the services for filtering at scale.
    exam_status = Column(String(16), nullable=False, default="未上报")
    score_status = Column(String(16), nullable=False, default="未上报")
    cert_status = Column(String(16), nullable=False, default="证书未生成")

    enrolled_at = Column(DateTime, nullable=False)
    enrolled_by_id = Column(Integer, ForeignKey("ab_user.id"))
    paid_amount = Column(Numeric(10, 2))
    paid_at = Column(DateTime)
    receipt_no = Column(String(50))
    payment_confirmed_by_id = Column(Integer, ForeignKey("ab_user.id"))
    in_class = Column(Boolean, nullable=False, default=False)
    attended_hours = Column(Integer)
    attendance_rate = Column(Numeric(5, 2))
    attendance_result = Column(String(8))  # 合格 / 不合格
    attendance_confirmed_at = Column(DateTime)
    attendance_confirmed_by_id = Column(Integer, ForeignKey("ab_user.id"))
    cancelled_at = Column(DateTime)
    cancel_reason = Column(Text)

    plan = relationship("TrainingPlan")
    worker = relationship("Worker")
    enterprise = relationship("Enterprise")
    institution = relationship("Institution")
    exam_plan = relationship("ExamPlan")

    @property
    def masked_id_number(self):
        from app.validators import mask_id_number

        return mask_id_number(self.id_number)

    @property
    def masked_mobile(self):
        from app.validators import mask_mobile

        return mask_mobile(self.mobile)

    @property
    def is_cancelled(self):
        return self.cancelled_at is not None

    def __str__(self):
        return display_name("%(worker)s（%(plan)s）", worker=self.worker_name, plan=self.plan_name)


# 未审核 / 已审核 / 全部 list newest submitted first (app.models.base.review_order_index).
review_order_index(TrainingPlan)
