"""报名人员查询 (SPEC §8): the one query builder — scope, every filter, keyset pages, capped counts, 详情.

build_enrollee_world() is shared by tests/services/test_exports.py, tests/views/test_enrollee_screens.py,
tests/views/test_dashboard.py and the browser test. Expectations are written out by hand from the
SPEC (which department sees which enrollment), not derived from the scope module.
"""
import datetime
import itertools
import random
from types import SimpleNamespace

import pytest
from sqlalchemy import event, select
from werkzeug.exceptions import NotFound

from app.demo import make_id_number
from app.extensions import db
from app.models import Certificate, Enrollment, Score, Worker
from app.security.scope import Scope
from app.services import enrollees
from app.services.enrollees import EnrolleeFilters
from tests import factories

_serial = itertools.count(1)
TODAY = datetime.date.today()
NOW = datetime.datetime.now().replace(microsecond=0)


def make_worker(name, enterprise, area, mobile=None):
    rng = random.Random(next(_serial) * 104729)
    worker = Worker(id_number=make_id_number(rng, area), name=name, gender="男",
                    mobile=mobile or "1391111%04d" % next(_serial), enterprise_id=enterprise.id)
    db.session.add(worker)
    db.session.flush()
    return worker


def enroll(plan, worker, enterprise, institution, *, enrolled_at=None, exam=None, exam_status="未上报",
           score_status="未上报", cert_status="证书未生成", **extra):
    """An enrollment with its denormalised columns, as the services write them."""
    enrollment = Enrollment(
        plan_id=plan.id, worker_id=worker.id, enterprise_id=enterprise.id, institution_id=institution.id,
        inst_region_code=institution.region_code, ent_region_code=enterprise.region_code,
        worker_name=worker.name, id_number=worker.id_number, mobile=worker.mobile,
        enterprise_name=enterprise.name, institution_name=institution.name, plan_name=plan.name,
        enrolled_at=enrolled_at or NOW, exam_status=exam_status, score_status=score_status, cert_status=cert_status,
        **extra)
    if exam is not None:
        enrollment.exam_plan_id, enrollment.exam_plan_name = exam.id, exam.name
    db.session.add(enrollment)
    db.session.flush()
    return enrollment


def build_enrollee_world(p):
    """On top of the personas: 余杭 (330110) institution and enterprise, plans (报名中 and 培训结束),
    six enrollments over 西湖 / 余杭 / 宁波, one of them through the whole process (exam, score,
    certificate), and a worker whose name is a formula."""
    w = SimpleNamespace()
    w.inst_c, w.inst_c_user = factories.institution("余杭建筑技能培训学校", "330110", p.city_dept, "inst_c")
    w.ent_c, w.ent_c_user = factories.enterprise("余杭城建有限公司", "330110", "ent_c", approved_by=p.city)
    plan = factories.training_plan
    w.plan_a = plan(p.inst_a, name="杭州建工砌筑工培训计划", state="approved", owner=p.inst_a_user, reviewer=p.city)
    w.plan_done = plan(p.inst_a, name="杭州建工钢筋工培训计划", state="approved", owner=p.inst_a_user,
                       reviewer=p.city, trade="020")
    w.plan_done.enroll_start = TODAY - datetime.timedelta(days=60)
    w.plan_done.enroll_end = TODAY - datetime.timedelta(days=30)
    w.plan_b = plan(p.inst_b, name="宁波电工培训计划", state="approved", owner=p.inst_b_user, reviewer=p.other_city)
    w.plan_c = plan(w.inst_c, name="余杭架子工培训计划", state="approved", owner=w.inst_c_user, reviewer=p.city)

    w.w_a = make_worker("张西湖", p.ent_a, "330106", mobile="13912345678")
    w.w_b = make_worker("李海曙", p.ent_b, "330203")
    w.w_c = make_worker("王余杭", w.ent_c, "330110")
    w.w_formula = make_worker("=HYPERLINK(\"http://x\")", p.ent_a, "330106")
    w.w_control = make_worker("陈\x07控制", p.ent_a, "330106")

    # 西湖 worker in 西湖 institution (county, city, province see it)
    w.e_aa = enroll(w.plan_a, w.w_a, p.ent_a, p.inst_a, enrolled_at=NOW - datetime.timedelta(days=3))
    # 宁波 worker in 西湖 institution (county by institution, 宁波 by enterprise)
    w.e_ba = enroll(w.plan_a, w.w_b, p.ent_b, p.inst_a, enrolled_at=NOW - datetime.timedelta(days=2))
    # 宁波 worker in 宁波 institution (宁波 and province only)
    w.e_bb = enroll(w.plan_b, w.w_b, p.ent_b, p.inst_b, enrolled_at=NOW - datetime.timedelta(days=2))
    # 余杭 worker in 余杭 institution (city and province, not 西湖)
    w.e_cc = enroll(w.plan_c, w.w_c, w.ent_c, w.inst_c, enrolled_at=NOW - datetime.timedelta(days=1))
    # 西湖 worker through the whole process in a finished plan
    w.e_done = enroll(w.plan_done, w.w_a, p.ent_a, p.inst_a, enrolled_at=NOW - datetime.timedelta(days=50),
                      paid_amount=800, paid_at=NOW - datetime.timedelta(days=49), receipt_no="SJ000001", in_class=True,
                      attended_hours=64, attendance_rate=100, attendance_result="合格",
                      attendance_confirmed_at=NOW - datetime.timedelta(days=20))
    w.e_formula = enroll(w.plan_done, w.w_formula, p.ent_a, p.inst_a, enrolled_at=NOW - datetime.timedelta(days=55))
    w.e_control = enroll(w.plan_done, w.w_control, p.ent_a, p.inst_a, enrolled_at=NOW - datetime.timedelta(days=56))
    # 确认考勤 20 days ago; 新增考核计划 and its approval (准考证号) take e_done, the class's one 合格 enrollee.
    w.plan_done.attendance_confirmed_at = NOW - datetime.timedelta(days=20)
    w.exam_done = factories.exam_plan(w.plan_done, state="approved", owner=p.inst_a_user, reviewer=p.city)
    [w.cand_done] = w.exam_done.candidates
    w.e_done.score_status, w.e_done.cert_status = "已审核", "证书已推送"
    w.score_done = Score(exam_plan_id=w.exam_done.id, enrollment_id=w.e_done.id, theory_score=88,
                         practical_score=91, passed=True)
    db.session.add(w.score_done)
    db.session.flush()
    w.cert_done = Certificate(number="26330100102000001", worker_id=w.w_a.id, enrollment_id=w.e_done.id,
                              worker_name=w.e_done.worker_name,
                              inst_region_code=w.e_done.inst_region_code, ent_region_code=w.e_done.ent_region_code,
                              exam_plan_id=w.exam_done.id, institution_id=p.inst_a.id, trade_code="020",
                              skill_level="5", issue_date=TODAY, status="pushed")
    db.session.add(w.cert_done)
    db.session.commit()
    return w


NAMES = ["e_aa", "e_ba", "e_bb", "e_cc", "e_done", "e_formula", "e_control"]
# Who sees which enrollment (SPEC §3: by the institution's OR the enrolling enterprise's region).
EXPECT = {
    "admin": set(NAMES),
    "province": set(NAMES),
    "city": {"e_aa", "e_ba", "e_cc", "e_done", "e_formula", "e_control"},
    "county": {"e_aa", "e_ba", "e_done", "e_formula", "e_control"},
    "other_city": {"e_ba", "e_bb"},
    "inst_a_user": {"e_aa", "e_ba", "e_done", "e_formula", "e_control"},
    "inst_b_user": {"e_bb"},
    "ent_a_user": {"e_aa", "e_done", "e_formula", "e_control"},
    "ent_b_user": {"e_ba", "e_bb"},
}


@pytest.fixture
def world(personas):
    return build_enrollee_world(personas)


def scope_of(personas, name):
    return Scope.for_user(getattr(personas, name))


def names_of(world, ids):
    by_id = {getattr(world, n).id: n for n in NAMES}
    return {by_id[i] for i in ids}


def query_ids(scope, filters=EnrolleeFilters()):
    rows = db.session.execute(enrollees.scoped_enrollments(scope, filters)).all()
    return {r.id for r in rows}


@pytest.mark.parametrize("persona", sorted(EXPECT))
def test_each_account_sees_exactly_its_scope(personas, world, persona):
    assert names_of(world, query_ids(scope_of(personas, persona))) == EXPECT[persona]


def test_anonymous_sees_nothing(personas, world):
    assert query_ids(Scope("anonymous")) == set()


@pytest.mark.parametrize("filters, expected", [
    ({"name": "西湖"}, {"e_aa", "e_done"}),  # infix
    ({"name": "海"}, {"e_ba", "e_bb"}),
    ({"mobile": "13912345678"}, {"e_aa", "e_done"}),  # exact
    ({"mobile": "1391234567"}, set()),  # a prefix is not a match
    ({"enterprise_name": "海曙"}, {"e_ba", "e_bb"}),
    ({"institution_name": "余杭"}, {"e_cc"}),
    ({"plan_name": "钢筋工"}, {"e_done", "e_formula", "e_control"}),
    ({"exam_plan_name": "钢筋工"}, {"e_done"}),
    ({"exam_status": "已审核"}, {"e_done"}),
    ({"score_status": "已审核"}, {"e_done"}),
    ({"cert_status": "证书已推送"}, {"e_done"}),
    ({"cert_status": "证书未生成"}, {"e_aa", "e_ba", "e_bb", "e_cc", "e_formula", "e_control"}),
    ({"plan_status": "报名中"}, {"e_aa", "e_ba", "e_bb", "e_cc"}),
    ({"plan_status": "培训结束"}, {"e_done", "e_formula", "e_control"}),
    ({"name": "西湖", "plan_status": "培训结束"}, {"e_done"}),
    ({"name": "%"}, set()),  # LIKE wildcards are literal
    ({"name": "_"}, set()),
    ({"exam_status": "随便"}, set(NAMES)),  # an unknown status is no filter, not an error
])
def test_filters(personas, world, filters, expected):
    assert names_of(world, query_ids(scope_of(personas, "province"), EnrolleeFilters.from_mapping(filters))) == expected


def test_id_number_is_exact_and_normalised(personas, world):
    province = scope_of(personas, "province")
    full = world.w_b.id_number
    assert names_of(world, query_ids(province, EnrolleeFilters.from_mapping({"id_number": full}))) == {"e_ba", "e_bb"}
    assert names_of(world, query_ids(province, EnrolleeFilters.from_mapping({"id_number": " %s " % full.lower()}))) \
        == {"e_ba", "e_bb"}
    assert query_ids(province, EnrolleeFilters.from_mapping({"id_number": full[:-1]})) == set()


def test_filters_never_widen_the_scope(personas, world):
    county = scope_of(personas, "county")
    # 宁波's own enrollment of 李海曙 stays invisible to 西湖, whatever the filter
    for filters in ({"id_number": world.w_b.id_number}, {"name": "李海曙"}, {"institution_name": "宁波"},
                    {"plan_name": "宁波电工"}):
        assert names_of(world, query_ids(county, EnrolleeFilters.from_mapping(filters))) <= {"e_ba"}
    assert query_ids(county, EnrolleeFilters.from_mapping({"institution_name": "余杭"})) == set()


def test_keyset_pages_walk_forward_and_back(personas, world):
    province = scope_of(personas, "province")
    seen, after, pages = [], None, []
    while True:
        page = enrollees.fetch_page(db.session, province, EnrolleeFilters(), page_size=2, after=after)
        pages.append(page)
        seen += [r.id for r in page.rows]
        if not page.has_next:
            break
        after = page.next_after
    assert len(seen) == len(set(seen)) == len(NAMES)
    assert seen == sorted(seen, reverse=True)  # newest first
    assert [len(p.rows) for p in pages] == [2, 2, 2, 1]
    assert not pages[0].has_prev and all(p.has_prev for p in pages[1:])
    # back from the last page gives the third page again
    back = enrollees.fetch_page(db.session, province, EnrolleeFilters(), page_size=2, before=pages[-1].prev_before)
    assert [r.id for r in back.rows] == [r.id for r in pages[2].rows]
    assert back.has_next and back.has_prev
    first = enrollees.fetch_page(db.session, province, EnrolleeFilters(), page_size=2, before=pages[1].prev_before)
    assert [r.id for r in first.rows] == [r.id for r in pages[0].rows] and not first.has_prev
    # garbage in the page arguments is ignored, not an error
    junk = enrollees.fetch_page(db.session, province, EnrolleeFilters(), page_size=2, after="x'; drop", before="-3")
    assert [r.id for r in junk.rows] == [r.id for r in pages[0].rows]


def test_a_page_is_one_statement_without_count(personas, world):
    statements = []
    city = scope_of(personas, "city")  # loading the user and its department is not the page's query

    def capture(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    filters = EnrolleeFilters.from_mapping({"name": "西湖"})
    # On PostgreSQL a short term consults the gram statistics, read once per process and kept for
    # GRAM_STATISTICS_SECONDS (filters.gram_frequency): not part of each page.
    enrollees.fetch_page(db.session, city, filters, page_size=20)
    event.listen(db.engine, "before_cursor_execute", capture)
    try:
        page = enrollees.fetch_page(db.session, city, filters, page_size=20)
    finally:
        event.remove(db.engine, "before_cursor_execute", capture)
    assert len(page.rows) == 2
    # on PostgreSQL the text search runs under the statement-timeout guard: a savepoint and two set_config
    guard = [s for s in statements if s.startswith(("SAVEPOINT", "RELEASE SAVEPOINT")) or "set_config(" in s]
    assert len(guard) == (4 if db.engine.dialect.name == "postgresql" else 0)
    statements = [s for s in statements if s not in guard]
    assert len(statements) == 1
    assert "count(" not in statements[0].lower()


def test_count_is_capped(personas, world):
    province = scope_of(personas, "province")
    assert enrollees.count(db.session, province, EnrolleeFilters()) == (len(NAMES), True)
    assert enrollees.count(db.session, province, EnrolleeFilters(), cap=3) == (3, False)
    assert enrollees.count(db.session, scope_of(personas, "other_city"), EnrolleeFilters(), cap=2) == (2, True)


def test_a_search_counts_less_far_than_the_whole_list(personas, world, monkeypatch):
    """A name search stops counting at SEARCH_COUNT_CAP, the unfiltered list at COUNT_CAP (list_queries.count_cap)."""
    from app.services import list_queries

    monkeypatch.setattr(list_queries, "SEARCH_COUNT_CAP", 2)
    monkeypatch.setattr(list_queries, "COUNT_CAP", 50)
    province = scope_of(personas, "province")
    searched = EnrolleeFilters.from_mapping({"institution_name": "杭州建工"})
    assert len(query_ids(province, searched)) > 2
    assert enrollees.count(db.session, province, searched) == (2, False)
    assert enrollees.count(db.session, province, EnrolleeFilters()) == (len(NAMES), True)


def test_rows_show_masked_ids_and_seed_statuses(personas, world):
    page = enrollees.fetch_page(db.session, scope_of(personas, "county"), EnrolleeFilters.from_mapping(
        {"name": "张西湖"}), page_size=10)
    by_id = {r.id: r for r in page.rows}
    done, fresh = by_id[world.e_done.id], by_id[world.e_aa.id]
    assert done.masked_id_number == world.w_a.id_number[:6] + "********" + world.w_a.id_number[-4:]
    assert (done.plan_status, done.exam_status, done.score_status, done.cert_status) == \
        ("培训结束", "已审核", "已审核", "证书已推送")
    assert (fresh.plan_status, fresh.exam_status, fresh.score_status, fresh.cert_status) == \
        ("报名中", "未上报", "未上报", "证书未生成")


def test_plan_progress_follows_the_window():
    today = datetime.date(2026, 11, 28)
    window = (datetime.date(2026, 11, 1), datetime.date(2026, 11, 28))
    assert enrollees.plan_progress("approved", *window, today=today) == "报名中"
    assert enrollees.plan_progress("approved", *window, today=today + datetime.timedelta(days=1)) == "培训结束"
    assert enrollees.plan_progress("approved", *window, today=datetime.date(2026, 10, 31)) == "未开始报名"
    assert enrollees.plan_progress("submitted", *window, today=today) == ""


def test_filters_are_bounded_and_described():
    filters = EnrolleeFilters.from_mapping({"name": "  张  三 ", "plan_name": "x" * 500, "id_number": "330106199001011234",
                                            "cert_status": "证书已推送", "unknown": "y"})
    assert filters.name == "张 三" and len(filters.plan_name) == enrollees.MAX_TEXT
    assert filters.as_dict()["cert_status"] == "证书已推送" and "unknown" not in filters.as_dict()
    described = filters.describe()
    assert "330106********1234" in described and "330106199001011234" not in described
    assert EnrolleeFilters().describe() == "无" and not EnrolleeFilters()


# --- 详情 -------------------------------------------------------------------------------------------

def test_detail_sections_and_entries(personas, world):
    info = enrollees.detail(db.session, scope_of(personas, "county"), world.e_done.id)
    assert info.enrollment.id == world.e_done.id and info.worker.id == world.w_a.id
    assert info.id_number == world.w_a.id_number  # full for the department
    # both of 张西湖's enrollments in scope are training entries, the current one first
    assert [t.enrollment.id for t in info.trainings] == [world.e_done.id, world.e_aa.id]
    assert info.trainings[0].current and info.trainings[0].plan_status == "培训结束"
    assert [(x.candidate.ticket_no, x.score.theory_score) for x in info.exams] == [(world.cand_done.ticket_no, 88)]
    assert world.cand_done.ticket_no.startswith("%04d%s" % (world.exam_done.year, personas.inst_a.code))
    assert [c.number for c in info.certificates] == ["26330100102000001"]


def test_detail_entries_stay_in_scope(personas, world):
    # 西湖 sees 李海曙's 西湖 enrollment, not his 宁波 one; 宁波 sees both
    county = enrollees.detail(db.session, scope_of(personas, "county"), world.e_ba.id)
    assert [t.enrollment.id for t in county.trainings] == [world.e_ba.id]
    other = enrollees.detail(db.session, scope_of(personas, "other_city"), world.e_ba.id)
    assert {t.enrollment.id for t in other.trainings} == {world.e_ba.id, world.e_bb.id}


@pytest.mark.parametrize("persona, full", [("county", True), ("inst_a_user", True), ("ent_a_user", True),
                                           ("admin", False)])
def test_full_id_number_only_for_the_responsible_accounts(personas, world, persona, full):
    info = enrollees.detail(db.session, scope_of(personas, persona), world.e_aa.id)
    assert (info.id_number == world.w_a.id_number) is full
    if not full:
        assert info.id_number == world.w_a.masked_id_number


@pytest.mark.parametrize("persona, target", [("county", "e_bb"), ("county", "e_cc"), ("other_city", "e_aa"),
                                             ("inst_b_user", "e_aa"), ("ent_b_user", "e_aa"), ("ent_a_user", "e_ba")])
def test_detail_of_a_foreign_enrollment_is_404(personas, world, persona, target):
    with pytest.raises(NotFound):
        enrollees.detail(db.session, scope_of(personas, persona), getattr(world, target).id)


def test_detail_of_a_missing_enrollment_is_404(personas, world):
    missing = (db.session.execute(select(Enrollment.id).order_by(Enrollment.id.desc())).scalar() or 0) + 1000
    with pytest.raises(NotFound):
        enrollees.detail(db.session, scope_of(personas, "province"), missing)
