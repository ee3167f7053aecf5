"""报名人员查询 text searches on PostgreSQL (issue 14): every search kind has an index-backed plan, and the
statement-timeout guard answers with the Chinese message and leaves the transaction usable.

Plans, not timings: 40,000 enrollments are inserted (foreign-key triggers off for the fake worker ids), the
table is analysed, and EXPLAIN of the page query must not scan enrollment sequentially; a term that matches
few or no rows must be answered by a gram (migration 0014) or trigram (0002) index, at province, city and
county scope. A term that matches many rows may walk the primary key backwards (a page fills after a few rows).
Skipped unless TEST_DATABASE_URL points at PostgreSQL, e.g.

    TEST_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/wt14 \\
        .venv/bin/python -m pytest -q tests/services/test_enrollee_search_pg.py
"""
import os

import pytest
from sqlalchemy import func, text

from app.extensions import db
from app.security import filters as text_filters
from app.services import ServiceError, enrollees
from app.services.enrollees import EnrolleeFilters
from tests.services.test_enrollee_query import build_enrollee_world, scope_of

pytestmark = pytest.mark.skipif(
    not os.environ.get("TEST_DATABASE_URL", "").startswith("postgresql"),
    reason="plans of the gram indexes need PostgreSQL: set TEST_DATABASE_URL=postgresql+psycopg://…",
)

ROWS = 40000
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"  # 20 common surnames: each ~5 % of the rows
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂"  # 25 given-name characters
RARE = "鑫"  # one row in 2,000


@pytest.fixture
def crowd(personas):
    """The enrollee world plus ROWS generated enrollments over 西湖 (330106), 余杭 (330110) and 宁波 (330203)."""
    w = build_enrollee_world(personas)
    db.session.execute(text("SET LOCAL session_replication_role = replica"))  # fake worker ids: no FK triggers
    db.session.execute(text("""
        INSERT INTO enrollment (plan_id, worker_id, enterprise_id, institution_id, inst_region_code, ent_region_code,
                                worker_name, id_number, mobile, enterprise_name, institution_name, plan_name,
                                enrolled_at, exam_status, score_status, cert_status, in_class, created_at, updated_at)
        SELECT :plan, 1000000 + i, :ent, :inst,
               (ARRAY['330106', '330110', '330203'])[1 + i % 3], (ARRAY['330106', '330110', '330203'])[1 + i / 7 % 3],
               substr(:surnames, 1 + i % 20, 1) || substr(:given, 1 + i / 20 % 25, 1)
                   || CASE WHEN i % 2000 = 7 THEN :rare ELSE substr(:given, 1 + i / 500 % 25, 1) END,
               lpad(i::text, 18, '0'), '139' || lpad(i::text, 8, '0'),
               CASE WHEN i % 4000 = 13 THEN '宁波鑫瑞建设集团有限公司'
                    ELSE (ARRAY['杭州', '宁波', '温州', '湖州'])[1 + i % 4] || '第' || (i % 500) || '建筑工程有限公司' END,
               '浙江建设职业技术学院',
               CASE WHEN i % 4000 = 11 THEN '砌筑工技能提升培训计划'
                    ELSE (ARRAY['钢筋工', '架子工', '电工', '木工'])[1 + i % 4] || '培训计划' || (i % 300) END,
               now() - make_interval(mins => i), '未上报', '未上报', '证书未生成', false, now(), now()
        FROM generate_series(1, :rows) AS i
    """), {"plan": w.plan_c.id, "ent": personas.ent_a.id, "inst": personas.inst_a.id, "surnames": SURNAMES,
           "given": GIVEN, "rare": RARE, "rows": ROWS})
    db.session.commit()
    db.session.execute(text("ANALYZE enrollment"))
    db.session.commit()
    text_filters._GRAM_FREQUENCIES.clear()  # the statistics of this crowd, not of an earlier test's
    return w


# (filter, term, matches): every length of the issue — 1, 2, 3 and 6+ characters — matching many, few or none.
SELECTIVE = [
    ("name", RARE, "few"), ("name", "砌筑", "none"), ("name", "龘", "none"), ("name", "王" + RARE, "few"),
    ("name", "张伟鑫", "few"), ("name", "欧阳龘龘", "none"), ("enterprise_name", "砌筑", "none"),
    ("enterprise_name", "鑫瑞", "few"), ("enterprise_name", "鑫瑞建", "few"),
    ("enterprise_name", "宁波鑫瑞建设集团", "few"), ("enterprise_name", "上海建工集团", "none"),
    ("plan_name", "鬲鬯", "none"), ("plan_name", "砌筑", "few"), ("plan_name", "砌筑工", "few"),
    ("institution_name", "砌筑", "none"),
]
BROAD = [("name", "王", "many"), ("name", "王伟", "many"), ("enterprise_name", "建筑", "many"),
         ("plan_name", "电工", "many"), ("enterprise_name", "杭州", "many")]
SCOPES = ["province", "city", "county"]


def explain(scope, filters, collect=None):
    query = (enrollees.scoped_enrollments(scope, filters, collect=collect)
             .order_by(enrollees.Enrollment.id.desc()).limit(21))
    compiled = query.compile(bind=db.session.get_bind())
    plan = db.session.connection().exec_driver_sql("EXPLAIN " + str(compiled), compiled.params).scalars().all()
    return "\n".join(plan)


def test_every_search_kind_has_an_index_backed_plan(personas, crowd):
    """One crowd (inserting it takes seconds), every case checked, every wrong plan reported."""
    wrong = []
    for scope_name in SCOPES:
        scope = scope_of(personas, scope_name)
        for key, term, matches in SELECTIVE + BROAD:
            column = enrollees.INFIX_FILTERS[key].key
            indexes = ("ix_enrollment_%s_grams" % column, "ix_enrollment_%s_trgm" % column)
            # the planner's form (a rare short term already collected), then the collected form fetch_page
            # falls back to when walking the key runs into ENROLLEE_WALK_TIMEOUT_MS: both read the name's index
            for collect in (None, True) if matches != "many" else (None,):  # many: collecting reads them all
                plan = explain(scope, EnrolleeFilters.from_mapping({key: term}), collect)
                index_backed = "Seq Scan on enrollment" not in plan and (
                    any(index in plan for index in indexes)
                    or (matches == "many" and "Index Scan Backward using enrollment_pkey" in plan))
                if not index_backed:
                    wrong.append("%s %s=%s (%s, collect=%s):\n%s" % (scope_name, key, term, matches, collect, plan))
    assert not wrong, "\n\n".join(wrong)


def test_a_term_the_statistics_do_not_list_is_collected_first(personas, crowd):
    """鬲鬯 is in no plan name: the ids come from the gram index, the page never walks the key for it; 王 (5 %)
    is checked row by row along the key at province scope, and collected at county scope (bounded by the county)."""
    plan = explain(scope_of(personas, "province"), EnrolleeFilters.from_mapping({"plan_name": "鬲鬯"}))
    assert "ix_enrollment_plan_name_grams" in plan and "InitPlan" in plan, plan
    walked = explain(scope_of(personas, "province"), EnrolleeFilters.from_mapping({"name": "王"}))
    assert "InitPlan" not in walked and "enrollment_pkey" in walked, walked
    collected = explain(scope_of(personas, "county"), EnrolleeFilters.from_mapping({"name": "王"}))
    assert "InitPlan" in collected and "ix_enrollment_worker_name_grams" in collected, collected


@pytest.mark.parametrize("collect", [None, True])
def test_the_grams_find_what_like_finds(personas, crowd, collect):
    province = scope_of(personas, "province")
    for key, term, expected in [("name", RARE, ROWS // 2000), ("name", "王伟", None), ("plan_name", "计划29", None),
                                ("enterprise_name", "砌筑", 0), ("enterprise_name", "第12", None),
                                ("plan_name", "砌筑", ROWS // 4000 + 2)]:  # + the world's 杭州建工砌筑工培训计划
        filters = EnrolleeFilters.from_mapping({key: term})
        found = {r.id for r in db.session.execute(
            enrollees.scoped_enrollments(province, filters, collect=collect)).all()}
        column = enrollees.INFIX_FILTERS[key]
        plain = {r.id for r in db.session.execute(
            enrollees.scoped_enrollments(province, EnrolleeFilters(), columns=(enrollees.Enrollment.id,))
            .where(column.like("%" + term + "%"))).all()}
        assert found == plain, (key, term)
        if expected is not None:
            assert len(found) == expected, (key, term)


def test_the_grams_of_a_value_hold_every_gram_of_its_terms(app, ctx):
    value = "杭州第499建筑工程有限公司"
    grams = set(db.session.execute(text("SELECT zjpx_grams(:v)"), {"v": value}).scalar_one())
    for start in range(len(value)):
        for end in range(start + 1, len(value) + 1):
            assert set(enrollees.term_grams(value[start:end])) <= grams


def test_the_guard_cancels_a_slow_search_with_a_chinese_message(app, ctx, monkeypatch):
    monkeypatch.setitem(app.config, "ENROLLEE_QUERY_TIMEOUT_MS", 100)
    filters = EnrolleeFilters.from_mapping({"name": "王"})
    with pytest.raises(ServiceError) as refused:
        enrollees.guarded(db.session, filters, lambda: db.session.execute(text("SELECT pg_sleep(5)")).all())
    assert "查询超时" in str(refused.value.message) and "更长" in str(refused.value.message)
    # the request's transaction goes on, with the timeout it had before
    assert db.session.execute(text("SELECT 1")).scalar_one() == 1
    assert db.session.execute(text("SHOW statement_timeout")).scalar_one() == "0"


def test_a_walk_that_runs_into_the_short_timeout_is_collected_instead(app, ctx, monkeypatch):
    monkeypatch.setitem(app.config, "ENROLLEE_WALK_TIMEOUT_MS", 50)
    filters = EnrolleeFilters.from_mapping({"name": "王"})
    result = enrollees.guarded(db.session, filters, lambda: db.session.execute(text("SELECT pg_sleep(2)")).all(),
                               lambda: db.session.execute(text("SHOW statement_timeout")).scalar_one())
    assert result == "%dms" % enrollees.QUERY_TIMEOUT_MS or result == "2s"  # the collected form: the whole guard
    assert db.session.execute(text("SHOW statement_timeout")).scalar_one() == "0"


def test_the_guard_puts_the_timeout_back_after_a_search(app, ctx):
    filters = EnrolleeFilters.from_mapping({"name": "王"})
    before = db.session.execute(text("SHOW max_parallel_workers_per_gather")).scalar_one()
    inside = enrollees.guarded(db.session, filters, lambda: db.session.execute(text(
        "SELECT current_setting('statement_timeout'), current_setting('max_parallel_workers_per_gather')")).one())
    assert tuple(inside) == ("%dms" % enrollees.QUERY_TIMEOUT_MS, "0") or tuple(inside) == ("2s", "0"), inside
    assert before != "0"  # a search walks without parallel workers, the rest of the request keeps the default
    assert db.session.execute(text("SHOW statement_timeout")).scalar_one() == "0"
    assert db.session.execute(text("SHOW max_parallel_workers_per_gather")).scalar_one() == before


def test_no_guard_without_a_text_filter(app, ctx):
    assert enrollees.guarded(db.session, EnrolleeFilters(), lambda: db.session.execute(
        text("SHOW statement_timeout")).scalar_one()) == "0"


def test_a_timed_out_search_shows_the_message_on_the_page(app, login, personas, crowd, monkeypatch):
    monkeypatch.setitem(app.config, "ENROLLEE_QUERY_TIMEOUT_MS", 1)
    monkeypatch.setattr(enrollees, "_contains", _slow_contains)
    response = login(personas.city).get("/enrollmentview/list/?name=王")
    assert response.status_code == 200
    assert "查询超时" in response.get_data(as_text=True)


def _slow_contains(column, term, dialect, indexed=None):
    """A filter that sleeps 50 ms per row: the page's query runs into the 1 ms timeout."""
    return func.pg_sleep(0.05).is_not(None)
