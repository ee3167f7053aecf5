"""培训报名 and the institution's training operations (SPEC §5 steps 4–5).

- enroll: an approved enterprise enrolls workers of its roster into an approved plan that is 报名中.
  Window and capacity are checked AT THE MOMENT of enrolling, with the plan row locked
  (SELECT … FOR UPDATE on PostgreSQL; SQLite serialises writers), so two enterprises taking the last
  seat at once end with one enrollment. A worker is enrolled at most once per plan (unique constraint).
- cancel (取消报名, with reason) by the enterprise, before payment only — a conditional UPDATE, so a
  cancel racing a payment confirmation leaves exactly one of them.
- the institution confirms payment (缴费, per enrollee or in bulk), opens the class (开班) with the paid
  enrollees, records attendance (出勤学时 or 出勤率, 合格/不合格) and confirms it (确认考勤) — then read-only;
  the department that reviews the institution may reopen it (with a reason, logged).
Enrollment rows carry denormalised columns for the provincial query: built by enrollment_columns().
Every operation is one transaction; refusals are ServiceError with a Chinese message and change nothing.
"""
import datetime
from decimal import Decimal, InvalidOperation

from sqlalchemy import func, select, update

from app.extensions import db
from app.models import Enrollment, Enterprise, TrainingPlan, Worker
from app.services import ServiceError, audit, transaction
from app.services.enterprises import require_approved

RESULTS = ("合格", "不合格")


def _now():
    return datetime.datetime.now().replace(microsecond=0)


def enrollment_columns(plan, worker, enterprise):
    """The denormalised columns of an Enrollment (names, region codes, statuses) — the one place that builds them."""
    institution = plan.institution
    return dict(
        plan_id=plan.id, worker_id=worker.id, enterprise_id=enterprise.id, institution_id=institution.id,
        inst_region_code=institution.region_code, ent_region_code=enterprise.region_code,
        worker_name=worker.name, id_number=worker.id_number, mobile=worker.mobile,
        enterprise_name=enterprise.name, institution_name=institution.name, plan_name=plan.name,
        exam_plan_id=None, exam_plan_name=None,
        exam_status="未上报", score_status="未上报", cert_status="证书未生成",
    )


def _locked_plan(plan_id):
    """The plan row, locked for this transaction (FOR UPDATE; a no-op on SQLite) and freshly read."""
    plan = db.session.execute(
        select(TrainingPlan).where(TrainingPlan.id == plan_id).with_for_update()
        .execution_options(populate_existing=True)).scalar_one_or_none()
    if plan is None:
        raise ServiceError("培训计划不存在")
    return plan


def active_count(plan_id):
    """Enrollments of a plan that hold a seat (not cancelled)."""
    return db.session.execute(select(func.count(Enrollment.id)).where(
        Enrollment.plan_id == plan_id, Enrollment.cancelled_at.is_(None))).scalar()


def remaining_seats(plan):
    return max(plan.capacity - active_count(plan.id), 0)


def enroll_refusal(plan, today=None):
    """Why nobody may enroll into the plan now (Chinese), or None."""
    if plan.review_state != "approved":
        return "培训计划“%s”尚未审核通过，不能报名" % plan.name
    if plan.institution is not None and plan.institution.status != "active":
        return "培训机构已注销，不能报名"
    today = today or datetime.date.today()
    if today < plan.enroll_start:
        return "培训计划“%s”尚未开始报名（报名时间 %s 至 %s）" % (plan.name, plan.enroll_start, plan.enroll_end)
    if today > plan.enroll_end:
        return "培训计划“%s”报名已截止（报名时间 %s 至 %s）" % (plan.name, plan.enroll_start, plan.enroll_end)
    if plan.class_opened_at is not None:
        return "培训计划“%s”已开班，不能再报名" % plan.name
    return None


def _enrolled_meanwhile(error, *_args, **_kwargs):
    """The same worker enrolled into the plan by a concurrent request (the unique constraint decides)."""
    if _is_unique_violation(error):
        raise ServiceError("所选学员已报名该培训计划，不能重复报名") from error


def _is_unique_violation(error):
    from sqlalchemy.exc import IntegrityError

    if not isinstance(error, IntegrityError):
        return False
    message = str(error.orig)
    return "uq_enrollment_plan_worker" in message or "enrollment.plan_id, enrollment.worker_id" in message


@transaction(on_error=_enrolled_meanwhile)
def enroll(plan_id, enterprise_id, worker_ids, *, user=None, today=None):
    """Enroll workers of the enterprise's roster into a plan; all or nothing. Returns the enrollments."""
    enterprise = db.session.get(Enterprise, enterprise_id) if enterprise_id else None
    require_approved(enterprise)
    worker_ids = sorted({int(pk) for pk in worker_ids or []})
    if not worker_ids:
        raise ServiceError("请选择要报名的学员")
    plan = _locked_plan(plan_id)  # from here on no other enrollment of this plan can commit
    refusal = enroll_refusal(plan, today)
    if refusal:
        raise ServiceError(refusal)
    workers = db.session.execute(select(Worker).where(
        Worker.id.in_(worker_ids), Worker.enterprise_id == enterprise.id).order_by(Worker.id)).scalars().all()
    if len(workers) != len(worker_ids):
        raise ServiceError("所选学员不在本企业学员名单中，请刷新后重试")
    existing = {e.worker_id: e for e in db.session.execute(select(Enrollment).where(
        Enrollment.plan_id == plan.id, Enrollment.worker_id.in_(worker_ids))).scalars()}
    already = [w.name for w in workers if w.id in existing and existing[w.id].cancelled_at is None]
    if already:
        raise ServiceError("以下学员已报名该培训计划，不能重复报名：%s" % "、".join(already))
    left = plan.capacity - active_count(plan.id)
    if len(workers) > left:
        raise ServiceError("培训计划“%s”名额不足：计划人数%d人，剩余%d个名额，本次选择了%d人"
                           % (plan.name, plan.capacity, max(left, 0), len(workers)))
    now = _now()
    result = []
    for worker in workers:
        columns = enrollment_columns(plan, worker, enterprise)
        enrollment = existing.get(worker.id)
        if enrollment is None:
            enrollment = Enrollment(**columns)
            db.session.add(enrollment)
        else:  # re-enrolling after a cancellation reuses the row (one row per worker and plan)
            for name, value in columns.items():
                setattr(enrollment, name, value)
            for name in ("cancelled_at", "cancel_reason", "paid_amount", "paid_at", "receipt_no",
                         "payment_confirmed_by_id", "attended_hours", "attendance_rate", "attendance_result",
                         "attendance_confirmed_at", "attendance_confirmed_by_id"):
                setattr(enrollment, name, None)
            enrollment.in_class = False
        enrollment.enrolled_at = now
        enrollment.enrolled_by_id = getattr(user, "id", None)
        result.append(enrollment)
    db.session.flush()
    for enrollment in result:
        audit.record("add", enrollment, user=user, object_type="enrollment",
                     detail="报名：%s → %s" % (enrollment.worker_name, plan.name))
    return result


@transaction
def cancel(enrollment, *, reason, user=None):
    """取消报名 (enterprise): before payment only, with a reason."""
    reason = (reason or "").strip()
    if not reason:
        raise ServiceError("请填写取消报名的原因", field="reason")
    if len(reason) > 500:
        raise ServiceError("取消原因不能超过500个字", field="reason")
    if enrollment.cancelled_at is not None:
        raise ServiceError("该报名已取消")
    if enrollment.paid_at is not None:
        raise ServiceError("已缴费的报名不能取消")
    now = _now()
    result = db.session.execute(
        update(Enrollment).where(Enrollment.id == enrollment.id, Enrollment.cancelled_at.is_(None),
                                 Enrollment.paid_at.is_(None), Enrollment.in_class.is_(False))
        .values(cancelled_at=now, cancel_reason=reason, updated_at=now)
        .execution_options(synchronize_session=False))
    if result.rowcount != 1:
        raise ServiceError("该报名已缴费或已被处理，不能取消，请刷新后重试")
    audit.record("cancel", enrollment, user=user, changes={"cancelled_at": [None, str(now)]},
                 detail="取消报名：%s" % reason)


# --- the institution's operations ----------------------------------------------------------------

def _parse_amount(value):
    try:
        amount = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    except (InvalidOperation, ValueError, AttributeError):
        raise ServiceError("缴费金额应为数字", field="amount")
    if not amount.is_finite():  # NaN / Infinity parse as Decimals: they are not amounts, not "negative"
        raise ServiceError("缴费金额应为数字", field="amount")
    if amount < 0:
        raise ServiceError("缴费金额不能为负数", field="amount")
    if amount >= Decimal("100000000") or amount != amount.quantize(Decimal("0.01")):
        raise ServiceError("缴费金额最多两位小数且不超过一亿元", field="amount")
    return amount


def _parse_time(value):
    if value in (None, ""):
        return _now()
    if isinstance(value, datetime.datetime):
        return value.replace(microsecond=0)
    if isinstance(value, datetime.date):
        return datetime.datetime.combine(value, datetime.time())
    text = str(value).strip().replace("T", " ")
    for pattern in ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d"):
        try:
            return datetime.datetime.strptime(text, pattern)
        except ValueError:
            continue
    raise ServiceError("缴费时间格式不正确，应如 2026-11-28 09:30", field="paid_at")


def _check_plan_open(plan):
    if plan.institution is not None and plan.institution.status != "active":
        raise ServiceError("培训机构已注销，不能办理")
    if plan.review_state != "approved":
        raise ServiceError("培训计划尚未审核通过")


@transaction
def confirm_payment(enrollments, *, amount, paid_at=None, receipt_no=None, user=None):
    """缴费确认 for one or more enrollments of the same plan; all or nothing. Returns how many."""
    enrollments = list(enrollments)
    if not enrollments:
        raise ServiceError("请先勾选报名人员")
    amount = _parse_amount(amount)
    paid_at = _parse_time(paid_at)
    if paid_at > _now() + datetime.timedelta(minutes=5):
        raise ServiceError("缴费时间不能晚于当前时间", field="paid_at")
    receipt_no = (receipt_no or "").strip() or None
    if receipt_no and len(receipt_no) > 50:
        raise ServiceError("票据号不能超过50个字符", field="receipt_no")
    plan_ids = {e.plan_id for e in enrollments}
    if len(plan_ids) != 1:
        raise ServiceError("一次只能确认同一培训计划的报名人员缴费")
    plan = _locked_plan(plan_ids.pop())
    _check_plan_open(plan)
    now = _now()
    for enrollment in enrollments:
        values = dict(paid_amount=amount, paid_at=paid_at, receipt_no=receipt_no,
                      payment_confirmed_by_id=getattr(user, "id", None), updated_at=now)
        if plan.class_opened_at is not None:
            values["in_class"] = True  # paid after 开班: joins the class
        result = db.session.execute(
            update(Enrollment).where(Enrollment.id == enrollment.id, Enrollment.cancelled_at.is_(None),
                                     Enrollment.paid_at.is_(None))
            .values(**values).execution_options(synchronize_session=False))
        if result.rowcount != 1:
            raise ServiceError("%s的报名已取消或已确认缴费，请刷新后重试" % enrollment.worker_name)
        audit.record("pay", enrollment, user=user,
                     changes={"paid_amount": [None, str(amount)], "paid_at": [None, str(paid_at)],
                              "receipt_no": [None, receipt_no]})
    for enrollment in enrollments:
        db.session.expire(enrollment)
    return len(enrollments)


@transaction
def open_class(plan, *, user=None):
    """开班 with the paid enrollments: they are in_class, the plan gets class_opened_at. Returns how many."""
    plan = _locked_plan(plan.id)
    _check_plan_open(plan)
    if plan.class_opened_at is not None:
        raise ServiceError("该培训计划已开班")
    paid = db.session.execute(select(func.count(Enrollment.id)).where(
        Enrollment.plan_id == plan.id, Enrollment.cancelled_at.is_(None),
        Enrollment.paid_at.is_not(None))).scalar()
    if not paid:
        raise ServiceError("还没有已缴费的报名人员，不能开班")
    now = _now()
    db.session.execute(update(Enrollment).where(
        Enrollment.plan_id == plan.id, Enrollment.cancelled_at.is_(None), Enrollment.paid_at.is_not(None))
        .values(in_class=True, updated_at=now).execution_options(synchronize_session=False))
    plan.class_opened_at = now
    audit.record("open_class", plan, user=user, changes={"class_opened_at": [None, str(now)]},
                 detail="开班：已缴费%d人" % paid)
    return paid


def attendance_refusal(plan):
    if plan.class_opened_at is None:
        return "尚未开班，不能录入考勤"
    if plan.attendance_confirmed_at is not None:
        return "考勤已确认，不能修改；如需修改请联系主管部门退回"
    return None


@transaction
def record_attendance(enrollment, *, hours=None, rate=None, result, user=None):
    """出勤学时 or 出勤率 and 合格/不合格 for one enrollee in class (before 确认考勤)."""
    plan = _locked_plan(enrollment.plan_id)
    _check_plan_open(plan)
    refusal = attendance_refusal(plan)
    if refusal:
        raise ServiceError(refusal)
    db.session.refresh(enrollment)
    if not enrollment.in_class or enrollment.cancelled_at is not None:
        raise ServiceError("%s未参加开班，不能录入考勤" % enrollment.worker_name)
    hours = None if hours in (None, "") else hours
    rate = None if rate in (None, "") else rate
    if hours is None and rate is None:
        raise ServiceError("请填写出勤学时或出勤率", field="hours")
    if hours is not None:
        try:
            hours = int(str(hours).strip())
        except ValueError:
            raise ServiceError("出勤学时应为整数", field="hours")
        if not 0 <= hours <= plan.hours:
            raise ServiceError("出勤学时应在0到%d之间" % plan.hours, field="hours")
    if rate is not None:
        try:
            rate = Decimal(str(rate).strip().rstrip("%"))
        except InvalidOperation:
            raise ServiceError("出勤率应为数字", field="rate")
        if not rate.is_finite() or not 0 <= rate <= 100:
            raise ServiceError("出勤率应在0到100之间", field="rate")
        rate = rate.quantize(Decimal("0.01"))
    elif hours is not None and plan.hours:
        rate = (Decimal(hours) * 100 / Decimal(plan.hours)).quantize(Decimal("0.01"))
    if result not in RESULTS:
        raise ServiceError("请选择考勤结果（合格或不合格）", field="result")
    before = [enrollment.attended_hours, str(enrollment.attendance_rate) if enrollment.attendance_rate is not None
              else None, enrollment.attendance_result]
    enrollment.attended_hours = hours
    enrollment.attendance_rate = rate
    enrollment.attendance_result = result
    audit.record("edit", enrollment, user=user, changes={
        "attended_hours": [before[0], hours], "attendance_rate": [before[1], str(rate) if rate is not None else None],
        "attendance_result": [before[2], result]})


def save_attendance(plan, typed, *, user=None):
    """考勤 as the class's page posts it: `typed` maps hours_<enrollment id>, rate_<id> and result_<id> to text for
    each enrollee in class (出勤学时 wins over 出勤率; a row left blank is skipped). Each row is recorded on its own;
    returns (rows saved, ["姓名：why", …] for the rows refused)."""
    in_class = db.session.execute(select(Enrollment).where(
        Enrollment.plan_id == plan.id, Enrollment.in_class.is_(True), Enrollment.cancelled_at.is_(None)
    )).scalars().all()
    saved, problems = 0, []
    for enrollment in in_class:
        hours, rate, result = (str(typed.get("%s_%d" % (name, enrollment.id)) or "").strip()
                               for name in ("hours", "rate", "result"))
        if not (hours or rate or result):
            continue
        try:
            record_attendance(enrollment, hours=hours or None, rate=None if hours else (rate or None), result=result,
                              user=user)
            saved += 1
        except ServiceError as refusal:
            problems.append("%s：%s" % (enrollment.worker_name, refusal.message))
    return saved, problems


@transaction
def confirm_attendance(plan, *, user=None):
    """确认考勤: every enrollee in class has a result; afterwards read-only. Returns the number of 合格."""
    plan = _locked_plan(plan.id)
    _check_plan_open(plan)
    refusal = attendance_refusal(plan)
    if refusal:
        raise ServiceError(refusal)
    in_class = db.session.execute(select(Enrollment).where(
        Enrollment.plan_id == plan.id, Enrollment.in_class.is_(True),
        Enrollment.cancelled_at.is_(None)).order_by(Enrollment.id)).scalars().all()
    missing = [e.worker_name for e in in_class if e.attendance_result not in RESULTS]
    if missing:
        raise ServiceError("以下学员尚未录入考勤结果：%s" % "、".join(missing[:20]) + ("等" if len(missing) > 20 else ""))
    now = _now()
    db.session.execute(update(Enrollment).where(
        Enrollment.plan_id == plan.id, Enrollment.in_class.is_(True), Enrollment.cancelled_at.is_(None))
        .values(attendance_confirmed_at=now, attendance_confirmed_by_id=getattr(user, "id", None))
        .execution_options(synchronize_session=False))
    plan.attendance_confirmed_at = now
    passed = sum(1 for e in in_class if e.attendance_result == "合格")
    audit.record("confirm_attendance", plan, user=user, changes={"attendance_confirmed_at": [None, str(now)]},
                 detail="确认考勤：%d人，合格%d人" % (len(in_class), passed))
    return passed


@transaction
def reopen_attendance(plan, *, reason, user=None, scope=None):
    """退回考勤 (department that reviews the institution): attendance becomes editable again, logged."""
    reason = (reason or "").strip()
    if not reason:
        raise ServiceError("请填写退回原因", field="reason")
    plan = _locked_plan(plan.id)
    if scope is not None and scope.kind != "admin" and not scope.reviews_institution(plan.institution):
        raise ServiceError("只有设立该培训机构的主管部门可以退回考勤")
    if plan.attendance_confirmed_at is None:
        raise ServiceError("考勤尚未确认，无需退回")
    if db.session.execute(select(func.count(Enrollment.id)).where(
            Enrollment.plan_id == plan.id, Enrollment.exam_plan_id.is_not(None))).scalar():
        raise ServiceError("已有学员编入考核计划，不能退回考勤")
    before = str(plan.attendance_confirmed_at)
    db.session.execute(update(Enrollment).where(Enrollment.plan_id == plan.id)
                       .values(attendance_confirmed_at=None, attendance_confirmed_by_id=None)
                       .execution_options(synchronize_session=False))
    plan.attendance_confirmed_at = None
    audit.record("reopen_attendance", plan, user=user, changes={"attendance_confirmed_at": [before, None]},
                 detail="退回考勤：%s" % reason)


def enrollment_status(enrollment):
    """How an enrollment reads in the lists: 已取消 / 待缴费 / 已缴费 / 已开班 / 考勤合格 …"""
    if enrollment.cancelled_at is not None:
        return "已取消"
    if enrollment.attendance_confirmed_at is not None:
        return "考勤%s" % (enrollment.attendance_result or "")
    if enrollment.in_class:
        return "已开班"
    if enrollment.paid_at is not None:
        return "已缴费"
    return "待缴费"


for _code, _label in (("cancel", "取消报名"), ("pay", "缴费确认"), ("open_class", "开班"),
                      ("confirm_attendance", "确认考勤"), ("reopen_attendance", "退回考勤")):
    audit.ACTION_LABELS.setdefault(_code, _label)
