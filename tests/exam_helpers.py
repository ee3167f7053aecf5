"""Shared set-up of the exam-plan tests: an approved plan with confirmed attendance and enrollees."""
import datetime
import random

from app.demo import GIVEN, SURNAMES, make_id_number
from app.extensions import db
from app.models import Enrollment, ExamCandidate, Staff, Worker
from app.services import exams as exam_service
from app.services import workers as worker_service
from app.services.enrollment import enrollment_columns
from tests import factories

_rng = random.Random(5)


def enroll(plan, enterprise, names, *, result="合格", confirmed=True):
    """Enroll one worker per name; attendance `result`, confirmed now (as the attendance step would)."""
    now = datetime.datetime.now().replace(microsecond=0)
    rows = []
    for name in names:
        while True:
            id_number = make_id_number(_rng, enterprise.region_code)
            if not db.session.query(Worker.id).filter_by(id_number=id_number).first():
                break
        worker = Worker(id_number=id_number, name=name, gender="男", enterprise_id=enterprise.id)
        db.session.add(worker)
        db.session.flush()
        inst = plan.institution
        enrollment = Enrollment(
            plan_id=plan.id, worker_id=worker.id, enterprise_id=enterprise.id, institution_id=inst.id,
            inst_region_code=inst.region_code, ent_region_code=enterprise.region_code, worker_name=name,
            id_number=id_number, enterprise_name=enterprise.name, institution_name=inst.name, plan_name=plan.name,
            enrolled_at=now, paid_at=now, paid_amount=800, in_class=True, attended_hours=64,
            attendance_result=result, attendance_confirmed_at=now if confirmed else None,
        )
        db.session.add(enrollment)
        rows.append(enrollment)
    db.session.commit()
    return rows


def ready_plan(p, *, confirmed=True, trade="010"):
    """An approved plan of inst_a; attendance confirmed (an hour ago) when `confirmed`."""
    plan = factories.training_plan(p.inst_a, state="approved", owner=p.inst_a_user, reviewer=p.city, trade=trade)
    if confirmed:
        plan.attendance_confirmed_at = datetime.datetime.now().replace(microsecond=0) - datetime.timedelta(hours=1)
        db.session.commit()
    return plan


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


def add_ticketed_examinees(exam, enterprise, enrolled_by, count, rng, *, area="330106"):
    """`count` new workers of `enterprise` (added through 学员管理), enrolled in the exam's plan with attendance 合格,
    as candidates of the (approved) exam plan; 准考证号, room and seat come from the approval's assign_tickets."""
    now = datetime.datetime.now().replace(microsecond=0)
    plan = exam.plan
    result = []
    for _ in range(count):
        id_number = make_id_number(rng, area)
        while db.session.query(Worker.id).filter_by(id_number=id_number).first():
            id_number = make_id_number(rng, area)
        worker = worker_service.add_worker(enterprise.id, dict(
            id_number=id_number, name=rng.choice(SURNAMES) + rng.choice(GIVEN),
            mobile="13%d%08d" % (rng.randint(5, 9), rng.randint(0, 99999999)), education="senior"), user=enrolled_by)
        enrollment = Enrollment(**enrollment_columns(plan, worker, enterprise), enrolled_at=now,
                                enrolled_by_id=enrolled_by.id, paid_amount=plan.fee, paid_at=now, in_class=True,
                                attended_hours=plan.hours, attendance_result="合格", attendance_confirmed_at=now)
        db.session.add(enrollment)
        db.session.flush()
        candidate = ExamCandidate(exam_plan_id=exam.id, enrollment_id=enrollment.id)
        db.session.add(candidate)
        result.append((candidate, enrollment))
    db.session.flush()
    db.session.expire(exam, ["candidates"])
    exam_service.assign_tickets(exam)
    db.session.commit()
    return result
