"""Exam plans (考核计划), their examiners and candidates, scores and score reports (成绩报审)."""
from sqlalchemy import (
    Boolean, Column, DateTime, ForeignKey, Integer, Numeric, String, Table, Text, UniqueConstraint,
)
from sqlalchemy.orm import relationship

from .base import Model, ReviewableMixin, TimestampMixin, display_name, review_order_index

exam_plan_examiner = Table(
    "exam_plan_examiner",
    Model.metadata,
    Column("exam_plan_id", Integer, ForeignKey("exam_plan.id", ondelete="CASCADE"), primary_key=True),
    Column("staff_id", Integer, ForeignKey("staff.id"), primary_key=True),
)


class ExamPlan(TimestampMixin, ReviewableMixin, Model):
    """考核计划 for one training plan; on approval candidates get 准考证号, room and seat."""

    __tablename__ = "exam_plan"
    __table_args__ = (UniqueConstraint("institution_id", "year", "serial", name="uq_exam_plan_serial"),)
    id = Column(Integer, primary_key=True)
    institution_id = Column(Integer, ForeignKey("institution.id"), nullable=False, index=True)
    plan_id = Column(Integer, ForeignKey("training_plan.id"), nullable=False, index=True)
    name = Column(String(200), nullable=False, index=True)
    year = Column(Integer, nullable=False)
    serial = Column(Integer, nullable=False)
    theory_start = Column(DateTime, nullable=False)
    theory_end = Column(DateTime, nullable=False)
    practical_start = Column(DateTime, nullable=False)
    practical_end = Column(DateTime, nullable=False)
    site_address = Column(String(255), nullable=False)
    rooms = Column(Integer, nullable=False)
    seats_per_room = Column(Integer, nullable=False)
    pass_line = Column(Numeric(5, 2), nullable=False, default=60)
    institution = relationship("Institution")
    plan = relationship("TrainingPlan")
    examiners = relationship("Staff", secondary=exam_plan_examiner)
    candidates = relationship("ExamCandidate", back_populates="exam_plan", cascade="all, delete-orphan")

    def __repr__(self):
        return self.name


class ExamCandidate(Model):
    """An examinee of an exam plan; ticket, room and seat are set on approval."""

    __tablename__ = "exam_candidate"
    __table_args__ = (
        UniqueConstraint("exam_plan_id", "enrollment_id", name="uq_candidate_exam_enrollment"),
        UniqueConstraint("exam_plan_id", "room_no", "seat_no", name="uq_candidate_seat"),
    )
    id = Column(Integer, primary_key=True)
    exam_plan_id = Column(Integer, ForeignKey("exam_plan.id", ondelete="CASCADE"), nullable=False, index=True)
    enrollment_id = Column(Integer, ForeignKey("enrollment.id"), nullable=False, index=True)
    ticket_no = Column(String(32), unique=True)
    room_no = Column(Integer)
    seat_no = Column(Integer)
    removed = Column(Boolean, nullable=False, default=False)
    removed_reason = Column(Text)
    exam_plan = relationship("ExamPlan", back_populates="candidates")
    enrollment = relationship("Enrollment")

    def __str__(self):
        return display_name("考生 %(ticket)s", ticket=self.ticket_no or self.id)


class Score(TimestampMixin, Model):
    """成绩 of one candidate: 合格 when both parts reach the pass line and not 缺考."""

    __tablename__ = "score"
    __table_args__ = (UniqueConstraint("exam_plan_id", "enrollment_id", name="uq_score_exam_enrollment"),)
    id = Column(Integer, primary_key=True)
    exam_plan_id = Column(Integer, ForeignKey("exam_plan.id"), nullable=False, index=True)
    enrollment_id = Column(Integer, ForeignKey("enrollment.id"), nullable=False, index=True)
    theory_score = Column(Numeric(5, 2))
    practical_score = Column(Numeric(5, 2))
    absent = Column(Boolean, nullable=False, default=False)
    remark = Column(String(255))
    passed = Column(Boolean, nullable=False, default=False)
    exam_plan = relationship("ExamPlan")
    enrollment = relationship("Enrollment")

    @property
    def result_label(self):
        return "合格" if self.passed else "不合格"

    def __str__(self):
        return display_name("成绩（%(enrollment)s）", enrollment=self.enrollment)


class ScoreReport(TimestampMixin, ReviewableMixin, Model):
    """成绩报审: one per exam plan, through the review engine."""

    __tablename__ = "score_report"
    id = Column(Integer, primary_key=True)
    exam_plan_id = Column(Integer, ForeignKey("exam_plan.id"), nullable=False, unique=True)
    institution_id = Column(Integer, ForeignKey("institution.id"), nullable=False, index=True)
    imported_at = Column(DateTime)
    imported_by_id = Column(Integer, ForeignKey("ab_user.id"))
    exam_plan = relationship("ExamPlan")
    institution = relationship("Institution")

    def __str__(self):
        return display_name("%(exam)s 成绩报审", exam=self.exam_plan.name if self.exam_plan else self.exam_plan_id)


# 未审核 / 已审核 / 全部 list newest submitted first (app.models.base.review_order_index).
review_order_index(ExamPlan)
review_order_index(ScoreReport)
