"""统计分析 → 行业数据看板: the numbers of a known small dataset, per department, drilled, by period, exported.

The dataset (months fixed in 2025): seven enrollments (+1 cancelled) over 西湖 330106, 余杭 330110 and
海曙 330203, scores and certificates (+1 revoked); the expected numbers are counted by hand below.
Attribution: an enrollment counts in its institution's region when that lies in the department's
region, otherwise in its enterprise's.
"""
import datetime
import io
import re
import time
from types import SimpleNamespace

import openpyxl
import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import AuditLog, Certificate, Enrollment, Score
from app.security.scope import Scope
from app.services import dashboard, review
from tests import factories
from tests.services.test_enrollee_query import enroll, make_worker


def at(text):
    return datetime.datetime.strptime(text, "%Y-%m-%d")


@pytest.fixture
def data(personas):
    p, d = personas, SimpleNamespace()
    d.inst_c, d.inst_c_user = factories.institution("余杭建筑技能培训学校", "330110", p.city_dept, "inst_c")
    d.inst_d, _ = factories.institution("西湖已注销培训学校", "330106", p.city_dept, "inst_d", staffed=False)
    d.inst_d.status = "cancelled"
    d.ent_c, _ = factories.enterprise("余杭城建有限公司", "330110", "ent_c", approved_by=p.city)
    d.ent_x, ent_x_user = factories.enterprise("西湖待审建筑有限公司", "330106", "ent_x")
    review.move(d.ent_x, "submit", user=ent_x_user)
    d.ent_y, ent_y_user = factories.enterprise("余杭驳回建筑有限公司", "330110", "ent_y")
    factories._walk(d.ent_y, "rejected", ent_y_user, p.city)
    plan = factories.training_plan
    d.plan_a = plan(p.inst_a, name="西湖砌筑工", state="approved", owner=p.inst_a_user, reviewer=p.city, trade="010")
    d.plan_b = plan(p.inst_b, name="海曙电工", state="approved", owner=p.inst_b_user, reviewer=p.other_city,
                    trade="130")
    d.plan_c = plan(d.inst_c, name="余杭钢筋工", state="approved", owner=d.inst_c_user, reviewer=p.city, trade="020")
    d.plan_draft = plan(p.inst_a, name="西湖草稿", state="draft")
    specs = [  # name, enterprise, institution, plan, exam, enrolled, passed, certificate (issue date)
        ("e1", p.ent_a, p.inst_a, d.plan_a, "a", "2025-03-10", True, "2025-07-01"),
        ("e2", p.ent_a, p.inst_a, d.plan_a, "a", "2025-03-11", False, None),
        ("e3", p.ent_b, p.inst_a, d.plan_a, "a", "2025-04-02", True, "2025-07-01"),
        ("e4", p.ent_b, p.inst_b, d.plan_b, "b", "2025-04-05", True, "2025-07-15"),
        ("e5", p.ent_a, p.inst_b, d.plan_b, "b", "2025-04-06", False, "revoked"),
        ("e6", d.ent_c, d.inst_c, d.plan_c, "c", "2025-05-01", True, "2025-08-01"),
        ("e7", p.ent_a, d.inst_c, d.plan_c, "c", "2025-05-02", True, "2025-08-02"),
    ]
    workers = {}
    for index, (name, ent, inst, plan_, _exam_key, enrolled, _passed, _issued) in enumerate(specs, start=1):
        workers[name] = make_worker("看板学员%d" % index, ent, ent.region_code)
        # 考勤合格, confirmed: 新增考核计划 below takes them as its examinees
        setattr(d, name, enroll(plan_, workers[name], ent, inst, enrolled_at=at(enrolled), attendance_result="合格",
                                attendance_confirmed_at=at("2025-06-01")))
    exams = {}
    for key, plan_, start in (("a", d.plan_a, "2025-06-10"), ("b", d.plan_b, "2025-06-20"),
                              ("c", d.plan_c, "2025-07-01")):
        plan_.attendance_confirmed_at = at("2025-06-01")
        exam = factories.exam_plan(plan_)
        exam.theory_start = at(start)
        exams[key] = exam
    for index, (name, ent, inst, plan_, exam_key, enrolled, passed, issued) in enumerate(specs, start=1):
        e, worker = getattr(d, name), workers[name]
        db.session.add(Score(exam_plan_id=exams[exam_key].id, enrollment_id=e.id, theory_score=80 if passed else 40,
                             practical_score=80, passed=passed))
        if issued:
            db.session.add(Certificate(
                number="2533%05d%s" % (index, plan_.trade_code), worker_id=worker.id, enrollment_id=e.id,
                worker_name=e.worker_name,
                inst_region_code=e.inst_region_code, ent_region_code=e.ent_region_code,
                exam_plan_id=exams[exam_key].id, institution_id=inst.id, trade_code=plan_.trade_code, skill_level="5",
                issue_date=at("2025-08-05" if issued == "revoked" else issued).date(), revoked=issued == "revoked"))
    cancelled = enroll(d.plan_a, make_worker("看板取消", p.ent_a, "330106"), p.ent_a, p.inst_a,
                       enrolled_at=at("2025-03-12"))
    cancelled.cancelled_at = at("2025-03-13")
    db.session.commit()
    return d


def numbers(personas, persona, region=None, **period):
    scope = Scope.for_user(getattr(personas, persona))
    dashboard.refresh_stats()
    view = dashboard.resolve_region(db.session, scope, region)
    return dashboard.compute(db.session, scope, view, dashboard.Period.from_args(period or {"preset": "all"}))


def by_code(result, key):
    return {r["code"]: r[key] for r in result["regions"] if r[key]}


def test_province(personas, data):
    r = numbers(personas, "province")
    assert {k: r["totals"][k] for k in ("enrolled", "scored", "passed", "certificates")} == \
        {"enrolled": 7, "scored": 7, "passed": 5, "certificates": 5}
    assert r["totals"]["pass_rate"] == 71.4
    assert by_code(r, "enrolled") == {"330100": 5, "330200": 2}
    assert by_code(r, "certificates") == {"330100": 4, "330200": 1}
    assert len(r["regions"]) == 11  # every city listed, with zeros where nothing happened
    months = {m["month"]: (m["enrolled"], m["scored"], m["passed"], m["certificates"]) for m in r["months"]}
    assert months == {"2025-03": (2, 0, 0, 0), "2025-04": (3, 0, 0, 0), "2025-05": (2, 0, 0, 0),
                      "2025-06": (0, 5, 3, 0), "2025-07": (0, 2, 2, 3), "2025-08": (0, 0, 0, 2)}
    assert [(t["code"], t["certificates"]) for t in r["trades"]] == [("010", 2), ("020", 2), ("130", 1)]
    states = {s["state"]: s["count"] for s in r["enterprise_states"]}
    assert (states["approved"], states["submitted"], states["rejected"], states["accepted"]) == (3, 1, 1, 0)
    assert {s["state"]: s["count"] for s in r["institution_states"]} == {"active": 3, "cancelled": 1}
    plans = {s["state"]: s["count"] for s in r["plan_states"]}
    assert (plans["approved"], plans["draft"], plans["submitted"]) == (3, 1, 0)


def test_city_counts_its_enterprises_workers_trained_elsewhere(personas, data):
    r = numbers(personas, "city")
    assert (r["totals"]["enrolled"], r["totals"]["scored"], r["totals"]["passed"], r["totals"]["certificates"]) \
        == (6, 6, 4, 4)
    assert by_code(r, "enrolled") == {"330106": 4, "330110": 2}  # e5 (宁波 institution) counts at 西湖, its enterprise
    assert by_code(r, "enterprises") == {"330106": 2, "330110": 2}
    assert by_code(r, "institutions") == {"330106": 1, "330110": 1}
    assert by_code(r, "institutions_cancelled") == {"330106": 1}


def test_county_and_other_city(personas, data):
    county = numbers(personas, "county")
    assert (county["totals"]["enrolled"], county["totals"]["passed"], county["totals"]["certificates"]) == (5, 3, 3)
    assert [row["code"] for row in county["regions"]] == ["330106"]
    assert {s["state"]: s["count"] for s in county["plan_states"]}["draft"] == 1
    other = numbers(personas, "other_city")
    assert (other["totals"]["enrolled"], other["totals"]["passed"], other["totals"]["certificates"]) == (3, 2, 2)
    assert by_code(other, "enrolled") == {"330203": 3}


def test_drill_from_province_to_city(personas, data):
    r = numbers(personas, "province", region="330100")
    assert by_code(r, "enrolled") == {"330106": 3, "330110": 2}  # for the province e5 counts at 宁波's institution
    assert r["totals"]["certificates"] == 4


@pytest.mark.parametrize("persona", ["province", "city", "county", "other_city"])
def test_totals_agree_with_the_scope_rule(personas, data, persona):
    """The aggregates give each department exactly the enrollments Scope.criterion(Enrollment) gives it."""
    user = getattr(personas, persona)
    scope = Scope.for_user(user)
    live = db.session.execute(select(func.count()).select_from(Enrollment).where(
        scope.criterion(Enrollment), Enrollment.cancelled_at.is_(None))).scalar()
    scored = db.session.execute(select(func.count()).select_from(Score).where(scope.criterion(Score))).scalar()
    certificates = db.session.execute(select(func.count()).select_from(Certificate).where(
        scope.criterion(Certificate), Certificate.revoked.is_(False))).scalar()
    r = numbers(personas, persona)
    assert (r["totals"]["enrolled"], r["totals"]["scored"], r["totals"]["certificates"]) == (live, scored, certificates)


def test_the_period_narrows_by_month(personas, data):
    r = numbers(personas, "province", start="2025-03", end="2025-04")
    assert (r["totals"]["enrolled"], r["totals"]["scored"], r["totals"]["certificates"]) == (5, 0, 0)
    assert {s["state"]: s["count"] for s in r["plan_states"]}["approved"] == 0  # the plans start this month
    r = numbers(personas, "province", start="2025-07", end="2025-07")
    assert (r["totals"]["scored"], r["totals"]["passed"], r["totals"]["certificates"]) == (2, 2, 3)
    swapped = dashboard.Period.from_args({"start": "2025-07", "end": "2025-03"})
    assert (swapped.start, swapped.end) == ("2025-03", "2025-07")
    assert dashboard.Period.from_args({"start": "2025-13", "end": "x"}) == dashboard.Period(None, None)


@pytest.mark.parametrize("persona, region", [("county", "330110"), ("county", "330100"), ("city", "330200"),
                                             ("other_city", "330106"), ("province", "999999"), ("city", "abc")])
def test_drilling_out_of_the_region_is_404(personas, data, login, persona, region):
    response = login(getattr(personas, persona)).get("/dashboard/?region=%s" % region)
    assert response.status_code == 404


@pytest.mark.parametrize("persona", ["inst_a_user", "ent_a_user", "admin"])
def test_only_departments_have_the_dashboard(personas, data, login, persona):
    assert login(getattr(personas, persona)).get("/dashboard/").status_code == 403


def test_the_page_shows_charts_from_our_own_static_files_and_tables(personas, data, login):
    client = login(personas.province)
    html = client.get("/dashboard/?preset=all").text
    assert re.search(r'id="kpi-enrolled">\s*7<', html) and re.search(r'id="kpi-certificates">\s*5<', html)
    assert "71.4%" in html
    assert '<script src="/static/vendor/echarts/echarts.min.js"' in html
    assert not re.search(r'<script[^>]+src="(https?:)?//', html) and "cdn" not in html.lower()
    for chart in ("chart-enterprises", "chart-institutions", "chart-plans", "chart-regions", "chart-months",
                  "chart-trades"):
        assert 'id="%s"' % chart in html
    assert 'href="/dashboard/?preset=all&amp;region=330100"' in html  # drill link
    drilled = client.get("/dashboard/?preset=all&region=330100").text
    assert "西湖区" in drilled and "余杭区" in drilled and "浙江省" in drilled  # breadcrumb back to the province
    static = client.get("/static/vendor/echarts/echarts.min.js")
    assert static.status_code == 200 and b"echarts" in static.data[:2000].lower()


def test_the_numbers_download_as_xlsx_and_are_logged(personas, data, login):
    response = login(personas.city).get("/dashboard/export?preset=all")
    assert response.status_code == 200 and response.mimetype.endswith("spreadsheetml.sheet")
    book = openpyxl.load_workbook(io.BytesIO(response.data))
    assert book.sheetnames == ["概览", "按地区", "按月份", "按工种"]
    overview = {row[0]: row[1] for row in book["概览"].iter_rows(min_row=2, values_only=True)}
    assert overview["报名人数"] == "6" and overview["发证数"] == "4" and overview["统计区域"] == "杭州市"
    regions = {row[0]: row for row in book["按地区"].iter_rows(min_row=2, values_only=True)}
    assert regions["330106"][6] == "4"
    trades = [row for row in book["按工种"].iter_rows(min_row=2, values_only=True)]
    assert ("020", "钢筋工", "2") in trades
    log = db.session.execute(select(AuditLog).where(AuditLog.action == "export")).scalar_one()
    assert log.user_id == personas.city.id and "行业数据看板" in log.detail


def test_the_aggregates_are_a_snapshot_refreshed_on_request(personas, data, login):
    client = login(personas.county)
    assert re.search(r'id="kpi-enrolled">\s*5<', client.get("/dashboard/?preset=all").text)
    enroll(data.plan_a, make_worker("新报名", personas.ent_a, "330106"), personas.ent_a, personas.inst_a,
           enrolled_at=at("2025-03-20"))
    db.session.commit()
    assert re.search(r'id="kpi-enrolled">\s*5<', client.get("/dashboard/?preset=all").text)  # not yet
    response = client.post("/dashboard/refresh?preset=all")
    assert response.status_code == 302
    deadline = time.time() + 60  # at once with eager tasks; a real worker (TEST_REAL_WORKER=1) takes a moment
    while not re.search(r'id="kpi-enrolled">\s*6<', client.get("/dashboard/?preset=all").text):
        assert time.time() < deadline, "the refresh did not arrive"
        time.sleep(0.5)
