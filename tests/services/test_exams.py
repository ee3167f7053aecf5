"""考核计划 service: creation rules and refusals, review moves, 准考证号 / rooms / seats, enrollee statuses."""
import datetime

import pytest

from app.extensions import db
from app.models import Enrollment, ExamCandidate, ExamPlan, ReviewRecord
from app.services import ServiceError, review
from app.services import exams
from app.models import SystemSetting
from tests.exam_helpers import exam_data, examiners, trained_plan


def _create(p, plan, **overrides):
    return exams.create_exam_plan(p.inst_a.id, plan.id, exam_data(p.inst_a, **overrides), user=p.inst_a_user)


def _refused(p, plan, field, text, **overrides):
    with pytest.raises(exams.ExamPlanInvalid) as info:
        _create(p, plan, **overrides)
    assert field in info.value.errors, info.value.errors
    assert text in info.value.errors[field], info.value.errors
    assert db.session.query(ExamPlan).count() == 0
    return info.value.errors


def test_create_takes_the_attendance_qualified_enrollees_and_numbers_per_institution_year(personas):
    p = personas
    plan, people = trained_plan(p, (p.ent_a, ["张三", "李四", "王五"]), (p.ent_a, ["赵六"], "不合格"))
    good = people[:3]
    exam = _create(p, plan)
    assert exam.review_state == "draft" and exam.serial == 1 and exam.year == exam.theory_start.year
    assert sorted(c.enrollment_id for c in exam.candidates) == [e.id for e in good]
    assert len(exam.examiners) == 3
    db.session.expire_all()
    for enrollment in good:
        enrollment = db.session.get(Enrollment, enrollment.id)
        assert (enrollment.exam_plan_id, enrollment.exam_plan_name, enrollment.exam_status) == (exam.id, exam.name, "未上报")
    # a second exam plan of the same plan finds nobody left to examine
    with pytest.raises(exams.ExamPlanInvalid) as info:
        _create(p, plan)
    assert "没有考勤合格的考生" in info.value.errors["candidates"]


def test_exam_plan_before_attendance_is_confirmed_is_refused(personas):
    p = personas
    plan, _people = trained_plan(p, (p.ent_a, ["张三"]), confirmed=False)
    _refused(p, plan, "plan_id", "尚未确认考勤")


def test_examiners_of_the_wrong_specialty_or_too_few_are_refused(personas):
    p = personas
    plan, _people = trained_plan(p, (p.ent_a, ["张三"]))
    _refused(p, plan, "examiner_ids", "只能选择本机构土建专业的考评员",
             examiner_ids=examiners(p.inst_a, "土建", 2) + examiners(p.inst_a, "安装", 1))
    _refused(p, plan, "examiner_ids", "考评员不少于3人", examiner_ids=examiners(p.inst_a, "土建", 2))
    # another institution's examiner (a forged id) is refused the same way
    _refused(p, plan, "examiner_ids", "只能选择本机构", examiner_ids=examiners(p.inst_a, "土建", 2) + examiners(p.inst_b, "土建", 1))
    db.session.get(SystemSetting, "min_examiners_per_exam_plan").value = "2"
    db.session.commit()
    assert _create(p, plan, examiner_ids=examiners(p.inst_a, "土建", 2)).id


def test_times_rooms_and_removals_are_checked_with_messages_per_field(personas):
    p = personas
    plan, people = trained_plan(p, (p.ent_a, ["甲", "乙", "丙", "丁", "戊"]))
    data = exam_data(p.inst_a)
    _refused(p, plan, "theory_end", "理论考试结束时间应晚于开始时间", theory_end=data["theory_start"])
    _refused(p, plan, "practical_start", "不能重叠", practical_start=data["theory_start"] + datetime.timedelta(hours=1),
             practical_end=data["theory_start"] + datetime.timedelta(hours=3))
    _refused(p, plan, "theory_start", "不能早于考勤确认时间",
             theory_start=plan.attendance_confirmed_at - datetime.timedelta(days=1))
    _refused(p, plan, "theory_start", "格式不正确", theory_start="明天上午")
    _refused(p, plan, "seats_per_room", "考场座位不足", rooms=2, seats_per_room=2)
    _refused(p, plan, "rooms", "应大于0", rooms=0)
    _refused(p, plan, "candidates", "移除考生须填写原因", removed={people[0].id: " "})
    _refused(p, plan, "candidates", "没有考勤合格的考生", removed={e.id: "身体原因" for e in people})
    # removing one with a reason makes 4 seats enough
    exam = _create(p, plan, rooms=2, seats_per_room=2, removed={people[0].id: "本人申请延期考核"})
    removed = [c for c in exam.candidates if c.removed]
    assert [(c.enrollment_id, c.removed_reason) for c in removed] == [(people[0].id, "本人申请延期考核")]
    db.session.expire_all()
    assert db.session.get(Enrollment, people[0].id).exam_plan_id is None


def test_cancelled_institution_cannot_create_or_submit(personas):
    p = personas
    plan, _people = trained_plan(p, (p.ent_a, ["张三"]))
    exam = _create(p, plan)
    p.inst_a.status = "cancelled"
    db.session.commit()
    with pytest.raises(exams.ExamPlanInvalid) as info:
        exams.create_exam_plan(p.inst_a.id, plan.id, exam_data(p.inst_a), user=p.inst_a_user)
    assert "培训机构已注销" in info.value.errors[None]
    with pytest.raises(ServiceError, match="培训机构已注销"):
        review.move(exam, "submit", user=p.inst_a_user)
    with pytest.raises(ServiceError, match="注销"):
        exams.update_exam_plan(exam, {"name": "新名称"}, user=p.inst_a_user)


def test_approval_assigns_tickets_rooms_and_seats_deterministically_and_statuses_follow(personas):
    p = personas
    plan, people = trained_plan(p, (p.ent_a, ["甲", "乙", "丙"]), (p.ent_b, ["丁", "戊"]))
    exam = _create(p, plan, removed={people[1].id: "缺少身份证件"})
    assert all(c.ticket_no is None for c in exam.candidates)

    def statuses():
        db.session.expire_all()
        return {db.session.get(Enrollment, e.id).exam_status for e in people if e.id != people[1].id}

    review.move(exam, "submit", user=p.inst_a_user)
    assert statuses() == {"未审核"}
    review.move(exam, "withdraw", user=p.inst_a_user)
    assert statuses() == {"未上报"}
    review.move(exam, "submit", user=p.inst_a_user)
    review.move(exam, "accept", user=p.city)
    review.move(exam, "reject", user=p.city, opinion="考场安排不合理")
    assert statuses() == {"未上报"}
    exams.update_exam_plan(exam, {"site_address": "杭州市西湖区新考点"}, user=p.inst_a_user)
    review.move(exam, "submit", user=p.inst_a_user)
    review.move(exam, "accept", user=p.city)
    review.move(exam, "approve", user=p.city)
    assert statuses() == {"已审核"}
    exam = db.session.get(ExamPlan, exam.id)
    active = sorted((c for c in exam.candidates if not c.removed), key=lambda c: c.enrollment_id)
    prefix = "%04d%s%03d" % (exam.year, p.inst_a.code, exam.serial)
    assert [c.ticket_no for c in active] == [prefix + "%03d" % n for n in range(1, 5)]
    assert [(c.room_no, c.seat_no) for c in active] == [(1, 1), (1, 2), (1, 3), (2, 1)]
    assert len(active[0].ticket_no) == 4 + 7 + 3 + 3
    removed = [c for c in exam.candidates if c.removed][0]
    assert removed.ticket_no is None and removed.room_no is None
    # the effect ran inside the approve transaction: a second assignment gives the same numbers
    before = [(c.ticket_no, c.room_no, c.seat_no) for c in active]
    exams.assign_tickets(exam)
    db.session.commit()
    assert [(c.ticket_no, c.room_no, c.seat_no) for c in active] == before
    assert db.session.query(ExamCandidate.ticket_no).filter(ExamCandidate.ticket_no.isnot(None)).count() == 4
    # approved: no edit
    with pytest.raises(ServiceError, match="已审核通过"):
        exams.update_exam_plan(exam, {"name": "x"}, user=p.inst_a_user)


def test_a_failing_ticket_assignment_rolls_the_approval_back(personas, monkeypatch):
    p = personas
    plan, _people = trained_plan(p, (p.ent_a, ["甲"]))
    exam = _create(p, plan)
    review.move(exam, "submit", user=p.inst_a_user)
    review.move(exam, "accept", user=p.city)

    def broken(document):
        raise ServiceError("考场座位不足，不能审核通过")
    monkeypatch.setitem(review.KINDS["exam_plan"].after, "approve", broken)
    with pytest.raises(ServiceError):
        review.move(exam, "approve", user=p.city)
    db.session.expire_all()
    assert db.session.get(ExamPlan, exam.id).review_state == "accepted"
    assert db.session.query(ReviewRecord).filter_by(object_type="exam_plan", action="approve").count() == 0


def test_two_exam_plans_never_share_a_ticket_number(personas):
    p = personas
    numbers = []
    for name in ("一期", "二期"):
        plan, _people = trained_plan(p, (p.ent_a, [name + "甲", name + "乙"]))
        exam = _create(p, plan, name=name + "考核")
        for action, user in (("submit", p.inst_a_user), ("accept", p.city), ("approve", p.city)):
            review.move(exam, action, user=user)
        numbers += [c.ticket_no for c in exam.candidates]
    assert len(numbers) == len(set(numbers)) == 4


def test_enterprise_cannot_submit_and_department_of_another_city_cannot_review(personas):
    p = personas
    plan, _people = trained_plan(p, (p.ent_a, ["甲"]))
    exam = _create(p, plan)
    with pytest.raises(ServiceError, match="无权"):
        review.move(exam, "submit", user=p.ent_a_user)
    review.move(exam, "submit", user=p.inst_a_user)
    with pytest.raises(ServiceError, match="无权"):
        review.move(exam, "accept", user=p.other_city)


def test_demo_exam_plan_is_approved_with_tickets(ctx):
    from app.demo import load_demo

    load_demo()
    exam = db.session.query(ExamPlan).filter_by(name="2026年第6期砌筑工（五级）考核").one()
    assert exam.review_state == "approved"
    active = [c for c in exam.candidates if not c.removed]
    assert active and all(c.ticket_no and c.room_no and c.seat_no for c in active)
    assert len({c.ticket_no for c in active}) == len(active)
    statuses = {db.session.get(Enrollment, c.enrollment_id).exam_status for c in active}
    assert statuses == {"已审核"}
