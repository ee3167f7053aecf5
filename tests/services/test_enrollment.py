"""培训报名 and training operations (app.services.enrollment): each step, each refusal, and the scope.

The last-seat race runs on PostgreSQL only (TEST_DATABASE_URL=postgresql+psycopg://…); see the bottom.
"""
import datetime
import os
import random
import threading
from decimal import Decimal

import pytest
from sqlalchemy import select

from app.demo import make_id_number
from app.extensions import db
from app.models import AuditLog, Enrollment, TrainingPlan, Worker
from app.security.scope import Scope
from app.services import ServiceError
from app.services import enrollment as service
from app.services import workers as worker_service
from tests import factories

_rng = random.Random(20261129)


def new_worker(enterprise, name="学员"):
    while True:
        number = make_id_number(_rng, area=enterprise.region_code)
        if worker_service.find_by_id_number(number) is None:
            break
    return worker_service.add_worker(enterprise.id, {"id_number": number, "name": name, "mobile": "13900001111",
                                                     "education": "senior"})


@pytest.fixture
def plan(personas):
    return factories.training_plan(personas.inst_a, state="approved", owner=personas.inst_a_user,
                                   reviewer=personas.city)


def test_enroll_fills_the_denormalised_columns(personas, plan):
    worker = new_worker(personas.ent_a, "张三")
    [enrollment] = service.enroll(plan.id, personas.ent_a.id, [worker.id], user=personas.ent_a_user)
    assert (enrollment.worker_name, enrollment.id_number, enrollment.enterprise_name, enrollment.institution_name,
            enrollment.plan_name) == ("张三", worker.id_number, personas.ent_a.name, personas.inst_a.name, plan.name)
    assert (enrollment.inst_region_code, enrollment.ent_region_code) == ("330106", "330106")
    assert (enrollment.exam_status, enrollment.score_status, enrollment.cert_status) == ("未上报", "未上报", "证书未生成")
    assert enrollment.enrolled_by_id == personas.ent_a_user.id
    assert service.enrollment_status(enrollment) == "待缴费"


def test_enroll_outside_the_window(personas, plan):
    worker = new_worker(personas.ent_a)
    tomorrow = plan.enroll_end + datetime.timedelta(days=1)
    with pytest.raises(ServiceError, match="报名已截止"):
        service.enroll(plan.id, personas.ent_a.id, [worker.id], today=tomorrow)
    with pytest.raises(ServiceError, match="尚未开始报名"):
        service.enroll(plan.id, personas.ent_a.id, [worker.id], today=plan.enroll_start - datetime.timedelta(days=1))
    assert db.session.query(Enrollment).count() == 0


def test_enroll_unapproved_plan(personas):
    draft = factories.training_plan(personas.inst_a)
    worker = new_worker(personas.ent_a)
    with pytest.raises(ServiceError, match="尚未审核通过"):
        service.enroll(draft.id, personas.ent_a.id, [worker.id])


def test_enroll_over_capacity_enrolls_nobody(personas, plan):
    plan.capacity = 2
    db.session.commit()
    workers = [new_worker(personas.ent_a, "学员%d" % i) for i in range(3)]
    with pytest.raises(ServiceError, match="名额不足：计划人数2人，剩余2个名额，本次选择了3人"):
        service.enroll(plan.id, personas.ent_a.id, [w.id for w in workers])
    assert db.session.query(Enrollment).count() == 0
    service.enroll(plan.id, personas.ent_a.id, [w.id for w in workers[:2]])
    with pytest.raises(ServiceError, match="剩余0个名额"):
        service.enroll(plan.id, personas.ent_a.id, [workers[2].id])


def test_unapproved_enterprise_gets_require_approved_message(personas, plan):
    ent, _user = factories.enterprise("待审核建设有限公司", "330106", "ent_pending")
    with pytest.raises(ServiceError, match="企业资质尚未审核通过，不能报名"):
        service.enroll(plan.id, ent.id, [1])


def test_duplicate_enrollment_refused(personas, plan):
    worker = new_worker(personas.ent_a, "张三")
    service.enroll(plan.id, personas.ent_a.id, [worker.id])
    with pytest.raises(ServiceError, match="已报名该培训计划，不能重复报名：张三"):
        service.enroll(plan.id, personas.ent_a.id, [worker.id])
    assert db.session.query(Enrollment).count() == 1


def test_unique_constraint_is_translated(personas, plan):
    """Even past the pre-check (a racing insert), the database constraint answers in Chinese."""
    worker = new_worker(personas.ent_a)
    service.enroll(plan.id, personas.ent_a.id, [worker.id])
    row = db.session.query(Enrollment).one()
    db.session.add(Enrollment(**{**service.enrollment_columns(plan, worker, personas.ent_a)},
                              enrolled_at=datetime.datetime.now()))
    with pytest.raises(Exception) as raised:
        db.session.commit()
    db.session.rollback()
    assert service._is_unique_violation(raised.value)
    assert row.id


def test_cannot_enroll_another_enterprises_worker(personas, plan):
    worker = new_worker(personas.ent_b)
    with pytest.raises(ServiceError, match="不在本企业学员名单中"):
        service.enroll(plan.id, personas.ent_a.id, [worker.id])


def test_cancel_before_payment_only_and_reenroll(personas, plan):
    worker = new_worker(personas.ent_a)
    [enrollment] = service.enroll(plan.id, personas.ent_a.id, [worker.id])
    with pytest.raises(ServiceError, match="请填写取消报名的原因"):
        service.cancel(enrollment, reason=" ")
    service.cancel(enrollment, reason="工期冲突", user=personas.ent_a_user)
    assert enrollment.is_cancelled and enrollment.cancel_reason == "工期冲突"
    assert service.remaining_seats(plan) == plan.capacity
    [again] = service.enroll(plan.id, personas.ent_a.id, [worker.id])
    assert again.id == enrollment.id and not again.is_cancelled
    service.confirm_payment([again], amount="800", receipt_no="R001", user=personas.inst_a_user)
    with pytest.raises(ServiceError, match="已缴费的报名不能取消"):
        service.cancel(again, reason="不去了")
    assert db.session.query(AuditLog).filter_by(action="cancel").count() == 1


def test_payment_open_class_attendance_confirm_reopen(personas, plan):
    workers = [new_worker(personas.ent_a, "学员%d" % i) for i in range(3)]
    paid_a, paid_b, unpaid = service.enroll(plan.id, personas.ent_a.id, [w.id for w in workers])
    with pytest.raises(ServiceError, match="不能为负数"):
        service.confirm_payment([paid_a], amount="-1")
    with pytest.raises(ServiceError, match="还没有已缴费的报名人员"):
        service.open_class(plan)
    assert service.confirm_payment([paid_a, paid_b], amount=Decimal("800"), paid_at="2026-11-01 09:30",
                                   receipt_no="NO.1") == 2
    assert paid_a.paid_amount == Decimal("800") and paid_a.receipt_no == "NO.1"
    with pytest.raises(ServiceError, match="已确认缴费"):
        service.confirm_payment([paid_a], amount="800")
    with pytest.raises(ServiceError, match="尚未开班"):
        service.record_attendance(paid_a, hours=60, result="合格")
    assert service.open_class(plan, user=personas.inst_a_user) == 2
    db.session.refresh(plan)
    assert plan.class_opened_at is not None
    assert [e.in_class for e in (paid_a, paid_b, unpaid)] == [True, True, False]
    with pytest.raises(ServiceError, match="已开班"):
        service.open_class(plan)
    with pytest.raises(ServiceError, match="已开班，不能再报名"):
        service.enroll(plan.id, personas.ent_a.id, [new_worker(personas.ent_a).id])
    with pytest.raises(ServiceError, match="未参加开班"):
        service.record_attendance(unpaid, hours=10, result="合格")
    with pytest.raises(ServiceError, match="出勤学时应在0到64之间"):
        service.record_attendance(paid_a, hours=65, result="合格")
    with pytest.raises(ServiceError, match="考勤结果"):
        service.record_attendance(paid_a, hours=60, result="优秀")
    service.record_attendance(paid_a, hours=60, result="合格")
    assert paid_a.attendance_rate == Decimal("93.75")
    with pytest.raises(ServiceError, match="尚未录入考勤结果：学员1"):
        service.confirm_attendance(plan)
    service.record_attendance(paid_b, rate="40", result="不合格")
    assert service.confirm_attendance(plan, user=personas.inst_a_user) == 1
    db.session.refresh(paid_a)
    assert paid_a.attendance_confirmed_at is not None and service.enrollment_status(paid_a) == "考勤合格"
    # after confirmation: read-only for the institution
    with pytest.raises(ServiceError, match="考勤已确认，不能修改"):
        service.record_attendance(paid_a, hours=10, result="不合格")
    with pytest.raises(ServiceError, match="考勤已确认"):
        service.confirm_attendance(plan)
    # only the department that set the institution up reopens it, with a reason
    with pytest.raises(ServiceError, match="只有设立该培训机构的主管部门"):
        service.reopen_attendance(plan, reason="录错", scope=Scope.for_user(personas.other_city))
    with pytest.raises(ServiceError, match="请填写退回原因"):
        service.reopen_attendance(plan, reason="", scope=Scope.for_user(personas.city))
    service.reopen_attendance(plan, reason="学时录错", user=personas.city, scope=Scope.for_user(personas.city))
    assert "学时录错" in db.session.query(AuditLog).filter_by(action="reopen_attendance").one().detail
    service.record_attendance(paid_a, hours=64, result="合格")
    assert paid_a.attended_hours == 64


def test_payment_after_cancel_refused(personas, plan):
    [enrollment] = service.enroll(plan.id, personas.ent_a.id, [new_worker(personas.ent_a).id])
    service.cancel(enrollment, reason="不参加")
    with pytest.raises(ServiceError, match="已取消或已确认缴费"):
        service.confirm_payment([enrollment], amount="800")


def test_scope_institution_and_enterprise_see_only_theirs(personas, plan):
    """Forged ids: another institution's/enterprise's enrollment is invisible (404 through the scope)."""
    from werkzeug.exceptions import NotFound

    plan_b = factories.training_plan(personas.inst_b, state="approved", owner=personas.inst_b_user,
                                     reviewer=personas.other_city)
    [own_a] = service.enroll(plan.id, personas.ent_a.id, [new_worker(personas.ent_a).id])
    [own_b] = service.enroll(plan.id, personas.ent_b.id, [new_worker(personas.ent_b).id])
    [other] = service.enroll(plan_b.id, personas.ent_b.id, [new_worker(personas.ent_b).id])
    inst_a = Scope.for_user(personas.inst_a_user)
    ent_a = Scope.for_user(personas.ent_a_user)
    seen = db.session.execute(select(Enrollment.id).where(inst_a.criterion(Enrollment))).scalars().all()
    assert sorted(seen) == sorted([own_a.id, own_b.id])
    with pytest.raises(NotFound):
        inst_a.get_or_404(db.session, Enrollment, other.id)
    assert db.session.execute(select(Enrollment.id).where(ent_a.criterion(Enrollment))).scalars().all() == [own_a.id]
    with pytest.raises(NotFound):
        ent_a.get_or_404(db.session, Enrollment, own_b.id)
    with pytest.raises(NotFound):
        ent_a.get_or_404(db.session, Worker, own_b.worker_id)
    with pytest.raises(NotFound):
        Scope.for_user(personas.inst_b_user).get_or_404(db.session, TrainingPlan, plan.id)


# --- the last seat on PostgreSQL ------------------------------------------------------------------

@pytest.mark.skipif(not os.environ.get("TEST_DATABASE_URL", "").startswith("postgresql"),
                    reason="the last-seat race needs PostgreSQL: set TEST_DATABASE_URL=postgresql+psycopg://…")
def test_two_enterprises_race_for_the_last_seat(app, personas, plan):
    plan.capacity = 1
    db.session.commit()
    jobs = [(personas.ent_a.id, new_worker(personas.ent_a).id), (personas.ent_b.id, new_worker(personas.ent_b).id)]
    plan_id = plan.id
    db.session.commit()
    barrier = threading.Barrier(len(jobs), timeout=60)
    results = [None] * len(jobs)

    def run(index, enterprise_id, worker_id):
        with app.app_context():
            try:
                # both read the plan and its free seats before either writes
                db.session.get(TrainingPlan, plan_id)
                assert service.active_count(plan_id) == 0
                db.session.rollback()
                barrier.wait()
                service.enroll(plan_id, enterprise_id, [worker_id])
                results[index] = "ok"
            except ServiceError as refused:
                results[index] = refused.message
            except Exception as error:  # noqa: BLE001
                results[index] = error
                barrier.abort()
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(i, *job), daemon=True) for i, job in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert results.count("ok") == 1, results
    [refused] = [r for r in results if r != "ok"]
    assert isinstance(refused, str) and "名额不足" in refused
    db.session.expire_all()
    assert db.session.query(Enrollment).filter_by(plan_id=plan_id).count() == 1


def test_demo_gives_the_enrolling_plan_paid_unpaid_and_cancelled_enrollments(ctx):
    from app.demo import load_demo

    load_demo()
    plan = next(p for p in db.session.query(TrainingPlan).filter_by(review_state="approved").order_by(TrainingPlan.id)
                if p.is_enrolling() and db.session.query(Enrollment).filter_by(plan_id=p.id).count())
    states = {service.enrollment_status(e) for e in db.session.query(Enrollment).filter_by(plan_id=plan.id)}
    assert {"已缴费", "待缴费", "已取消"} <= states
    assert db.session.query(AuditLog).filter_by(action="pay").count() >= 1
    unenrolled = db.session.query(Worker).filter(~Worker.id.in_(select(Enrollment.worker_id))).count()
    assert unenrolled >= 3


def test_save_attendance_records_the_typed_rows_and_names_each_refused_one(personas, plan):
    """The class page's 保存考勤: blank rows skipped, hours win over rate, a bad row refused by name, others saved;
    enrollees not in class are never touched, whatever the form says."""
    workers = [new_worker(personas.ent_a, "考勤%d" % i) for i in range(4)]
    first, second, third, absent = service.enroll(plan.id, personas.ent_a.id, [w.id for w in workers])
    service.confirm_payment([first, second, third], amount="800")
    service.open_class(plan)
    typed = {"hours_%d" % first.id: " 60 ", "rate_%d" % first.id: "10", "result_%d" % first.id: "合格",
             "hours_%d" % second.id: "999", "result_%d" % second.id: "合格",
             "rate_%d" % absent.id: "80", "result_%d" % absent.id: "合格"}
    saved, problems = service.save_attendance(plan, typed, user=personas.inst_a_user)
    assert saved == 1 and problems == ["考勤1：出勤学时应在0到64之间"]
    db.session.refresh(first), db.session.refresh(third), db.session.refresh(absent)
    assert (first.attended_hours, first.attendance_rate, first.attendance_result) == (60, Decimal("93.75"), "合格")
    assert third.attendance_result is None and absent.attendance_result is None and not absent.in_class
    assert service.save_attendance(plan, {"rate_%d" % third.id: "50", "result_%d" % third.id: "不合格"}) == (1, [])
