"""考核计划 as the institution writes it, and what its review moves do (准考证号, rooms, seats).

Rules (SPEC §2, §5 steps 6–7, §6, §7):
- an exam plan is created for a training plan of the institution once attendance is confirmed
  (plan.attendance_confirmed_at); the institution must not be 注销;
- times: each subject ends after it starts, the two subjects do not overlap, and both start after
  attendance was confirmed;
- examiners: the institution's own 考评员 whose 专业 is the 专业 of the plan's 工种, at least the
  setting ``min_examiners_per_exam_plan`` (default 3);
- examinees: the plan's enrollments whose attendance is 合格 (not cancelled, not in another exam
  plan); the institution may remove some, each with a reason; at least one remains;
- rooms × seats per room holds the examinees (and at most 999 seats: the 3-digit seat serial);
- year + per-(institution, year) serial (unique constraint uq_exam_plan_serial);
- edited only while 未上报 or 审核不通过;
- deleted only while a draft that was never submitted (as training plans: a plan with 审核记录 keeps its
  history); deleting removes its examiner links and examinees and frees their enrollments (未上报 again);
- on 审核通过 (inside the approve transaction) every remaining examinee gets 准考证号
  = year + 机构代码 + serial (3 digits) + seat serial (3 digits), a room and a seat, in enrollment-id order;
- Enrollment.exam_plan_id / exam_plan_name / exam_status follow every move:
  未上报 (draft, withdrawn, rejected) · 未审核 (submitted, accepted) · 已审核 (approved).
"""
import datetime

from flask_babel import gettext as _
from sqlalchemy import exists, func, select, update
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from app.models import (
    Certificate, CertificateJob, Enrollment, ExamCandidate, ExamPlan, Institution, Score, ScoreReport, Staff,
    TrainingPlan,
)
from app.services import InvalidFields, ServiceError, audit, reviewable, submissions, transaction
from app.services.reviewable import (  # noqa: F401 — the views read EDITABLE_STATES here
    EDITABLE_STATES, as_datetime, as_ids, as_int, blank, typed_values,
)
from app.services.settings import get_setting

FIELDS = ("name", "theory_start", "theory_end", "practical_start", "practical_end", "site_address", "rooms",
          "seats_per_room")
LABELS = {
    "plan_id": "培训计划", "name": "考核计划名称", "theory_start": "理论考试开始时间", "theory_end": "理论考试结束时间",
    "practical_start": "实操考试开始时间", "practical_end": "实操考试结束时间", "site_address": "考核地点",
    "rooms": "考场数", "seats_per_room": "每考场座位数", "examiner_ids": "考评员", "candidates": "考生",
}
MAX_SEATS = 999  # the seat serial of a 准考证号 has 3 digits
MAX_SERIAL = 999
EXAM_STATUS = {"draft": "未上报", "rejected": "未上报", "submitted": "未审核", "accepted": "未审核",
               "approved": "已审核"}


class ExamPlanInvalid(InvalidFields):
    """Validation failed: ``errors`` maps each field (None = the exam plan as a whole) to its message."""


# --- lookups -------------------------------------------------------------------------------------

def min_examiners():
    try:
        return max(1, int(get_setting("min_examiners_per_exam_plan") or 3))
    except (TypeError, ValueError):
        return 3


def default_pass_line():
    try:
        return float(get_setting("default_pass_line") or 60)
    except (TypeError, ValueError):
        return 60


def plan_specialty(plan):
    from app.services.dictionaries import specialty_of_trade

    return specialty_of_trade(plan.trade_code)


def examiner_choices(institution_id, plan):
    """The institution's 考评员 of the plan's 专业, by name."""
    specialty = plan_specialty(plan) if plan is not None else None
    if not specialty:
        return []
    return db.session.execute(
        select(Staff).where(Staff.institution_id == institution_id, Staff.category == "examiner",
                            Staff.specialty == specialty).order_by(Staff.name, Staff.id)
    ).scalars().all()


def eligible_plans(institution_id):
    """Approved training plans of the institution whose attendance is confirmed (newest first)."""
    return db.session.execute(
        select(TrainingPlan).where(TrainingPlan.institution_id == institution_id,
                                   TrainingPlan.review_state == "approved",
                                   TrainingPlan.attendance_confirmed_at.isnot(None))
        .order_by(TrainingPlan.id.desc())
    ).scalars().all()


def eligible_enrollments(plan, exam=None):
    """Enrollments of the plan that may sit this exam: attendance 合格, confirmed, not cancelled,
    not a (non-removed) examinee of another exam plan. In enrollment-id order."""
    taken = select(ExamCandidate.enrollment_id).where(ExamCandidate.removed.is_(False))
    if exam is not None and exam.id is not None:
        taken = taken.where(ExamCandidate.exam_plan_id != exam.id)
    return db.session.execute(
        select(Enrollment).where(Enrollment.plan_id == plan.id, Enrollment.attendance_result == "合格",
                                 Enrollment.attendance_confirmed_at.isnot(None), Enrollment.cancelled_at.is_(None),
                                 Enrollment.id.notin_(taken))
        .order_by(Enrollment.id)
    ).scalars().all()


def active_candidates(exam):
    return sorted((c for c in exam.candidates if not c.removed), key=lambda c: c.enrollment_id)


edit_refusal = reviewable.edit_refusal  # only while 未上报 or 审核不通过, of an institution not 注销
delete_refusal = reviewable.delete_refusal  # only a draft never submitted, of an institution not 注销


# --- validation ----------------------------------------------------------------------------------

def _typed(name, value):
    if name in ("rooms", "seats_per_room"):
        return as_int(value)
    if name.endswith(("_start", "_end")):
        return as_datetime(value)
    return str(value).strip()


def _format_error(name):
    return ("%s格式不正确，应如 2026-11-28 09:00" if name.endswith(("_start", "_end")) else "%s应为整数") % LABELS[name]


def normalise(data):
    values, errors = typed_values(data, FIELDS, _typed, _format_error)
    for name in ("examiner_ids", "removed"):
        if name in data:
            values[name] = data[name]
    return values, errors


def check(values, institution, plan, exam=None):
    """Every rule on complete data; returns {field: message} (empty when valid).

    values: typed FIELDS + examiner_ids (list of ints) + removed ({enrollment_id: reason}).
    """
    errors = {}
    if institution is None or plan is None or plan.institution_id != institution.id:
        return {"plan_id": "请选择本机构的培训计划"}
    if institution.status != "active":
        errors[None] = "培训机构已注销，不能新增或修改考核计划"
    if plan.review_state != "approved":
        errors["plan_id"] = "培训计划未审核通过，不能创建考核计划"
    elif plan.attendance_confirmed_at is None:
        errors["plan_id"] = "该培训计划尚未确认考勤，不能创建考核计划"
    for name in FIELDS:
        if blank(values.get(name)):
            errors.setdefault(name, "请填写%s" % LABELS[name])
    for name, limit in (("name", 200), ("site_address", 255)):
        value = values.get(name)
        if isinstance(value, str) and len(value) > limit:
            errors.setdefault(name, "%s不能超过%d个字" % (LABELS[name], limit))
    confirmed = plan.attendance_confirmed_at
    for subject, label in (("theory", "理论"), ("practical", "实操")):
        start, end = values.get(subject + "_start"), values.get(subject + "_end")
        if start and end and end <= start:
            errors.setdefault(subject + "_end", "%s考试结束时间应晚于开始时间" % label)
        if start and confirmed and start < confirmed:
            errors.setdefault(subject + "_start", "%s考试开始时间不能早于考勤确认时间（%s）"
                              % (label, confirmed.strftime("%Y-%m-%d %H:%M")))
    ts, te, ps, pe = (values.get(n) for n in ("theory_start", "theory_end", "practical_start", "practical_end"))
    if all((ts, te, ps, pe)) and ts < pe and ps < te and "practical_start" not in errors:
        errors["practical_start"] = "理论考试与实操考试时间不能重叠"
    for name in ("rooms", "seats_per_room"):
        value = values.get(name)
        if value is not None and name not in errors and value <= 0:
            errors[name] = "%s应大于0" % LABELS[name]
    # examiners
    try:
        examiner_ids = sorted(set(as_ids(values.get("examiner_ids"))))
    except (TypeError, ValueError):
        examiner_ids, errors["examiner_ids"] = [], "考评员选择不正确"
    allowed = {s.id for s in examiner_choices(institution.id, plan)}
    if "examiner_ids" not in errors:
        wrong = [i for i in examiner_ids if i not in allowed]
        if wrong:
            errors["examiner_ids"] = "只能选择本机构%s专业的考评员" % (plan_specialty(plan) or "")
        elif len(examiner_ids) < min_examiners():
            errors["examiner_ids"] = "考评员不少于%d人（已选%d人）" % (min_examiners(), len(examiner_ids))
    # examinees
    removed = values.get("removed") or {}
    eligible = [e.id for e in eligible_enrollments(plan, exam)] if plan.attendance_confirmed_at else []
    for enrollment_id, reason in removed.items():
        if enrollment_id in eligible and blank(reason):
            errors.setdefault("candidates", "移除考生须填写原因")
    count = len([i for i in eligible if i not in removed])
    if plan.attendance_confirmed_at and "plan_id" not in errors and count == 0:
        errors["candidates"] = "没有考勤合格的考生，不能创建考核计划"
    rooms, seats = values.get("rooms"), values.get("seats_per_room")
    if rooms and seats and rooms > 0 and seats > 0 and "rooms" not in errors and "seats_per_room" not in errors:
        if rooms * seats > MAX_SEATS:
            errors["seats_per_room"] = "考场座位总数不能超过%d" % MAX_SEATS
        elif rooms * seats < count:
            errors["seats_per_room"] = "考场座位不足：%d个考场×%d座=%d座，考生%d人" % (rooms, seats, rooms * seats, count)
    values["examiner_ids"] = examiner_ids
    values["removed"] = {k: (v or "").strip() for k, v in removed.items() if k in eligible}
    values["eligible"] = eligible
    return errors


def validate(data, institution, plan, exam=None):
    values, errors = normalise(data)
    base = {name: None for name in FIELDS}
    if exam is not None:
        base = {name: getattr(exam, name) for name in FIELDS}
        base["examiner_ids"] = [s.id for s in exam.examiners]
        base["removed"] = {c.enrollment_id: c.removed_reason for c in exam.candidates if c.removed}
    values = {**base, **values}
    for name, message in check(values, institution, plan, exam).items():
        errors.setdefault(name, message)
    if errors:
        raise ExamPlanInvalid(errors)
    return values


# --- operations ----------------------------------------------------------------------------------

def _next_serial(institution_id, year):
    current = db.session.execute(
        select(func.max(ExamPlan.serial)).where(ExamPlan.institution_id == institution_id, ExamPlan.year == year)
    ).scalar() or 0
    if current >= MAX_SERIAL:
        raise ServiceError("本机构%d年的考核计划已达%d个，不能再新增" % (year, MAX_SERIAL))
    return current + 1


def _sync_candidates(exam, values):
    """Candidates = eligible enrollments; removed ones keep their row with the reason."""
    by_enrollment = {c.enrollment_id: c for c in exam.candidates}
    for enrollment_id in values["eligible"]:
        candidate = by_enrollment.get(enrollment_id)
        if candidate is None:
            candidate = ExamCandidate(enrollment_id=enrollment_id, removed=False)
            exam.candidates.append(candidate)
        reason = values["removed"].get(enrollment_id)
        candidate.removed = reason is not None
        candidate.removed_reason = reason
    for enrollment_id, candidate in by_enrollment.items():
        if enrollment_id not in values["eligible"]:
            exam.candidates.remove(candidate)
            _detach_enrollment(enrollment_id, exam.id)
    db.session.flush()
    sync_enrollments(exam)


def _detach_enrollment(enrollment_id, exam_id):
    db.session.execute(
        update(Enrollment).where(Enrollment.id == enrollment_id, Enrollment.exam_plan_id == exam_id)
        .values(exam_plan_id=None, exam_plan_name=None, exam_status="未上报")
        .execution_options(synchronize_session="fetch"))


def sync_enrollments(exam):
    """Keep Enrollment.exam_plan_id / exam_plan_name / exam_status in step with the exam plan."""
    status = EXAM_STATUS.get(exam.review_state, "未上报")
    for candidate in exam.candidates:
        if candidate.removed:
            _detach_enrollment(candidate.enrollment_id, exam.id)
        else:
            db.session.execute(
                update(Enrollment).where(Enrollment.id == candidate.enrollment_id)
                .values(exam_plan_id=exam.id, exam_plan_name=exam.name, exam_status=status)
                .execution_options(synchronize_session="fetch"))


@transaction
def create_exam_plan(institution_id, plan_id, data, *, user, form_token=None):
    """A new exam plan (未上报) with its examiners and examinees; raises ExamPlanInvalid / ServiceError.

    `form_token` is the form's one-time token: the same form posted twice creates one exam plan (AlreadySubmitted).
    """
    submission = submissions.claim(form_token, user.id, "exam_plan")
    institution = db.session.get(Institution, institution_id) if institution_id else None
    try:
        plan_pk = as_int(plan_id)
    except (TypeError, ValueError):
        plan_pk = None
    plan = db.session.get(TrainingPlan, plan_pk) if plan_pk else None
    if plan is None or institution is None or plan.institution_id != institution.id:
        raise ExamPlanInvalid({"plan_id": "请选择本机构的培训计划"})
    values = validate(data, institution, plan)
    year = values["theory_start"].year
    exam = ExamPlan(institution_id=institution.id, plan_id=plan.id, year=year,
                    serial=_next_serial(institution.id, year), pass_line=default_pass_line(),
                    review_state="draft", review_version=0, **{name: values[name] for name in FIELDS})
    exam.examiners = [db.session.get(Staff, i) for i in values["examiner_ids"]]
    db.session.add(exam)
    try:
        db.session.flush()
    except IntegrityError:
        raise ServiceError("考核计划编号冲突（他人同时新增），请重新保存")
    if submission is not None:
        submission.object_id = exam.id
    _sync_candidates(exam, values)
    audit.record("add", exam, user=user, changes={
        "name": [None, exam.name], "examiners": [None, values["examiner_ids"]],
        "candidates": [None, len([i for i in values["eligible"] if i not in values["removed"]])]})
    return exam


@transaction
def update_exam_plan(exam, data, *, user, expected_version=None):
    """Change data, examiners or removed examinees while 未上报 / 审核不通过."""
    refusal = edit_refusal(exam)
    if refusal:
        raise ServiceError(refusal)
    if expected_version not in (None, "") and str(expected_version).strip() != str(exam.review_version):
        raise ServiceError("该考核计划已被他人处理，请刷新页面后重试")
    values = validate(data, exam.institution, exam.plan, exam)
    result = db.session.execute(
        update(ExamPlan).where(ExamPlan.id == exam.id, ExamPlan.review_state == exam.review_state,
                               ExamPlan.review_version == exam.review_version)
        .values(updated_at=datetime.datetime.now().replace(microsecond=0))
        .execution_options(synchronize_session=False))
    if result.rowcount != 1:
        raise ServiceError("该考核计划已被他人处理，请刷新页面后重试")
    changes = {}
    for name in FIELDS:
        if values[name] != getattr(exam, name):
            changes[name] = [str(getattr(exam, name)), str(values[name])]
            setattr(exam, name, values[name])
    before = sorted(s.id for s in exam.examiners)
    if before != values["examiner_ids"]:
        changes["examiners"] = [before, values["examiner_ids"]]
        exam.examiners = [db.session.get(Staff, i) for i in values["examiner_ids"]]
    _sync_candidates(exam, values)
    audit.record("edit", exam, user=user, changes=changes)
    return changes


def _has_results(exam_id):
    """Scores, a score report or certificates hang off the exam plan (never for a draft, but never orphan them)."""
    for model in (Score, ScoreReport, Certificate, CertificateJob):
        if db.session.execute(select(exists().where(model.exam_plan_id == exam_id))).scalar():
            return True
    return False


@transaction
def delete_exam_plan(exam, *, user):
    """Delete a draft exam plan that was never submitted, with its examiner links and examinees.

    The exam plan's row is claimed first by a conditional UPDATE on the state and version the refusal
    check saw (draft, 0): a 上报 racing this delete either finds the row gone or makes this delete change
    nothing. The enrollments it held go back to 未上报 (free for another exam plan); an 操作日志 entry
    keeps what was deleted.
    """
    refusal = delete_refusal(exam)
    if refusal:
        raise ServiceError(refusal)
    stale = _("该考核计划已上报或已被他人处理，不能删除，请刷新页面后重试")
    claimed = db.session.execute(
        update(ExamPlan).where(ExamPlan.id == exam.id, ExamPlan.review_state == "draft",
                               ExamPlan.review_version == 0)
        .values(updated_at=datetime.datetime.now().replace(microsecond=0))
        .execution_options(synchronize_session=False))
    if claimed.rowcount != 1:
        raise ServiceError(stale)
    if _has_results(exam.id):
        raise ServiceError(_("该考核计划已有成绩或证书，不能删除"))
    examiner_ids = sorted(s.id for s in exam.examiners)
    examinees = sorted(c.enrollment_id for c in exam.candidates if not c.removed)
    removed = sorted(c.enrollment_id for c in exam.candidates if c.removed)
    audit.record("delete", exam, user=user, changes={
        "name": [exam.name, None], "plan_id": [exam.plan_id, None], "examiners": [examiner_ids, None],
        "candidates": [examinees, None], "removed_candidates": [removed, None]})
    db.session.execute(
        update(Enrollment).where(Enrollment.exam_plan_id == exam.id)
        .values(exam_plan_id=None, exam_plan_name=None, exam_status="未上报")
        .execution_options(synchronize_session="fetch"))
    exam.examiners = []
    db.session.delete(exam)  # its examinees go with it (cascade delete-orphan)
    db.session.flush()


# --- review hooks (declared below as the exam plan's DocumentKind) ----------------------------------------

def check_submittable(exam):
    """Before 上报: re-check what may have changed since the exam plan was saved."""
    reviewable.institution_active(exam)
    specialty = plan_specialty(exam.plan)
    for staff in exam.examiners:
        if staff.institution_id != exam.institution_id or staff.category != "examiner" or staff.specialty != specialty:
            raise ServiceError("考评员%s不是本机构%s专业的考评员，请修改考核计划" % (staff.name, specialty or ""))
    active = active_candidates(exam)
    for candidate in active:
        enrollment = candidate.enrollment
        if enrollment.cancelled_at is not None or enrollment.attendance_result != "合格":
            raise ServiceError("考生%s考勤不合格或报名已取消，请修改考核计划" % enrollment.worker_name)
    if active and exam.rooms * exam.seats_per_room < len(active):
        raise ServiceError("考场座位不足，请修改考核计划")


def ticket_number(exam, seat_serial):
    """准考证号: year + 机构代码 + exam plan serial (3) + seat serial (3)."""
    return "%04d%s%03d%03d" % (exam.year, exam.institution.code, exam.serial, seat_serial)


def assign_tickets(exam):
    """On 审核通过: 准考证号, room and seat for every remaining examinee, by enrollment id; idempotent."""
    for candidate in exam.candidates:
        candidate.ticket_no = candidate.room_no = candidate.seat_no = None
    db.session.flush()
    active = active_candidates(exam)
    if len(active) > exam.rooms * exam.seats_per_room:
        raise ServiceError("考场座位不足，不能审核通过")
    for index, candidate in enumerate(active):
        candidate.room_no = index // exam.seats_per_room + 1
        candidate.seat_no = index % exam.seats_per_room + 1
        candidate.ticket_no = ticket_number(exam, index + 1)
    db.session.flush()
    sync_enrollments(exam)


def after_move(exam):
    """Any other move: the enrollees' 考核计划 status follows the exam plan's state."""
    sync_enrollments(exam)


def after_withdraw_or_reject(exam):
    for candidate in exam.candidates:
        candidate.ticket_no = candidate.room_no = candidate.seat_no = None
    db.session.flush()
    sync_enrollments(exam)


reviewable.register(reviewable.DocumentKind(
    "exam_plan", "考核计划", ExamPlan, before={"submit": check_submittable},
    after={"approve": assign_tickets, "submit": after_move, "accept": after_move,
           "withdraw": after_withdraw_or_reject, "reject": after_withdraw_or_reject}))


# --- documents (after approval) ---------------------------------------------------------------------

def documents_available(exam):
    """准考证 / 桌贴 / 签到表 / 汇总表 exist only once the exam plan is 审核通过."""
    return exam.review_state == "approved"


def room_numbers(exam):
    """Rooms that have examinees (1…n)."""
    return sorted({c.room_no for c in exam.candidates if not c.removed and c.room_no})


def visible_candidates(exam, scope):
    """The exam plan's remaining examinees this scope may see, by room and seat (enrollment id before approval).

    An enterprise sees only its own workers; the institution and departments (the exam plan in their
    scope) see all of them.
    """
    candidates = [c for c in exam.candidates if not c.removed]
    if scope.kind == "enterprise":
        candidates = [c for c in candidates if c.enrollment.enterprise_id == scope.enterprise_id]
    elif scope.kind not in ("admin", "institution", "department"):
        candidates = []
    return sorted(candidates, key=lambda c: (c.room_no or 0, c.seat_no or 0, c.enrollment_id))
