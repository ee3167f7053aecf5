"""Which rows each persona's Scope sees (SPEC §3), model by model, against an explicit table.

The expectations below are written out by hand from the SPEC, not derived from app.security.scope,
so a wrong rule in the scope module fails here. build_world() is also used by the HTTP loop
(tests/views/test_scope_http.py): it adds, on top of the personas of tests/factories.py,

- 拱墅区 department (330105), an enterprise there (ent_c) and one in 余杭 330110 (ent_d);
- inst_c in 余杭 330110, set up by the 杭州 department;
- plans, workers, enrollments — among them e_ba: ent_b's (宁波) worker in inst_a's (杭州) plan —
  exam plans, candidates, scores, score reports, certificates, certificate jobs, staff, files,
  export jobs and the review records written by the engine.
"""
import datetime
import itertools
from types import SimpleNamespace

import pytest
from flask_login import AnonymousUserMixin
from sqlalchemy import select

from app.demo import make_id_number
from app.extensions import db
from app.models import (
    AuditLog, Certificate, CertificateJob, CertificateSequence, Department, DictItem, DictType, Enrollment,
    Enterprise, ExamCandidate, ExamPlan, ExportJob, Institution, InstitutionCodeSequence, PushOutbox, Region,
    ReviewRecord, Score, ScoreReport, Staff, SystemSetting, TrainingPlan, UploadedFile, Worker,
)
from app.models.user import AppUser
from app.security.scope import Scope, responsible_department
from app.services import enrollment as enrollment_service
from app.services import review
from tests import exam_helpers, factories

_serial = itertools.count(1)


# --- the world --------------------------------------------------------------------------------

def _worker(name, enterprise, area):
    import random

    rng = random.Random(next(_serial) * 7919)
    worker = Worker(id_number=make_id_number(rng, area), name=name, gender="男", mobile="1390000%04d" % next(_serial),
                    enterprise_id=enterprise.id)
    db.session.add(worker)
    db.session.flush()
    return worker


def _enroll(plan, worker, enterprise, institution, user):
    """培训报名 of one roster worker by the enterprise's `user` (enrollment.enroll)."""
    enrollment, = enrollment_service.enroll(plan.id, enterprise.id, [worker.id], user=user)
    assert enrollment.institution_id == institution.id
    return enrollment


def _file(owner_type, owner, name):
    serial = next(_serial)
    row = UploadedFile(owner_type=owner_type, owner_id=owner.id, purpose="license",
                       stored_name="scope-test-%04d.pdf" % serial, original_name=name, content_type="application/pdf",
                       size=4, sha256="0" * 64, uploaded_at=datetime.datetime.now().replace(microsecond=0))
    db.session.add(row)
    db.session.flush()
    return row


def _staff(institution, name):
    row = Staff(institution_id=institution.id, name=name, id_number="33010619800101%04d" % next(_serial),
                category="examiner", specialty="土建")
    db.session.add(row)
    db.session.flush()
    return row


def _certificate(enrollment, exam, number):
    row = Certificate(number=number, worker_id=enrollment.worker_id, enrollment_id=enrollment.id,
                      worker_name=enrollment.worker_name,
                      inst_region_code=enrollment.inst_region_code, ent_region_code=enrollment.ent_region_code,
                      exam_plan_id=exam.id, institution_id=exam.institution_id, trade_code="010", skill_level="5",
                      issue_date=datetime.date.today())
    db.session.add(row)
    db.session.flush()
    return row


def _score_report(exam, owner):
    """A 成绩报审 with its scores imported, 上报 by the institution."""
    report = ScoreReport(exam_plan_id=exam.id, institution_id=exam.institution_id, review_state="draft",
                         imported_at=datetime.datetime.now().replace(microsecond=0), imported_by_id=owner.id)
    db.session.add(report)
    db.session.commit()
    review.move(report, "submit", user=owner)
    return report


def build_world(p):
    """Records of every scoped model, spread over the personas' regions (see the module docstring)."""
    w = SimpleNamespace()
    w.gongshu_dept, w.gongshu = factories.department("拱墅区住房和城乡建设局", "330105", "gongshu")
    w.inst_c, w.inst_c_user = factories.institution("余杭建筑技能培训学校", "330110", p.city_dept, "inst_c")
    w.ent_c, w.ent_c_user = factories.enterprise("拱墅城建有限公司", "330105", "ent_c", approved_by=w.gongshu)
    w.ent_d, w.ent_d_user = factories.enterprise("余杭建设有限公司", "330110", "ent_d", approved_by=p.city)

    plan = factories.training_plan
    w.plan_a = plan(p.inst_a, name="杭州建工砌筑工培训计划", state="approved", owner=p.inst_a_user, reviewer=p.city)
    w.plan_a_draft = plan(p.inst_a, name="杭州建工草稿培训计划", state="draft")
    w.plan_b = plan(p.inst_b, name="宁波电工培训计划", state="approved", owner=p.inst_b_user, reviewer=p.other_city)
    w.plan_b_submitted = plan(p.inst_b, name="宁波焊工待受理计划", state="submitted", owner=p.inst_b_user,
                              reviewer=p.other_city)
    w.plan_c = plan(w.inst_c, name="余杭钢筋工培训计划", state="approved", owner=w.inst_c_user, reviewer=p.city)

    w.w_a = _worker("张西湖", p.ent_a, "330106")
    w.w_b = _worker("李海曙", p.ent_b, "330203")
    w.w_c = _worker("王拱墅", w.ent_c, "330105")
    w.w_d = _worker("赵余杭", w.ent_d, "330110")
    w.e_aa = _enroll(w.plan_a, w.w_a, p.ent_a, p.inst_a, p.ent_a_user)
    w.e_ba = _enroll(w.plan_a, w.w_b, p.ent_b, p.inst_a, p.ent_b_user)  # 宁波 worker, 杭州 plan
    w.e_bb = _enroll(w.plan_b, w.w_b, p.ent_b, p.inst_b, p.ent_b_user)
    w.e_cc = _enroll(w.plan_c, w.w_c, w.ent_c, w.inst_c, w.ent_c_user)
    w.e_dc = _enroll(w.plan_c, w.w_d, w.ent_d, w.inst_c, w.ent_d_user)
    # 缴费, 开班, 考勤 and 确认考勤 first: 新增考核计划 takes its examinees (e_aa, e_ba; e_bb) from the class.
    exam_helpers.attend(w.plan_a, [(w.e_aa, "合格"), (w.e_ba, "合格")], p.inst_a_user)
    exam_helpers.attend(w.plan_b, [(w.e_bb, "合格")], p.inst_b_user)
    w.exam_a = factories.exam_plan(w.plan_a, state="submitted", owner=p.inst_a_user, reviewer=p.city)
    w.exam_b = factories.exam_plan(w.plan_b, state="submitted", owner=p.inst_b_user, reviewer=p.other_city)
    w.sr_a = _score_report(w.exam_a, p.inst_a_user)
    w.sr_b = _score_report(w.exam_b, p.inst_b_user)

    for key, exam in (("e_aa", w.exam_a), ("e_ba", w.exam_a), ("e_bb", w.exam_b)):
        enrollment = getattr(w, key)
        [candidate] = [c for c in exam.candidates if c.enrollment_id == enrollment.id]
        score = Score(exam_plan_id=exam.id, enrollment_id=enrollment.id, theory_score=80, practical_score=80,
                      passed=True)
        db.session.add(score)
        db.session.flush()
        setattr(w, "cand_" + key[2:], candidate)
        setattr(w, "score_" + key[2:], score)
    w.cert_aa = _certificate(w.e_aa, w.exam_a, "26330100101000001")
    w.cert_ba = _certificate(w.e_ba, w.exam_a, "26330100101000002")
    w.cert_bb = _certificate(w.e_bb, w.exam_b, "26330200101000001")
    w.job_a = CertificateJob(exam_plan_id=w.exam_a.id, status="finished")
    w.job_b = CertificateJob(exam_plan_id=w.exam_b.id, status="finished")
    db.session.add_all([w.job_a, w.job_b])

    w.staff_a = _staff(p.inst_a, "杭州考评员甲")
    w.staff_b = _staff(p.inst_b, "宁波考评员乙")
    w.staff_c = _staff(w.inst_c, "余杭考评员丙")

    # 企业注册 uploaded each enterprise's three documents, 新增培训机构 each institution's 营业执照: one key per owner.
    w.owner_files = {}
    for key, owner_type, owner in (("f_ent_a", "enterprise", p.ent_a), ("f_ent_b", "enterprise", p.ent_b),
                                   ("f_ent_c", "enterprise", w.ent_c), ("f_ent_d", "enterprise", w.ent_d),
                                   ("f_inst_a", "institution", p.inst_a), ("f_inst_b", "institution", p.inst_b),
                                   ("f_inst_c", "institution", w.inst_c)):
        files = db.session.execute(select(UploadedFile).filter_by(owner_type=owner_type, owner_id=owner.id)
                                   .order_by(UploadedFile.id)).scalars().all()
        assert len(files) == (3 if owner_type == "enterprise" else 1), key
        setattr(w, key, files[0])
        w.owner_files[key] = files
    w.f_worker_b = _file("worker", w.w_b, "李海曙照片.pdf")
    w.f_staff_a = _file("staff", w.staff_a, "杭州考评员甲证书.pdf")

    w.export_city = ExportJob(user_id=p.city.id, kind="enrollment")
    w.export_inst_a = ExportJob(user_id=p.inst_a_user.id, kind="enrollment")
    db.session.add_all([w.export_city, w.export_inst_a])
    db.session.commit()
    return w


# --- the expectations (written from SPEC §1/§3, not from the scope module) ---------------------

PERSONAS = ["admin", "province", "city", "county", "other_city", "gongshu", "inst_a_user", "inst_b_user",
            "inst_c_user", "ent_a_user", "ent_b_user", "anonymous"]
ALL = object()  # the persona sees every row of the model

EXPECT = {
    Enterprise: {
        "admin": ALL, "province": {"ent_a", "ent_b", "ent_c", "ent_d"},
        "city": {"ent_a", "ent_c", "ent_d"},  # 330106, 330105 and 330110, not 宁波
        "county": {"ent_a"},  # 西湖区 only: 拱墅 330105 is invisible
        "other_city": {"ent_b"}, "gongshu": {"ent_c"},
        # an institution sees the enterprises that enrolled workers with it
        "inst_a_user": {"ent_a", "ent_b"}, "inst_b_user": {"ent_b"}, "inst_c_user": {"ent_c", "ent_d"},
        "ent_a_user": {"ent_a"}, "ent_b_user": {"ent_b"}, "anonymous": set(),
    },
    Institution: {
        "admin": ALL, "province": {"inst_a", "inst_b", "inst_c"}, "city": {"inst_a", "inst_c"},
        "county": {"inst_a"}, "other_city": {"inst_b"}, "gongshu": set(),
        "inst_a_user": {"inst_a"}, "inst_b_user": {"inst_b"}, "inst_c_user": {"inst_c"},
        # enterprises choose among the active institutions' plans
        "ent_a_user": {"inst_a", "inst_b", "inst_c"}, "ent_b_user": {"inst_a", "inst_b", "inst_c"},
        "anonymous": set(),
    },
    TrainingPlan: {
        "admin": ALL, "province": ALL, "city": {"plan_a", "plan_a_draft", "plan_c"},
        "county": {"plan_a", "plan_a_draft"}, "other_city": {"plan_b", "plan_b_submitted"}, "gongshu": set(),
        "inst_a_user": {"plan_a", "plan_a_draft"}, "inst_b_user": {"plan_b", "plan_b_submitted"},
        "inst_c_user": {"plan_c"},
        # approved plans are the offer enterprises enroll in; drafts and submitted ones are not
        "ent_a_user": {"plan_a", "plan_b", "plan_c"}, "ent_b_user": {"plan_a", "plan_b", "plan_c"},
        "anonymous": set(),
    },
    Enrollment: {
        "admin": ALL, "province": ALL,
        "city": {"e_aa", "e_ba", "e_cc", "e_dc"},  # e_ba through the institution (杭州)
        "county": {"e_aa", "e_ba"},
        "other_city": {"e_ba", "e_bb"},  # e_ba through the enterprise (宁波)
        "gongshu": {"e_cc"},  # a county elsewhere does not see e_ba
        "inst_a_user": {"e_aa", "e_ba"}, "inst_b_user": {"e_bb"}, "inst_c_user": {"e_cc", "e_dc"},
        "ent_a_user": {"e_aa"}, "ent_b_user": {"e_ba", "e_bb"}, "anonymous": set(),
    },
    Worker: {
        "admin": ALL, "province": ALL,
        "city": {"w_a", "w_b", "w_c", "w_d"},  # its enterprises' rosters + w_b enrolled in a 杭州 plan
        "county": {"w_a", "w_b"}, "other_city": {"w_b"}, "gongshu": {"w_c"},
        "inst_a_user": {"w_a", "w_b"}, "inst_b_user": {"w_b"}, "inst_c_user": {"w_c", "w_d"},
        "ent_a_user": {"w_a"}, "ent_b_user": {"w_b"}, "anonymous": set(),
    },
    ExamPlan: {
        "admin": ALL, "province": ALL, "city": {"exam_a"}, "county": {"exam_a"}, "other_city": {"exam_b"},
        "gongshu": set(), "inst_a_user": {"exam_a"}, "inst_b_user": {"exam_b"}, "inst_c_user": set(),
        # an enterprise sees the exam plans its workers sit
        "ent_a_user": {"exam_a"}, "ent_b_user": {"exam_a", "exam_b"}, "anonymous": set(),
    },
    ScoreReport: {
        "admin": ALL, "province": ALL, "city": {"sr_a"}, "county": {"sr_a"}, "other_city": {"sr_b"},
        "gongshu": set(), "inst_a_user": {"sr_a"}, "inst_b_user": {"sr_b"}, "inst_c_user": set(),
        "ent_a_user": set(), "ent_b_user": set(), "anonymous": set(),
    },
    ExamCandidate: {
        "admin": ALL, "province": ALL, "city": {"cand_aa", "cand_ba"}, "county": {"cand_aa", "cand_ba"},
        "other_city": {"cand_ba", "cand_bb"}, "gongshu": set(), "inst_a_user": {"cand_aa", "cand_ba"},
        "inst_b_user": {"cand_bb"}, "inst_c_user": set(), "ent_a_user": {"cand_aa"},
        "ent_b_user": {"cand_ba", "cand_bb"}, "anonymous": set(),
    },
    Score: {
        "admin": ALL, "province": ALL, "city": {"score_aa", "score_ba"}, "county": {"score_aa", "score_ba"},
        "other_city": {"score_ba", "score_bb"}, "gongshu": set(), "inst_a_user": {"score_aa", "score_ba"},
        "inst_b_user": {"score_bb"}, "inst_c_user": set(), "ent_a_user": {"score_aa"},
        "ent_b_user": {"score_ba", "score_bb"}, "anonymous": set(),
    },
    Certificate: {
        "admin": ALL, "province": ALL, "city": {"cert_aa", "cert_ba"}, "county": {"cert_aa", "cert_ba"},
        "other_city": {"cert_ba", "cert_bb"},  # cert_ba by its enterprise, cert_bb by its institution
        "gongshu": set(), "inst_a_user": {"cert_aa", "cert_ba"}, "inst_b_user": {"cert_bb"},
        "inst_c_user": set(), "ent_a_user": {"cert_aa"}, "ent_b_user": {"cert_ba", "cert_bb"},
        "anonymous": set(),
    },
    CertificateJob: {
        "admin": ALL, "province": ALL, "city": {"job_a"}, "county": {"job_a"}, "other_city": {"job_b"},
        "gongshu": set(), "inst_a_user": {"job_a"}, "inst_b_user": {"job_b"}, "inst_c_user": set(),
        "ent_a_user": set(), "ent_b_user": set(), "anonymous": set(),
    },
    UploadedFile: {
        "admin": ALL, "province": ALL,
        # 拱墅 (ent_c) and 余杭 (ent_d) are 杭州's; 杭州 set inst_c up
        "city": {"f_ent_a", "f_ent_c", "f_ent_d", "f_inst_a", "f_inst_c", "f_worker_b", "f_staff_a"},
        "county": {"f_ent_a", "f_inst_a", "f_worker_b", "f_staff_a"},
        "other_city": {"f_ent_b", "f_inst_b", "f_worker_b"}, "gongshu": {"f_ent_c"},
        # a file goes to its owner and the departments over it: an institution sees enterprises whose
        # workers it trains, never their qualification documents or their workers' photos (issue 13)
        "inst_a_user": {"f_inst_a", "f_staff_a"},
        "inst_b_user": {"f_inst_b"}, "inst_c_user": {"f_inst_c"},
        # an enterprise downloads its own documents and its workers' — never an institution's licence
        "ent_a_user": {"f_ent_a"}, "ent_b_user": {"f_ent_b", "f_worker_b"}, "anonymous": set(),
    },
    Department: {
        "admin": ALL, "province": {"province_dept", "city_dept", "county_dept", "other_city_dept", "gongshu_dept"},
        "city": {"city_dept", "county_dept", "gongshu_dept"}, "county": {"county_dept"},
        "other_city": {"other_city_dept"}, "gongshu": {"gongshu_dept"}, "inst_a_user": set(),
        "inst_b_user": set(), "inst_c_user": set(), "ent_a_user": set(), "ent_b_user": set(), "anonymous": set(),
    },
    ExportJob: {
        "admin": ALL, "province": set(), "city": {"export_city"}, "county": set(), "other_city": set(),
        "gongshu": set(), "inst_a_user": {"export_inst_a"}, "inst_b_user": set(), "inst_c_user": set(),
        "ent_a_user": set(), "ent_b_user": set(), "anonymous": set(),
    },
}

# 师资及考评员: the factories give each institution a full roster, so staff are checked by institution.
EXPECT_STAFF_OF = {
    "admin": {"inst_a", "inst_b", "inst_c"}, "province": {"inst_a", "inst_b", "inst_c"},
    "city": {"inst_a", "inst_c"}, "county": {"inst_a"}, "other_city": {"inst_b"}, "gongshu": set(),
    "inst_a_user": {"inst_a"}, "inst_b_user": {"inst_b"}, "inst_c_user": {"inst_c"},
    "ent_a_user": set(), "ent_b_user": set(), "anonymous": set(),
}

# Models whose rows are not spread over the world's regions: expectations by kind of account.
REFERENCE = {
    Region: {"admin": True, "department": True, "institution": True, "enterprise": True, "anonymous": True},
    DictType: {"admin": True, "department": True, "institution": True, "enterprise": True, "anonymous": False},
    DictItem: {"admin": True, "department": True, "institution": True, "enterprise": True, "anonymous": False},
    AuditLog: {"admin": True, "department": False, "institution": False, "enterprise": False, "anonymous": False},
    SystemSetting: {"admin": True, "department": False, "institution": False, "enterprise": False,
                    "anonymous": False},
}


def _user(p, w, persona):
    if persona == "anonymous":
        return AnonymousUserMixin()
    return getattr(w, persona, None) or getattr(p, persona)


def _obj(p, w, key):
    return getattr(w, key, None) or getattr(p, key)


def _visible(scope, model):
    return set(db.session.execute(select(model.id).where(scope.criterion(model))).scalars())


def _all_ids(model):
    return set(db.session.execute(select(model.id)).scalars())


@pytest.fixture
def world(personas):
    return build_world(personas)


@pytest.mark.parametrize("model", list(EXPECT), ids=lambda m: m.__name__)
def test_each_persona_sees_exactly_its_rows(personas, world, model):
    p, w = personas, world
    universe = {key for expected in EXPECT[model].values() if expected is not ALL for key in expected}
    key_of = {_obj(p, w, key).id: key for key in universe}
    if model is UploadedFile:  # every document of an owner counts as that owner's key
        key_of.update({row.id: key for key, rows in w.owner_files.items() for row in rows})
    everything = _all_ids(model)
    assert set(key_of) <= everything
    wrong = []
    for persona in PERSONAS:
        scope = Scope.for_user(_user(p, w, persona))
        visible = _visible(scope, model)
        expected = EXPECT[model][persona]
        if expected is ALL:
            if visible != everything:
                wrong.append("%s: should see all %d rows, sees %d" % (persona, len(everything), len(visible)))
            continue
        seen = {key_of.get(pk, "<unknown row %s>" % pk) for pk in visible}
        if seen != expected:
            wrong.append("%s: sees %s, expected %s (missing %s, extra %s)" % (
                persona, sorted(seen), sorted(expected), sorted(expected - seen), sorted(seen - expected)))
    assert not wrong, "%s scope:\n" % model.__name__ + "\n".join(wrong)


def test_staff_scope(personas, world):
    p, w = personas, world
    key_of = {_obj(p, w, key).id: key for key in ("inst_a", "inst_b", "inst_c")}
    assert all(db.session.query(Staff).filter_by(institution_id=pk).count() for pk in key_of)
    for persona in PERSONAS:
        scope = Scope.for_user(_user(p, w, persona))
        rows = db.session.execute(select(Staff.institution_id).where(scope.criterion(Staff))).scalars()
        assert {key_of[pk] for pk in rows} == EXPECT_STAFF_OF[persona], persona
        if EXPECT_STAFF_OF[persona]:
            # whole rosters: every staff row of a visible institution is visible
            owners = [key_of_id for key_of_id, key in key_of.items() if key in EXPECT_STAFF_OF[persona]]
            assert len(_visible(scope, Staff)) == db.session.query(Staff).filter(
                Staff.institution_id.in_(owners)).count(), persona


def test_reference_and_admin_only_tables(personas, world):
    p, w = personas, world
    wrong = []
    for model, by_kind in REFERENCE.items():
        pk = model.__mapper__.primary_key[0]
        everything = set(db.session.execute(select(pk)).scalars())
        assert everything, model
        for persona in PERSONAS:
            scope = Scope.for_user(_user(p, w, persona))
            visible = set(db.session.execute(select(pk).where(scope.criterion(model))).scalars())
            expected = everything if by_kind[scope.kind] else set()
            if visible != expected:
                wrong.append("%s/%s: %d rows of %d" % (model.__name__, persona, len(visible), len(everything)))
    assert not wrong, wrong


def test_accounts_scope(personas, world):
    """A department sees its own colleagues and the accounts of the institutions it set up; others only themselves."""
    p, w = personas, world
    expect = {
        "province": {"province"}, "city": {"city", "inst_a_user", "inst_c_user"}, "county": {"county"},
        "other_city": {"other_city", "inst_b_user"}, "gongshu": {"gongshu"},
        "inst_a_user": {"inst_a_user"}, "ent_b_user": {"ent_b_user"}, "anonymous": set(),
    }
    for persona, keys in expect.items():
        scope = Scope.for_user(_user(p, w, persona))
        assert _visible(scope, AppUser) == {_obj(p, w, k).id for k in keys}, persona
    assert _visible(Scope.for_user(p.admin), AppUser) == _all_ids(AppUser)


def test_review_records_follow_their_document(personas, world):
    """A 审核记录 is visible exactly when the plan / exam plan / score report / enterprise it belongs to is."""
    p, w = personas, world
    kinds = {"training_plan": TrainingPlan, "exam_plan": ExamPlan, "score_report": ScoreReport,
             "enterprise": Enterprise}
    records = db.session.execute(select(ReviewRecord)).scalars().all()
    assert {r.object_type for r in records} == set(kinds)
    for persona in PERSONAS:
        scope = Scope.for_user(_user(p, w, persona))
        visible = _visible(scope, ReviewRecord)
        for record in records:
            document_visible = record.object_id in _visible(scope, kinds[record.object_type])
            assert (record.id in visible) == document_visible, (persona, record.object_type, record.object_id)
    inst_a = Scope.for_user(p.inst_a_user)
    plan_b_records = {r.id for r in records if r.object_type == "training_plan" and r.object_id == w.plan_b.id}
    assert plan_b_records and not plan_b_records & _visible(inst_a, ReviewRecord)


@pytest.mark.parametrize("model", [CertificateSequence, InstitutionCodeSequence, PushOutbox],
                         ids=lambda m: m.__name__)
def test_tables_without_a_rule_are_closed(personas, world, model):
    p, w = personas, world
    for persona in PERSONAS:
        scope = Scope.for_user(_user(p, w, persona))
        expected = "true" if persona == "admin" else "false"
        assert str(scope.criterion(model).compile()).lower() == expected, (persona, model)


def test_for_user_kinds(personas, world):
    p, w = personas, world
    assert Scope.for_user(None).kind == "anonymous"
    assert Scope.for_user(AnonymousUserMixin()).kind == "anonymous"
    assert Scope.for_user(p.admin).kind == "admin"
    city = Scope.for_user(p.city)
    assert (city.kind, city.region_prefix, city.department_id) == ("department", "3301", p.city_dept.id)
    assert Scope.for_user(p.province).region_prefix == "33"
    assert Scope.for_user(p.county).region_prefix == "330106"
    assert Scope.for_user(p.inst_a_user).institution_id == p.inst_a.id
    assert Scope.for_user(p.ent_b_user).enterprise_id == p.ent_b.id
    # A disabled department's account sees nothing.
    p.county_dept.enabled = False
    db.session.commit()
    assert Scope.for_user(p.county).kind == "anonymous"
    assert _visible(Scope.for_user(p.county), Enterprise) == set()


def test_get_or_404_and_can_see(app, personas, world):
    from werkzeug.exceptions import NotFound

    p, w = personas, world
    city = Scope.for_user(p.city)
    assert city.get_or_404(db.session, Enrollment, w.e_ba.id) is w.e_ba
    assert city.can_see(db.session, w.e_ba) and not city.can_see(db.session, w.e_bb)
    for pk in (w.e_bb.id, 999999, "abc", None, "1 or 1=1"):
        with pytest.raises(NotFound):
            city.get_or_404(db.session, Enrollment, pk)
    gongshu = Scope.for_user(w.gongshu)
    with pytest.raises(NotFound):
        gongshu.get_or_404(db.session, Enrollment, w.e_ba.id)


def test_who_acts(personas, world):
    """The department that set an institution up reviews it; enterprises go to the nearest department."""
    p, w = personas, world
    assert Scope.for_user(p.city).reviews_institution(p.inst_a)
    assert not Scope.for_user(p.county).reviews_institution(p.inst_a)  # in scope, but not the one who set it up
    assert not Scope.for_user(p.province).reviews_institution(p.inst_a)
    assert responsible_department(db.session, "330106") == p.county_dept
    assert responsible_department(db.session, "330105") == w.gongshu_dept
    assert responsible_department(db.session, "330110") == p.city_dept
    assert responsible_department(db.session, "330203") == p.other_city_dept
    assert responsible_department(db.session, "330302") == p.province_dept
    assert Scope.for_user(p.county).reviews_enterprise(db.session, p.ent_a)
    assert not Scope.for_user(p.city).reviews_enterprise(db.session, p.ent_a)
