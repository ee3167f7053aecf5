#!/usr/bin/env python
"""EXPLAIN ANALYZE of every list's text search, as the pages send it, on the bench database (issue 14).

    .venv/bin/python bench/list_search_plans.py --url postgresql+psycopg://postgres@127.0.0.1:5432/zjpx_bench_search

Each bench department (province, city, county) opens every list with one text filter set (1, 2, 3 and 6+
characters, matching many, few or none; terms come from the data plus terms found nowhere). The statements the
request sends that carry the term (the page and FAB's count) are captured and re-run `--repeat` times under
EXPLAIN (ANALYZE, BUFFERS): a cell is the sum of their median execution times, the rows the list found, and the
indexes the plans read. A page that answers the statement-timeout notice, or a statement slower than
--timeout seconds, shows as such. 报名人员查询 is covered filter by filter by bench/search_plans.py and here too.
The owners' own lists (学员管理, 培训计划管理, 考核计划管理) answer 403 to departments by design (SPEC §1): they are
opened by bench_enterprise / bench_institution (bench/build_dataset.py --owner-accounts), in the first column.
"""
import argparse
import os
import re
import statistics
import sys
from urllib.parse import urlencode

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir))
os.environ.setdefault("CELERY_TASK_ALWAYS_EAGER", "1")
os.environ.setdefault("RATELIMIT_ENABLED", "0")

from bench.build_dataset import BENCH_ACCOUNTS, BENCH_OWNER_ACCOUNTS  # noqa: E402
from bench.load import load_average  # noqa: E402
from bench.measure import login  # noqa: E402

# (list, url, query argument, table, column): every text filter of the lists a department uses on big tables.
# FAB's filter 2 is 包含 (contains), 0 开头是 (starts with); the project's own filters are _flt_0_.
LISTS = [
    ("报名人员查询·姓名", "/enrollmentview/list/", "name", "enrollment", "worker_name"),
    ("报名人员查询·企业", "/enrollmentview/list/", "enterprise_name", "enrollment", "enterprise_name"),
    ("报名人员查询·机构", "/enrollmentview/list/", "institution_name", "enrollment", "institution_name"),
    ("报名人员查询·计划", "/enrollmentview/list/", "plan_name", "enrollment", "plan_name"),
    ("报名人员查询·考核计划", "/enrollmentview/list/", "exam_plan_name", "enrollment", "exam_plan_name"),
    ("企业·名称", "/enterpriseview/list/", "_flt_2_name", "enterprise", "name"),
    ("企业审核·名称", "/enterprisereview/all/list/", "_flt_2_name", "enterprise", "name"),
    ("企业·名称开头", "/enterpriseview/list/", "_flt_0_name", "enterprise", "name"),
    ("学员·姓名", "/workerview/list/", "_flt_2_name", "worker", "name", "enterprise"),
    ("培训计划·名称", "/trainingplanview/list/", "_flt_2_name", "training_plan", "name", "institution"),
    ("培训计划审核·名称", "/trainingplanreview/all/list/", "_flt_2_name", "training_plan", "name"),
    ("培训计划审核·机构", "/trainingplanreview/all/list/", "_flt_0_institution_name", "institution", "name"),
    ("考核计划·名称", "/examplanview/list/", "_flt_2_name", "exam_plan", "name", "institution"),
    ("考核计划审核·名称", "/examplanreview/all/list/", "_flt_2_name", "exam_plan", "name"),
    ("证书查询·姓名", "/certificateview/list/", "_flt_0_worker_name", "certificate", "worker_name"),
    ("证书查询·编号开头", "/certificateview/list/", "_flt_1_number", "certificate", "number"),
    ("培训机构·名称", "/institutionview/list/", "_flt_2_name", "institution", "name"),
]
NOWHERE = ["龘", "鬲鬯", "龘鬲鬯", "上海龘龘建工集团"]


def terms_of(conn, table, column):
    """(term, kind) for one column: common and rare 1 and 2 characters from the data, a value's first 3
    characters and the whole value (the county's newest row), and terms found nowhere."""
    from sqlalchemy import text

    if column == "number":
        newest = conn.execute(text("SELECT number FROM certificate ORDER BY id DESC LIMIT 1")).scalar()
        return [(newest[:1], "1·多"), (newest[:2], "2·多"), (newest[:6], "6·少"), (newest, "全号·1"),
                ("X9", "2·无"), ("ZZZ999", "6·无")]
    sample = "(SELECT %s AS v FROM %s WHERE %s IS NOT NULL ORDER BY id DESC LIMIT 20000) s" % (column, table, column)
    common1 = conn.execute(text("SELECT substr(v, 1, 1) FROM %s GROUP BY 1 ORDER BY count(*) DESC LIMIT 1"
                                % sample)).scalar()
    rare1 = conn.execute(text("SELECT c FROM (SELECT substr(v, 2, 1) AS c, count(*) AS n FROM %s GROUP BY 1) t "
                              "WHERE n BETWEEN 1 AND 3 ORDER BY n DESC, c LIMIT 1" % sample)).scalar()
    newest = conn.execute(text("SELECT %s FROM %s WHERE %s IS NOT NULL ORDER BY id DESC LIMIT 1"
                               % (column, table, column))).scalar()
    middle = newest[len(newest) // 2 - 1:len(newest) // 2 + 1] if len(newest) > 3 else newest[1:3]
    cases = [(common1, "1·多"), (rare1 or "鑫", "1·少"), (newest[:2], "2·多/少"), (middle, "2·中段"),
             (newest[:3], "3"), (newest, "全称")]
    return cases + [(term, "%d·无" % len(term)) for term in NOWHERE]


class Capture:
    """The statements of one request (SQLAlchemy before_cursor_execute)."""

    def __init__(self, engine):
        from sqlalchemy import event

        self.statements = []
        event.listen(engine, "before_cursor_execute", self)

    def __call__(self, conn, cursor, statement, parameters, context, executemany):
        self.statements.append((statement, parameters))


def carries(parameters, term):
    values = parameters.values() if isinstance(parameters, dict) else (parameters or ())
    return any(term in str(v) for v in values)


def explain(engine, statement, parameters, repeat, timeout):
    """(median ms or None on timeout, rows of the outer node, indexes) of one captured statement."""
    times, plan = [], ""
    with engine.connect() as conn:
        conn.exec_driver_sql("SET statement_timeout = %d" % (timeout * 1000))
        # as the page ran it: inside list_queries.guard a search has no parallel workers (SEARCH_PARALLEL_WORKERS)
        conn.exec_driver_sql("SET max_parallel_workers_per_gather = 0")
        for _ in range(repeat):
            try:
                plan = "\n".join(conn.exec_driver_sql("EXPLAIN (ANALYZE, BUFFERS) " + statement,
                                                      parameters).scalars())
            except Exception as error:  # noqa: BLE001 — the timeout is a result here
                if "statement timeout" not in str(error):
                    raise
                return None, "?", ""
            times.append(float(re.search(r"Execution Time: ([\d.]+)", plan).group(1)))
    rows = re.search(r"actual time=[\d.]+\.\.[\d.]+ rows=(\d+)", plan)
    indexes = re.findall(r"(?:Index Scan Backward using|Bitmap Index Scan on|Index Scan using|"
                         r"Index Only Scan using|Seq Scan on) (\w+)", plan)
    return statistics.median(times), rows.group(1) if rows else "?", indexes


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", required=True)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--timeout", type=int, default=10)
    parser.add_argument("--only", help="lists whose label contains this text")
    args = parser.parse_args()

    from sqlalchemy import create_engine

    from app import create_app
    from app.extensions import db

    print("load average at start: %s" % load_average(), flush=True)
    app = create_app(SQLALCHEMY_DATABASE_URI=args.url, WTF_CSRF_ENABLED=False, RATELIMIT_ENABLED=False,
                     SECRET_KEY=os.environ.get("SECRET_KEY") or "bench-only-key")
    explainer = create_engine(args.url)
    clients = [(code, login(app, username)) for username, code in BENCH_ACCOUNTS]
    owners = {kind: [(username, login(app, username, kind))] for username, kind in BENCH_OWNER_ACCOUNTS}
    with app.app_context():
        capture = Capture(db.engine)
    worst = (0.0, "")
    terms = {}
    print("%-18s %-24s %-8s | %s" % ("list", "term", "kind", " | ".join(
        "%s ms (rows; indexes)" % code for code, _c in clients)))
    for label, url, argument, table, column, *owner in LISTS:
        if args.only and args.only not in label:
            continue
        if (table, column) not in terms:
            with explainer.connect() as conn:
                terms[table, column] = terms_of(conn, table, column)
        for term, kind in terms[table, column]:
            cells = []
            for _code, client in (owners[owner[0]] if owner else clients):
                capture.statements = []
                with app.app_context():
                    response = client.get(url + "?" + urlencode({argument: term}))
                page = response.get_data(as_text=True)
                if response.status_code != 200:
                    cells.append("HTTP %d" % response.status_code)
                    continue
                total, rows, used, timed_out = 0.0, [], set(), "查询超时" in page
                for statement, parameters in capture.statements:
                    if (not statement.lstrip().upper().startswith("SELECT") or table not in statement
                            or not carries(parameters, term)):
                        continue
                    median, found, indexes = explain(explainer, statement, parameters, args.repeat, args.timeout)
                    if median is None:
                        timed_out = True
                        continue
                    total += median
                    if "count(" not in statement:  # FAB's count answers one row: show the page's rows
                        rows.append(found)
                    used.update(i.replace("ix_", "") for i in indexes)
                if total > worst[0]:
                    worst = (total, "%s %s %s" % (label, term, _code))
                shown = "timeout" if timed_out else "%.1f" % total
                cells.append("%s (%s; %s)" % (shown, "/".join(rows), "+".join(sorted(used))))
            print("%-18s %-24s %-8s | %s" % (label, term[:22], kind, " | ".join(cells)), flush=True)
    print("slowest: %.1f ms (%s)" % worst)
    print("load average at end: %s" % load_average())


if __name__ == "__main__":
    main()
