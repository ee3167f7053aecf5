"""Factories that build records through the services, and the personas of the test-suite."""
import datetime
import functools
import io
import itertools
import random
from types import SimpleNamespace

from sqlalchemy import select
from werkzeug.datastructures import FileStorage

from app.demo import add_staff_roster, demo_pdf, demo_png, make_uscc
from app.extensions import db
from app.models import AppUser, Enterprise
from app.services import accounts, departments, enterprises, exams, institutions, plans, review, scores, transaction

PASSWORD = "Passw0rd1"
INITIAL_PASSWORD = "Initial2026a"  # a department's initial password for a manager account, changed at first login
_seq = itertools.count(1)
_rng = random.Random(16)


def department(name, region_code, username):
    """A department (新增主管部门: departments.create_department by the 系统管理员) and its reviewer account.

    The account is accounts.create_user with the password as its own (the 账号管理 screen's initial password would
    have to be changed at the first login); both in one transaction (the verb joins it).
    """
    return _department_and_account(name, region_code, username)


@transaction
def _department_and_account(name, region_code, username):
    dept = departments.create_department(dict(name=name, region_code=region_code), user=user_of(account_type="admin"))
    return dept, accounts.create_user(username, PASSWORD, "department", name=name + "审核员", department_id=dept.id)


def enterprise(name, region_code, username, *, approved_by=None, submitted=False):
    """An enterprise registered as on the 企业注册 page (enterprises.register_enterprise: the account, the three
    documents, 上报); then 审核通过 by `approved_by`, left 未受理 when `submitted`, else 撤回 to 未上报."""
    ent, user = enterprises.register_enterprise(
        dict(name=name, uscc=make_uscc(next(_seq) * 104729), region_code=region_code, address=name + "办公楼",
             legal_representative="法定代表人", contact_person="联系人", contact_mobile="13800000000",
             qualification_category="general", qualification_cert_no="D2330%05d" % next(_seq)),
        _registration_documents(), username=username, password=PASSWORD, confirm_password=PASSWORD)
    if approved_by is not None:
        review.move(ent, "approve", user=approved_by)
    elif not submitted:
        review.move(ent, "withdraw", user=user)
    return ent, user


def _registration_documents():
    """企业承诺书, 营业执照 and 企业资质证书 as the registration form uploads them (small real PDF/PNG files)."""
    return {field: FileStorage(io.BytesIO(data), filename=filename)
            for field, (filename, data) in _document_bytes().items()}


@functools.lru_cache(maxsize=None)
def _document_bytes():
    pdf = demo_pdf("营业执照（测试）", ["测试用文件"])
    return {"commitment_file": ("企业承诺书.pdf", pdf), "license_file": ("营业执照.pdf", pdf),
            "qualification_file": ("企业资质证书.png", demo_png("企业资质证书（测试）", ["测试用文件"]))}


def institution(name, region_code, dept, username, *, staffed=True):
    """An institution set up by `dept` (institutions.create_institution with its 营业执照), its manager account
    (create_manager_account, then the manager's own 修改密码 at the first login) and, when `staffed`, a roster
    meeting the staffing rule (demo.add_staff_roster: institutions.add_staff by the department). The department's
    verbs join one transaction; the manager's 修改密码 commits on its own."""
    inst, user = _set_up_institution(name, region_code, user_of(department_id=dept.id), username, staffed)
    accounts.change_password(user, INITIAL_PASSWORD, PASSWORD, PASSWORD)
    return inst, user


@transaction
def _set_up_institution(name, region_code, setter, username, staffed):
    inst = institutions.create_institution(dict(
        name=name, uscc=make_uscc(next(_seq) * 7907 + 3), institution_type="social_exam", region_code=region_code,
        address=name + "教学楼", legal_representative="法定代表人", contact_person="教务处",
        contact_phone="0571-88110000"), _registration_documents()["license_file"], user=setter)
    user = institutions.create_manager_account(inst.id, username, name, INITIAL_PASSWORD, INITIAL_PASSWORD,
                                               user=setter)
    if staffed:
        add_staff_roster(inst, random.Random(inst.id), user=setter)
    return inst, user


def training_plan(inst, *, name=None, state="draft", owner=None, reviewer=None, trade="010"):
    """A plan moved through the review engine to `state` (draft/submitted/accepted/approved/rejected)."""
    today = datetime.date.today()
    plan = plans.create_plan(inst.id, dict(
        name=name or "%s 第%d期培训" % (inst.name, next(_seq)), trade_code=trade, skill_level="5",
        training_type="initial", capacity=30, fee=800, hours=64, enroll_start=today - datetime.timedelta(days=1),
        enroll_end=today + datetime.timedelta(days=10), train_start=today + datetime.timedelta(days=11),
        train_end=today + datetime.timedelta(days=30)), user=owner or user_of(institution_id=inst.id))
    db.session.commit()
    _walk(plan, state, owner, reviewer)
    return plan


def exam_plan(plan, *, state="draft", owner=None, reviewer=None):
    """An exam plan of the approved `plan` made with 新增考核计划 (exams.create_exam_plan), moved to `state`.

    Its examinees are the plan's enrollees whose attendance is confirmed 合格 (callers give the plan its class first,
    e.g. exam_helpers.trained_plan); a plan without any gets one through examinee() — who stays its examinee.
    """
    from tests import exam_helpers

    owner = owner or user_of(institution_id=plan.institution_id)
    if not exams.eligible_enrollments(plan):
        examinee(plan, owner)
    start = datetime.datetime.now().replace(microsecond=0) + datetime.timedelta(hours=1)
    exam = exams.create_exam_plan(plan.institution_id, plan.id, exam_helpers.exam_data(
        plan.institution, name=plan.name + "考核", theory_start=start, theory_end=start + datetime.timedelta(hours=2),
        practical_start=start + datetime.timedelta(hours=3), practical_end=start + datetime.timedelta(hours=5),
        site_address="考点", rooms=1, seats_per_room=30,
        examiner_ids=exam_helpers.examiners(plan.institution, exams.plan_specialty(plan))), user=owner)
    _walk(exam, state, owner, reviewer)
    return exam


def user_of(**organisation):
    """The first account of an organisation (department_id=…, institution_id=…, enterprise_id=…) or kind."""
    return db.session.execute(select(AppUser).filter_by(**organisation).order_by(AppUser.id).limit(1)).scalar_one()


def examinee(plan, owner):
    """One worker through 报名, 缴费, 开班, 考勤 (合格) and 确认考勤 of `plan`, by the institution's `owner`."""
    from tests import exam_helpers

    enrolled = enrollee(plan)
    exam_helpers.attend(plan, [(enrolled, "合格")], owner)
    return enrolled


def enrollee(plan):
    """A new worker of the first approved enterprise, added to its roster and enrolled (培训报名) in `plan`."""
    from tests import exam_helpers

    enterprise = db.session.execute(select(Enterprise).filter_by(review_state="approved")
                                    .order_by(Enterprise.id).limit(1)).scalar_one()
    enrolled, = exam_helpers.enroll(plan, enterprise, ["占位学员"], rng=_rng)
    return enrolled


def score_report(exam, *, state="draft", owner=None, reviewer=None, imported=True):
    """The 成绩报审 of the approved `exam`, moved to `state`: its scores imported from the downloaded template, every
    examinee 80/80 (成绩导入: scores.build_template, scores.import_scores) unless `imported=False`."""
    owner = owner or user_of(institution_id=exam.institution_id)
    if imported:
        scores.import_scores(exam, filled_template(exam), "成绩.xlsx", user=owner)
    report = scores.report_of(exam, create=True)
    db.session.commit()
    _walk(report, state, owner, reviewer)
    return report


def filled_template(exam, theory=80, practical=80):
    """The exam plan's score template with every examinee's 理论成绩 and 实操成绩 filled in (xlsx bytes)."""
    from openpyxl import load_workbook

    workbook = load_workbook(io.BytesIO(scores.build_template(exam)))
    sheet = workbook[scores.DATA_SHEET]
    for row in range(2, sheet.max_row + 1):
        sheet.cell(row=row, column=4, value=theory)
        sheet.cell(row=row, column=5, value=practical)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


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
