"""Shared set-up of the exam-plan tests: approved plans whose class went through the services, and exam data."""
import datetime
import random

from app.demo import GIVEN, SURNAMES, make_id_number
from app.extensions import db
from app.models import Staff, Worker
from app.services import enrollment as enrollment_service
from app.services import workers as worker_service
from tests import factories

_rng = random.Random(5)


def trained_plan(p, *groups, confirmed=True, trade="010"):
    """An approved plan of inst_a and its class, every step through its verb.

    Each group is (enterprise, names) or (enterprise, names, 考勤结果): one new worker per name in the enterprise's
    roster (学员管理), enrolled by the enterprise (培训报名); then the institution's 缴费, 开班, 考勤 of every
    enrollee and, when `confirmed`, 确认考勤 — once for the whole class, as the institution does it.
    Returns (plan, the enrollments in the order of the names).
    """
    plan = factories.training_plan(p.inst_a, state="approved", owner=p.inst_a_user, reviewer=p.city, trade=trade)
    enrollments, results = [], []
    for enterprise, names, *result in groups:
        enrollments += enroll(plan, enterprise, names)
        results += [result[0] if result else "合格"] * len(names)
    attend(plan, list(zip(enrollments, results)), p.inst_a_user, confirmed=confirmed)
    return plan, enrollments


def enroll(plan, enterprise, names, *, rng=None):
    """培训报名 of one new worker per name (added to the enterprise's roster first), by the enterprise's account."""
    rng = rng or _rng
    user = factories.user_of(enterprise_id=enterprise.id)
    workers = []
    for name in names:
        id_number = make_id_number(rng, enterprise.region_code)
        while db.session.query(Worker.id).filter_by(id_number=id_number).first():
            id_number = make_id_number(rng, enterprise.region_code)
        workers.append(worker_service.add_worker(enterprise.id, dict(
            id_number=id_number, name=name, mobile="13%d%08d" % (rng.randint(5, 9), rng.randint(0, 99999999)),
            education="senior"), user=user))
    return enrollment_service.enroll(plan.id, enterprise.id, [worker.id for worker in workers], user=user,
                                     today=max(plan.enroll_start, min(plan.enroll_end, datetime.date.today())))


def attend(plan, results, owner, *, confirmed=True):
    """缴费, 开班 and 考勤 (the plan's full hours, result as given) of [(enrollment, 考勤结果)]; 确认考勤 when `confirmed`."""
    enrollment_service.confirm_payment([enrollment for enrollment, _result in results], amount=plan.fee, user=owner)
    enrollment_service.open_class(plan, user=owner)
    for enrollment, result in results:
        enrollment_service.record_attendance(enrollment, hours=plan.hours, result=result, user=owner)
    if confirmed:
        enrollment_service.confirm_attendance(plan, user=owner)


def examiners(inst, specialty="土建", n=3):
    return [s.id for s in db.session.query(Staff).filter_by(institution_id=inst.id, category="examiner",
                                                               specialty=specialty).order_by(Staff.id)][:n]


def exam_data(inst, **overrides):
    start = (datetime.datetime.now() + datetime.timedelta(days=7)).replace(hour=9, minute=0, second=0, microsecond=0)
    data = {
        "name": "2026年第1期砌筑工考核", "theory_start": start, "theory_end": start + datetime.timedelta(hours=2),
        "practical_start": start + datetime.timedelta(days=1),
        "practical_end": start + datetime.timedelta(days=1, hours=4), "site_address": "杭州市西湖区文三路100号考点",
        "rooms": 2, "seats_per_room": 3, "examiner_ids": examiners(inst), "removed": {},
    }
    data.update(overrides)
    return data


def ticketed_exam(p, count, rng, *, trade="010"):
    """An approved exam plan of inst_a with `count` examinees of ent_a: a trained plan (trained_plan), 新增考核计划,
    then 上报, 受理 and 审核通过 — whose assign_tickets gives the 准考证号, rooms and seats.
    Returns (exam, [(candidate, enrollment)] in 准考证号 order)."""
    names = [rng.choice(SURNAMES) + rng.choice(GIVEN) for _ in range(count)]
    plan, enrollments = trained_plan(p, (p.ent_a, names), trade=trade)
    exam = factories.exam_plan(plan, state="approved", owner=p.inst_a_user, reviewer=p.city)
    by_enrollment = {candidate.enrollment_id: candidate for candidate in exam.candidates}
    return exam, [(by_enrollment[enrollment.id], enrollment) for enrollment in enrollments]
