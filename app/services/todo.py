"""首页待办: what waits for the signed-in account, per role, as counts with the first few records."""
import datetime
from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, func, or_, select

from app.extensions import db
from app.models import Enrollment, Enterprise, ExamPlan, ScoreReport, TrainingPlan

SHOWN = 5  # records listed under a to-do; the count says how many there are


@dataclass
class Todo:
    """One line of the home page: `key` tells the view where its links go."""

    key: str
    label: str
    count: int
    records: list = field(default_factory=list)  # [(id, display name)], at most SHOWN


def _todo(key, label, query, name_column, id_column, count=None):
    """A Todo with its count (counted here unless given) and the first SHOWN records."""
    if count is None:
        count = db.session.execute(select(func.count()).select_from(query.subquery())).scalar()
    records = db.session.execute(query.with_only_columns(id_column, name_column)
                                 .order_by(id_column.desc()).limit(SHOWN)).all() if count else []
    return Todo(key, label, count, [tuple(r) for r in records])


def _documents(scope, model, states):
    """Documents in `states` that this department itself decides on (Scope.decides)."""
    return select(model.id).where(scope.criterion(model), scope.decides(db.session, model),
                                  model.review_state.in_(states))


def department_todos(scope):
    """受理 and 审核 waiting, per document type, in the seed's order."""
    # One condition and one count grouped by state per document type: Scope.decides reads the departments below
    # for enterprises, and counting each state apart made the home page 13 statements (now 7).
    todos = []
    states = ("submitted", "accepted")
    for key, labels, model, name in (
        ("enterprise", (_l("企业资质待受理"), _l("企业资质待审核")), Enterprise, Enterprise.name),
        ("training_plan", (_l("培训计划待受理"), _l("培训计划待审核")), TrainingPlan, TrainingPlan.name),
        ("exam_plan", (_l("考核计划待受理"), _l("考核计划待审核")), ExamPlan, ExamPlan.name),
        ("score_report", (_l("成绩报审待受理"), _l("成绩报审待审核")), ScoreReport, ExamPlan.name),
    ):
        waiting = _documents(scope, model, states)
        if model is ScoreReport:
            waiting = waiting.join(ExamPlan, ScoreReport.exam_plan_id == ExamPlan.id)
        counts = dict(db.session.execute(
            waiting.with_only_columns(model.review_state, func.count()).group_by(model.review_state)).all())
        for state, label in zip(states, labels):
            todos.append(_todo("%s_%s" % (key, state), label, waiting.where(model.review_state == state), name,
                               model.id, count=counts.get(state, 0)))
    return todos


def institution_todos(scope, today=None, now=None):
    """Returned plans, classes to open, attendance to confirm, scores to import or report, returned reports."""
    today = today or datetime.date.today()
    now = now or datetime.datetime.now()
    mine_plans = select(TrainingPlan.id).where(TrainingPlan.institution_id == scope.institution_id)
    mine_exams = select(ExamPlan.id).where(ExamPlan.institution_id == scope.institution_id)
    paid = select(Enrollment.id).where(Enrollment.plan_id == TrainingPlan.id, Enrollment.cancelled_at.is_(None),
                                       Enrollment.paid_at.is_not(None)).exists()
    report = ScoreReport.exam_plan_id == ExamPlan.id
    return [
        _todo("plan_rejected", _l("培训计划审核不通过（请修改后重新上报）"),
              mine_plans.where(TrainingPlan.review_state == "rejected"), TrainingPlan.name, TrainingPlan.id),
        _todo("class_to_open", _l("待开班（已有缴费学员）"),
              mine_plans.where(TrainingPlan.review_state == "approved", TrainingPlan.class_opened_at.is_(None), paid),
              TrainingPlan.name, TrainingPlan.id),
        _todo("attendance_to_confirm", _l("待确认考勤"),
              mine_plans.where(TrainingPlan.class_opened_at.is_not(None),
                               TrainingPlan.attendance_confirmed_at.is_(None)), TrainingPlan.name, TrainingPlan.id),
        _todo("exam_rejected", _l("考核计划审核不通过（请修改后重新上报）"),
              mine_exams.where(ExamPlan.review_state == "rejected"), ExamPlan.name, ExamPlan.id),
        _todo("scores_to_import", _l("考试已结束、待导入成绩"),
              mine_exams.outerjoin(ScoreReport, report).where(
                  ExamPlan.review_state == "approved", ExamPlan.practical_end < now,
                  or_(ScoreReport.id.is_(None), ScoreReport.imported_at.is_(None))), ExamPlan.name, ExamPlan.id),
        _todo("scores_to_report", _l("成绩已导入、待上报"),
              mine_exams.join(ScoreReport, report).where(
                  ScoreReport.imported_at.is_not(None), ScoreReport.review_state == "draft"), ExamPlan.name,
              ExamPlan.id),
        _todo("report_rejected", _l("成绩报审未通过（可修改后再次上报）"),
              mine_exams.join(ScoreReport, report).where(ScoreReport.review_state == "rejected"), ExamPlan.name,
              ExamPlan.id),
    ]


# What an enterprise should do next, by the state of its qualification.
ENTERPRISE_NEXT_STEP = {
    "draft": _l("请完善企业信息并上传企业承诺书、营业执照、企业资质证书后上报审核"),
    "submitted": _l("已上报，等待主管部门受理"),
    "accepted": _l("主管部门已受理，等待审核"),
    "rejected": _l("审核不通过：请按审核意见修改后重新上报"),
    "approved": _l("审核通过，可为学员报名培训计划"),
}


def enterprise_todos(scope, today=None):
    """Training plans open for enrollment now (only an approved enterprise may enroll)."""
    today = today or datetime.date.today()
    enrolling = select(TrainingPlan.id).where(
        scope.criterion(TrainingPlan), TrainingPlan.review_state == "approved",
        and_(TrainingPlan.enroll_start <= today, TrainingPlan.enroll_end >= today))
    return [_todo("plans_enrolling", _l("正在报名的培训计划"), enrolling, TrainingPlan.name, TrainingPlan.id)]
