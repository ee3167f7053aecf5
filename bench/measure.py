#!/usr/bin/env python
"""Measure 报名人员查询, the export and the dashboard on the bench database, side by side, in one run.

    .venv/bin/python bench/measure.py --url postgresql+psycopg://postgres@127.0.0.1:5432/zjpx_bench

For each query and each department (province 330000, city 330100, county 330106) it requests the page
through the Flask test client and reports the median server time (ms), the number of SQL statements
(SQLAlchemy before_cursor_execute listener, per request) and the response size. The baseline is a
stock FAB ModelView of the same table with default settings (no scope: FAB's own filters, count(*)
and OFFSET paging), registered only in this process, requested by the province account.
Then: the export of 100,000 rows × 12 columns (in a fresh subprocess, for its own peak memory) and
the province dashboard over the whole dataset.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from urllib.parse import urlencode

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir))
os.environ.setdefault("CELERY_TASK_ALWAYS_EAGER", "1")
os.environ.setdefault("RATELIMIT_ENABLED", "0")
os.environ.setdefault("APP_VAR_DIR", os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, "var",
                                                  "bench"))

from bench.build_dataset import BENCH_ACCOUNTS, BENCH_PASSWORD  # noqa: E402

DEPARTMENTS = [name for name, _code in BENCH_ACCOUNTS]  # province, city, county


def make_app(url):
    from flask_appbuilder import ModelView
    from flask_appbuilder.models.sqla.interface import SQLAInterface

    from app import create_app
    from app.models import Enrollment

    app = create_app(SQLALCHEMY_DATABASE_URI=url, WTF_CSRF_ENABLED=False, RATELIMIT_ENABLED=False,
                     SECRET_KEY=os.environ.get("SECRET_KEY") or "bench-only-key")  # never served

    class StockEnrollmentView(ModelView):
        """The baseline: FAB's ModelView of the same table with default settings."""

        datamodel = SQLAInterface(Enrollment)
        route_base = "/stockenrollment"

    with app.app_context():
        appbuilder = app.appbuilder
        appbuilder.add_view_no_menu(StockEnrollmentView)
        sm = appbuilder.sm
        role = sm.find_role("Department")
        pv = sm.find_permission_view_menu("can_list", "StockEnrollmentView") or sm.add_permission_view_menu(
            "can_list", "StockEnrollmentView")
        if pv not in role.permissions:
            sm.add_permission_role(role, pv)
        appbuilder.session.commit()
    return app


class Counter:
    def __init__(self, engine):
        from sqlalchemy import event

        self.count = 0
        event.listen(engine, "before_cursor_execute", self)

    def __call__(self, *args, **kwargs):
        self.count += 1


def login(app, username, account_type="department"):
    client = app.test_client()
    response = client.post("/login/", data={"account_type": account_type, "username": username,
                                            "password": BENCH_PASSWORD})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return client


def measure(app, counter, client, url, repeat, warm=True):
    times, statements, size = [], [], 0
    for attempt in range(0 if warm else 1, repeat + 1):
        with app.app_context():
            counter.count = 0
            started = time.perf_counter()
            response = client.get(url)
            elapsed = (time.perf_counter() - started) * 1000
            assert response.status_code == 200, (url, response.status_code)
            size = len(response.get_data())
        if attempt:  # the first request warms caches and is not counted
            times.append(elapsed)
            statements.append(counter.count)
    return statistics.median(times), max(statements), size


def samples(app):
    """Real values from the county's data, so every filter finds rows for all three departments."""
    from sqlalchemy import func, select

    from app.extensions import db
    from app.models import Enrollment

    with app.app_context():
        row = db.session.execute(select(Enrollment).where(Enrollment.inst_region_code == "330106")
                                 .order_by(Enrollment.id.desc()).limit(1)).scalar_one()
        name3 = db.session.execute(
            select(Enrollment.worker_name).where(func.length(Enrollment.worker_name) == 3,
                                                 Enrollment.inst_region_code == "330106")
            .order_by(Enrollment.id.desc()).limit(1)).scalar_one()
        return {"id_number": row.id_number, "mobile": row.mobile, "name": name3,
                "enterprise_name": row.enterprise_name, "plan_name": row.plan_name}


def queries(s):
    """(label, our filters, stock FAB filter args)."""
    return [
        ("首页（无条件）", {}, {}),
        ("身份证号（精确）", {"id_number": s["id_number"]}, {"_flt_3_id_number": s["id_number"]}),
        ("手机号（精确）", {"mobile": s["mobile"]}, {"_flt_3_mobile": s["mobile"]}),
        ("姓名（3个字，包含）", {"name": s["name"]}, {"_flt_2_worker_name": s["name"]}),
        ("企业名称（包含）", {"enterprise_name": s["enterprise_name"]},
         {"_flt_2_enterprise_name": s["enterprise_name"]}),
        ("培训计划名称（包含）", {"plan_name": s["plan_name"]}, {"_flt_2_plan_name": s["plan_name"]}),
        ("状态：证书已生成未推送", {"cert_status": "证书已生成未推送"}, {"_flt_3_cert_status": "证书已生成未推送"}),
        ("状态：培训计划 报名中", {"plan_status": "报名中"}, None),
    ]


def stock_in_subprocess(args, stock):
    """The stock ModelView in its own process: at this scale it loads whole related tables into its
    search form, and psycopg has been seen to crash (SIGSEGV) in such a fetch; one query per process."""
    command = [sys.executable, os.path.abspath(__file__), "--url", args.url, "--stock-query", json.dumps(stock),
               "--stock-repeat", str(args.stock_repeat)]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=args.stock_timeout)
    except subprocess.TimeoutExpired:
        return "> %d s (timeout)" % args.stock_timeout
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if done.returncode != 0 or not lines:
        return "crashed (exit %s)" % done.returncode
    result = json.loads(lines[-1])
    return "%.0f ms · %d SQL · %.0f KB" % (result["ms"], result["statements"], result["bytes"] / 1024)


def stock_only(args):
    import logging

    logging.disable(logging.WARNING)
    app = make_app(args.url)
    from app.extensions import db

    with app.app_context():
        counter = Counter(db.engine)
    client = login(app, "bench_province")
    stock = json.loads(args.stock_query)
    url = "/stockenrollment/list/" + ("?" + urlencode(stock) if stock else "")
    ms, statements, size = measure(app, counter, client, url, args.stock_repeat, warm=False)
    print(json.dumps({"ms": ms, "statements": statements, "bytes": size}))


def export_in_subprocess(url, rows):
    code = r"""
import io, json, os, sys, time
sys.path.insert(0, %(root)r)
from app import create_app
from app.extensions import db
from app.models.user import AppUser
from app.security.scope import Scope
from app.services.enrollees import EnrolleeFilters
from app.services.exports import write_enrollees
app = create_app(SQLALCHEMY_DATABASE_URI=%(url)r, SECRET_KEY=os.environ.get("SECRET_KEY") or "bench-only-key")
with app.app_context():
    user = db.session.query(AppUser).filter_by(username="bench_province").one()
    scope = Scope.for_user(user)
    path = os.path.join(app.config["EXPORT_FOLDER"], "bench-export.xlsx")
    import threading

    def rss_mb():
        with open("/proc/self/status") as status:
            return next(int(line.split()[1]) for line in status if line.startswith("VmRSS:")) / 1024

    samples, done = [], threading.Event()

    def sample():  # the current RSS every 20 ms while the export runs
        while not done.is_set():
            samples.append(rss_mb())
            time.sleep(0.02)

    before = rss_mb()
    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    started = time.perf_counter()
    with open(path, "wb") as handle:
        count = write_enrollees(handle, db.session, scope, EnrolleeFilters(), limit=%(rows)d)
    elapsed = time.perf_counter() - started
    done.set()
    sampler.join()
    print(json.dumps({"rows": count, "seconds": elapsed, "rss_before_mb": before, "rss_peak_mb": max(samples + [before]),
                      "file_mb": os.path.getsize(path) / 2**20}))
""" % {"root": os.path.abspath(os.path.join(os.path.dirname(__file__), os.pardir)), "url": url, "rows": rows}
    output = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                            env=dict(os.environ, PYTHONWARNINGS="ignore")).stdout
    return json.loads(output.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", default=os.environ.get("BENCH_DATABASE_URL",
                                                        "postgresql+psycopg://postgres@127.0.0.1:5432/zjpx_bench"))
    parser.add_argument("--repeat", type=int, default=9, help="measured requests per cell (median reported)")
    parser.add_argument("--stock-repeat", type=int, default=1)
    parser.add_argument("--export-rows", type=int, default=100000)
    parser.add_argument("--skip-export", action="store_true")
    parser.add_argument("--skip-stock", action="store_true")
    parser.add_argument("--stock-timeout", type=int, default=600)
    parser.add_argument("--stock-query", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.stock_query is not None:
        return stock_only(args)

    import logging

    logging.disable(logging.WARNING)
    app = make_app(args.url)
    from app.extensions import db

    with app.app_context():
        engine = db.engine
        dialect = engine.dialect.name
        from app.models import Enrollment

        total = db.session.query(Enrollment.id).count()
    counter = Counter(engine)
    clients = {name: login(app, name) for name in DEPARTMENTS}
    s = samples(app)
    print("database: %s, %d enrollments; median of %d requests (stock FAB: %d); load average %s"
          % (dialect, total, args.repeat, args.stock_repeat, " ".join("%.1f" % x for x in os.getloadavg())))
    print("samples: %s" % json.dumps(s, ensure_ascii=False))
    header = "| 查询 | " + " | ".join(["省 330000", "市 330100", "区县 330106", "FAB ModelView（默认）"]) + " |"
    print()
    print(header)
    print("|" + "---|" * 5)
    results = []
    for label, ours, stock in queries(s):
        cells = []
        for name in DEPARTMENTS:
            url = "/enrollmentview/list/" + ("?" + urlencode(ours) if ours else "")
            ms, statements, size = measure(app, counter, clients[name], url, args.repeat)
            cells.append("%.0f ms · %d SQL · %.0f KB" % (ms, statements, size / 1024))
            results.append((label, name, ms, statements, size))
        if stock is None:
            cells.append("（无此过滤）")
        elif args.skip_stock:
            cells.append("—")
        else:
            cells.append(stock_in_subprocess(args, stock))
        print("| %s | %s |" % (label, " | ".join(cells)), flush=True)
    worst = max(results, key=lambda r: r[2])
    print("\nslowest of ours: %s / %s: %.0f ms; most SQL statements: %d" % (
        worst[0], worst[1], worst[2], max(r[3] for r in results)))

    # 详情 and the dashboard
    with app.app_context():
        from app.models import Enrollment

        detail_id = db.session.query(Enrollment.id).filter(Enrollment.cert_status == "证书已推送",
                                                           Enrollment.inst_region_code == "330106") \
            .order_by(Enrollment.id.desc()).limit(1).scalar()
    ms, statements, size = measure(app, counter, clients["bench_county"], "/enrollmentview/show/%d" % detail_id,
                                   args.repeat)
    print("\n详情 (county, enrollment with exam, score and certificate): %.0f ms · %d SQL · %.0f KB"
          % (ms, statements, size / 1024))
    with app.app_context():
        from app.services.dashboard import refresh_stats

        started = time.perf_counter()
        refresh_stats()
        refresh_seconds = time.perf_counter() - started
    print("dashboard aggregates rebuilt (background task) in %.1f s" % refresh_seconds)
    for name in DEPARTMENTS:
        for preset in ("all", "year"):
            ms, statements, size = measure(app, counter, clients[name], "/dashboard/?preset=%s" % preset, args.repeat)
            print("行业数据看板 %-14s %-4s: %.0f ms · %d SQL · %.0f KB" % (name, preset, ms, statements, size / 1024))
    ms, statements, size = measure(app, counter, clients["bench_province"], "/dashboard/?preset=all&region=330100",
                                   args.repeat)
    print("行业数据看板 province drilled to 杭州市 (all): %.0f ms · %d SQL · %.0f KB" % (ms, statements, size / 1024))

    if not args.skip_export:
        result = export_in_subprocess(args.url, args.export_rows)
        print("\nexport %d rows × 12 columns: %.1f s; process RSS %.0f MB before, at most %.0f MB during it (+%.0f MB); "
              "file %.1f MB"
              % (result["rows"], result["seconds"], result["rss_before_mb"], result["rss_peak_mb"],
                 result["rss_peak_mb"] - result["rss_before_mb"], result["file_mb"]))


if __name__ == "__main__":
    main()
