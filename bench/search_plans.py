#!/usr/bin/env python
"""EXPLAIN ANALYZE of every text search kind of 报名人员查询 on the bench database (issue 14).

    .venv/bin/python bench/search_plans.py --url postgresql+psycopg://postgres@127.0.0.1:5432/zjpx_bench_wt14
    .venv/bin/python bench/search_plans.py --url … --plain     # the LIKE-only query of before migration 0014

For 姓名, 企业名称 and 培训计划名称 with 1, 2, 3 and 6+ characters, matching many, few or none, at province, city
and county scope: the page query (21 rows, newest first) as the app sends it, run `--repeat` times under
EXPLAIN (ANALYZE, BUFFERS); prints the median execution time, the rows found and the index the plan reads.
Terms come from the data (the county's newest enrollment, rare characters) plus terms found nowhere.
Each statement runs under statement_timeout = --timeout seconds (printed as "> N s").
"""
import argparse
import os
import re
import statistics
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir))
os.environ.setdefault("CELERY_TASK_ALWAYS_EAGER", "1")

from bench.build_dataset import BENCH_ACCOUNTS  # noqa: E402
from bench.load import load_average  # noqa: E402


def terms(session):
    """(filter, term, kind) — kind says how many rows the term should match."""
    from sqlalchemy import text

    newest = session.execute(text(
        "SELECT worker_name, enterprise_name, plan_name FROM enrollment WHERE inst_region_code = '330106' "
        "ORDER BY id DESC LIMIT 1")).one()
    # the rarest name character that occurs (a few rows) and a rare enterprise / plan bigram
    rare_char = session.execute(text(
        "SELECT c FROM (SELECT substr(worker_name, 2, 1) AS c, count(*) AS n FROM enrollment GROUP BY 1) s "
        "WHERE n BETWEEN 1 AND 200 ORDER BY n DESC, c LIMIT 1")).scalar()
    name, ent, plan = newest
    cut = plan.find("期")  # bench plan names: 2026年第88期建筑起重机械安装拆卸工（五级）
    trade, period = (plan[cut + 1:], plan[max(cut - 2, 0):cut + 1]) if cut > 0 else (plan, plan[:3])
    return [
        ("name", name[0], "1 字·多（姓）"), ("name", rare_char or "鑫", "1 字·少"), ("name", "龘", "1 字·无"),
        ("name", name[:2], "2 字·多/少"), ("name", "砌筑", "2 字·无"), ("name", name, "3 字·少"),
        ("name", "欧阳龘龘", "4 字·无"),
        ("enterprise_name", "建筑", "2 字·多"), ("enterprise_name", ent[2:4], "2 字·少"),
        ("enterprise_name", "砌筑", "2 字·无"), ("enterprise_name", ent[2:5], "3 字"),
        ("enterprise_name", ent, "全称（6+ 字）"), ("enterprise_name", "上海龘龘建工集团", "6+ 字·无"),
        ("plan_name", "培训", "2 字·多"), ("plan_name", trade[2:4], "2 字·工种"),
        ("plan_name", "鬲鬯", "2 字·无"), ("plan_name", "挖掘", "2 字·工种"), ("plan_name", period, "3 字·期"), ("plan_name", plan, "全称（6+ 字）"),
    ]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", required=True)
    parser.add_argument("--plain", action="store_true", help="LIKE only (the query before migration 0014)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--timeout", type=int, default=30)
    args = parser.parse_args()

    from app import create_app
    from app.extensions import db
    from app.models import Enrollment
    from app.models.user import AppUser
    from app.security.scope import Scope
    from app.services import enrollees

    print("load average at start: %s" % load_average(), flush=True)
    app = create_app(SQLALCHEMY_DATABASE_URI=args.url)
    with app.app_context():
        session = db.session
        scopes = []
        for username, code in BENCH_ACCOUNTS:
            user = session.query(AppUser).filter_by(username=username).one()
            scopes.append((code, Scope.for_user(user)))
        cases = terms(session)
        dialect = "default" if args.plain else "postgresql"
        print("%-16s %-22s %-14s | %s" % ("filter", "term", "kind", " | ".join(
            "%s ms (rows, index)" % code for code, _s in scopes)))
        worst = 0.0
        for key, term, kind in cases:
            cells = []
            for _code, scope in scopes:
                filters = enrollees.EnrolleeFilters.from_mapping({key: term})
                query = (enrollees.scoped_enrollments(scope, filters, dialect=dialect)
                         .order_by(Enrollment.id.desc()).limit(21))
                compiled = query.compile(bind=session.get_bind())
                times, plan = [], ""
                for _ in range(args.repeat):
                    conn = session.connection()
                    conn.exec_driver_sql("SET statement_timeout = %d" % (args.timeout * 1000))
                    try:
                        plan = "\n".join(conn.exec_driver_sql("EXPLAIN (ANALYZE, BUFFERS) " + str(compiled),
                                                              compiled.params).scalars())
                        times.append(float(re.search(r"Execution Time: ([\d.]+)", plan).group(1)))
                    except Exception as error:  # noqa: BLE001 — the timeout is a result here
                        session.rollback()
                        if "statement timeout" not in str(error):
                            raise
                        times.append(args.timeout * 1000.0)
                        plan = ""
                        break
                median = statistics.median(times)
                worst = max(worst, median)
                rows = re.search(r"Limit .*actual time=[\d.]+\.\.[\d.]+ rows=(\d+)", plan)
                index = re.findall(r"(?:Index Scan Backward using|Bitmap Index Scan on|Index Scan using|"
                                   r"Index Only Scan using|Seq Scan on) (\w+)", plan)
                shown = ("> %d s" % args.timeout) if not plan else "%.1f" % median
                cells.append("%s (%s, %s)" % (shown, rows.group(1) if rows else "?",
                                              "+".join(sorted(set(i.replace("ix_enrollment_", "") for i in index
                                                                  if "enrollment" in i or i.startswith("ix_e"))))))
            print("%-16s %-22s %-14s | %s" % (key, term[:20], kind, " | ".join(cells)), flush=True)
        session.rollback()
    print("slowest median: %.1f ms" % worst)
    print("load average at end: %s" % load_average())


if __name__ == "__main__":
    main()
