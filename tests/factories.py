"""Factories that build records through the services, and the personas of the test-suite."""
import datetime
import itertools
from types import SimpleNamespace

import random

from sqlalchemy import select

from app.demo import add_staff_roster, make_id_number, make_uscc
from app.extensions import db
from app.models import AppUser, Department, Enterprise, Institution, Worker
from app.services import accounts, enrollment, exams, plans, review, scores, workers
from app.services.institutions import allocate_institution_code

PASSWORD = "Passw0rd1"
_seq = itertools.count(1)
_rng = random.Random(16)


def department(name, region_code, username):
    """A department and its reviewer; the row is written by hand: departments have no service verb."""
    dept = Department(name=name, region_code=region_code, enabled=True)
    db.session.add(dept)
    db.session.flush()
    user = accounts.create_user(username, PASSWORD, "department", name=name + "审核员", department_id=dept.id)
    db.session.commit()
    return dept, user


def enterprise(name, region_code, username, *, approved_by=None):
    """An enterprise and its account (row by hand, not yet enterprises.register_enterprise), approved on request."""
    ent = Enterprise(name=name, uscc=make_uscc(next(_seq) * 104729), region_code=region_code,
                     contact_person="联系人", contact_mobile="13800000000", review_state="draft")
    db.session.add(ent)
    db.session.flush()
    user = accounts.create_user(username, PASSWORD, "enterprise", name=name, enterprise_id=ent.id)
    db.session.commit()
    if approved_by is not None:
        review.move(ent, "submit", user=user)
        review.move(ent, "approve", user=approved_by)
    return ent, user


def institution(name, region_code, dept, username, *, staffed=True):
    """An institution with a manager account; `staffed` gives it a roster meeting the staffing rule.

    The row is still written by hand (not yet institutions.create_institution), the roster by demo.add_staff_roster.
    """
    inst = Institution(code=allocate_institution_code(region_code), name=name, uscc=make_uscc(next(_seq) * 7907 + 3),
                       institution_type="social_exam", region_code=region_code, department_id=dept.id, status="active")
    db.session.add(inst)
    db.session.flush()
    user = accounts.create_user(username, PASSWORD, "institution", name=name, institution_id=inst.id)
    if staffed:
        add_staff_roster(inst, random.Random(inst.id))
    db.session.commit()
    return inst, user


def training_plan(inst, *, name=None, state="draft", owner=None, reviewer=None, trade="010"):
    """A plan moved through the review engine to `state` (draft/submitted/accepted/approved/rejected)."""
    today = datetime.date.today()
    plan = plans.create_plan(inst.id, dict(
        name=name or "%s 第%d期培训" % (inst.name, next(_seq)), trade_code=trade, skill_level="5",
        training_type="initial", capacity=30, fee=800, hours=64, enroll_start=today - datetime.timedelta(days=1),
        enroll_end=today + datetime.timedelta(days=10), train_start=today + datetime.timedelta(days=11),
        train_end=today + datetime.timedelta(days=30)), user=owner or _user_of(institution_id=inst.id))
    db.session.commit()
    _walk(plan, state, owner, reviewer)
    return plan


def exam_plan(plan, *, state="draft", owner=None, reviewer=None):
    """An exam plan of the approved `plan` made with 新增考核计划, starting with no examinees (callers add theirs)."""
    from tests import exam_helpers

    owner = owner or _user_of(institution_id=plan.institution_id)
    stand_in = _confirmed_examinee(plan, owner) if not exams.eligible_enrollments(plan) else None
    start = datetime.datetime.now().replace(microsecond=0) + datetime.timedelta(hours=1)
    exam = exams.create_exam_plan(plan.institution_id, plan.id, exam_helpers.exam_data(
        plan.institution, name=plan.name + "考核", theory_start=start, theory_end=start + datetime.timedelta(hours=2),
        practical_start=start + datetime.timedelta(hours=3), practical_end=start + datetime.timedelta(hours=5),
        site_address="考点", rooms=1, seats_per_room=30,
        examiner_ids=exam_helpers.examiners(plan.institution, exams.plan_specialty(plan))), user=owner)
    if stand_in is not None:
        # 新增考核计划 needs one 合格 examinee; callers add their own, so the stand-in leaves again (no verb does that).
        _remove_stand_in(exam, stand_in)
    _walk(exam, state, owner, reviewer)
    return exam


def _user_of(**organisation):
    return db.session.execute(select(AppUser).filter_by(**organisation).order_by(AppUser.id).limit(1)).scalar_one()


def _confirmed_examinee(plan, owner):
    """One worker through 报名, 缴费, 开班, 考勤 (合格) and 确认考勤 of `plan`."""
    examinee = enrollee(plan)
    enrollment.confirm_payment([examinee], amount=plan.fee, user=owner)
    enrollment.open_class(plan, user=owner)
    enrollment.record_attendance(examinee, hours=plan.hours, result="合格", user=owner)
    enrollment.confirm_attendance(plan, user=owner)
    return examinee


def enrollee(plan):
    """A new worker of the first approved enterprise, added to its roster and enrolled (培训报名) in `plan`."""
    enterprise = db.session.execute(select(Enterprise).filter_by(review_state="approved")
                                    .order_by(Enterprise.id).limit(1)).scalar_one()
    enterprise_user = _user_of(enterprise_id=enterprise.id)
    worker = workers.add_worker(enterprise.id, dict(id_number=_free_id_number(enterprise.region_code), name="占位学员",
                                                    mobile="13900000000", education="senior"), user=enterprise_user)
    enrolled, = enrollment.enroll(plan.id, enterprise.id, [worker.id], user=enterprise_user,
                                  today=max(plan.enroll_start, min(plan.enroll_end, datetime.date.today())))
    return enrolled


def _free_id_number(region_code):
    while True:
        id_number = make_id_number(_rng, region_code)
        if not db.session.query(Worker.id).filter_by(id_number=id_number).first():
            return id_number


def _remove_stand_in(exam, examinee):
    """The stand-in examinee, its enrollment and its worker gone, as if never there."""
    worker = examinee.worker
    for candidate in list(exam.candidates):
        exam.candidates.remove(candidate)
    db.session.delete(examinee)
    db.session.delete(worker)
    db.session.commit()


def score_report(exam, *, state="draft", owner=None, reviewer=None, imported=True):
    """A score report (scores imported unless `imported=False`) moved to `state`."""
    report = scores.report_of(exam, create=True)
    if imported:
        # 导入成绩 needs ticketed examinees and a filled template; the callers want only the report's states.
        report.imported_at = datetime.datetime.now().replace(microsecond=0)
    db.session.commit()
    _walk(report, state, owner, reviewer)
    return report


def _walk(document, state, owner, reviewer):
    path = {"draft": [], "submitted": ["submit"], "accepted": ["submit", "accept"],
            "approved": ["submit", "accept", "approve"], "rejected": ["submit", "accept", "reject"]}[state]
    for action in path:
        user = owner if action == "submit" else reviewer
        review.move(document, action, user=user, opinion="不符合要求" if action == "reject" else None)


def build_personas():
    """系统管理员; 省/市/区县 departments (+ 宁波市); two institutions; two approved enterprises."""
    p = SimpleNamespace()
    p.admin = accounts.create_user("admin", PASSWORD, "admin", name="平台管理员")
    db.session.commit()
    p.province_dept, p.province = department("浙江省住房和城乡建设厅", "330000", "province")
    p.city_dept, p.city = department("杭州市城乡建设委员会", "330100", "city")
    p.county_dept, p.county = department("西湖区住房和城乡建设局", "330106", "county")
    p.other_city_dept, p.other_city = department("宁波市住房和城乡建设局", "330200", "other_city")
    p.inst_a, p.inst_a_user = institution("杭州建工职业技能培训学校", "330106", p.city_dept, "inst_a")
    p.inst_b, p.inst_b_user = institution("宁波建筑技能培训中心", "330203", p.other_city_dept, "inst_b")
    p.ent_a, p.ent_a_user = enterprise("杭州西湖建设集团有限公司", "330106", "ent_a", approved_by=p.county)
    p.ent_b, p.ent_b_user = enterprise("宁波海曙建工有限公司", "330203", "ent_b", approved_by=p.other_city)
    return p


PERSONA_USERS = ["admin", "province", "city", "county", "other_city", "inst_a_user", "inst_b_user",
                 "ent_a_user", "ent_b_user"]
