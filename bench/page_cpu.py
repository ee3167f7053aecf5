#!/usr/bin/env python
"""App CPU per page (issue 14 item 2): time.process_time of each request through the Flask test client.

    .venv/bin/python bench/page_cpu.py --url postgresql+psycopg://postgres@127.0.0.1:5432/zjpx_bench
    .venv/bin/python bench/page_cpu.py --url … --root /tmp/wt2_before      # the same pages on an older checkout
    .venv/bin/python bench/page_cpu.py --url … --profile 报名人员查询·无条件  # cProfile of one page kind

process_time counts the CPU of this process only (Flask, Jinja, SQLAlchemy, psycopg's decoding), not the time
PostgreSQL spends or the wait for it, so the figure is the web process's share of a page and stays readable on
a machine shared with other work (wall time is printed alongside, for reference). Each page is requested
--warm times first (Jinja compiles templates, SQLAlchemy caches statements, as in a long-running worker), then
--repeat times; the median is reported with the SQL statement count and the response size. Every page is
requested by the same logged-in department account (--account, default the province) in zh, and the 报名人员查询
list also in en — except the owners' own lists (学员管理, 培训计划管理, 考核计划管理: 403 to departments by design,
SPEC §1), requested by bench_enterprise and bench_institution (bench/build_dataset.py; skipped on a database built
without them: add them with build_dataset.py --owner-accounts). The load average is printed at the start and the end.
"""
import argparse
import cProfile
import os
import pstats
import statistics
import sys
import time
from urllib.parse import urlencode

BENCH = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(BENCH, os.pardir))  # this checkout's bench package; the app comes from --root

# bench.load imports no app module at its top (bench.measure and bench.dataset do, which would load this checkout's).
from bench.load import PASSWORD, REVIEW_LISTS, load_average  # noqa: E402


def make_app(url, root):
    """The app of the checkout at root (its own app package, imported first on sys.path)."""
    sys.path.insert(0, root)
    os.environ.setdefault("CELERY_TASK_ALWAYS_EAGER", "1")
    os.environ.setdefault("APP_VAR_DIR", os.path.join(BENCH, os.pardir, "var", "bench"))
    import logging

    from app import create_app

    app = create_app(SQLALCHEMY_DATABASE_URI=url, WTF_CSRF_ENABLED=False, RATELIMIT_ENABLED=False,
                     SECRET_KEY=os.environ.get("SECRET_KEY") or "bench-only-key")  # never served
    logging.disable(logging.WARNING)
    assert os.path.abspath(sys.modules["app"].__file__).startswith(os.path.abspath(root)), "wrong app imported"
    return app


def samples(app):
    """Recent values of 西湖区 (every bench account sees them), so each filter finds rows."""
    from sqlalchemy import func, select

    from app.extensions import db
    from app.models import Enrollment

    with app.app_context():
        # A small dataset (setup_pg.sh 0.05) may have no 西湖区 institution: then any region (measure as province).
        county = Enrollment.inst_region_code == "330106"
        if db.session.execute(select(Enrollment.id).where(county).limit(1)).first() is None:
            county = Enrollment.id > 0
        row = db.session.execute(select(Enrollment).where(county).order_by(Enrollment.id.desc()).limit(1)).scalar_one()
        name3 = db.session.execute(
            select(Enrollment.worker_name).where(func.length(Enrollment.worker_name) == 3, county)
            .order_by(Enrollment.id.desc()).limit(1)).scalar_one()
        return {"id": row.id, "id_number": row.id_number, "name": name3, "name2": name3[:2],
                "enterprise_name": row.enterprise_name}


def pages(s):
    """(page kind, path, locale[, account type of an owner's list])."""
    listing = "/enrollmentview/list/"
    certificates = "/certificateview/list/"
    return [
        ("报名人员查询·无条件", listing, "zh"),
        ("报名人员查询·无条件 en", listing, "en"),
        ("报名人员查询·身份证号", listing + "?" + urlencode({"id_number": s["id_number"]}), "zh"),
        ("报名人员查询·姓名3字", listing + "?" + urlencode({"name": s["name"]}), "zh"),
        ("报名人员查询·姓名2字", listing + "?" + urlencode({"name": s["name2"]}), "zh"),
        ("报名人员查询·企业名称", listing + "?" + urlencode({"enterprise_name": s["enterprise_name"]}), "zh"),
        ("详情", "/enrollmentview/show/%d" % s["id"], "zh"),
        ("看板", "/dashboard/", "zh"),
        ("审核列表·培训计划", REVIEW_LISTS[0], "zh"),
        ("审核列表·考核计划", REVIEW_LISTS[1], "zh"),
        ("审核列表·成绩报审", REVIEW_LISTS[2], "zh"),
        ("审核列表·企业", REVIEW_LISTS[3], "zh"),
        ("首页", "/", "zh"),
        ("证书查询·无条件", certificates, "zh"),
        ("证书查询·第 100 页", certificates + "?page_CertificateView=99", "zh"),
        ("证书查询·姓名1字", certificates + "?" + urlencode({"_flt_0_worker_name": s["name"][:1]}), "zh"),
        ("学员管理", "/workerview/list/", "zh", "enterprise"),
        ("学员管理·姓名1字", "/workerview/list/?" + urlencode({"_flt_2_name": s["name"][:1]}), "zh", "enterprise"),
        ("培训计划管理", "/trainingplanview/list/", "zh", "institution"),
        ("培训计划管理·名称2字", "/trainingplanview/list/?_flt_2_name=20", "zh", "institution"),
        ("考核计划管理", "/examplanview/list/", "zh", "institution"),
        ("考核计划管理·名称2字", "/examplanview/list/?_flt_2_name=20", "zh", "institution"),
    ]


def signed_in(app, account, locale, account_type="department"):
    """A test client logged in as the account (None when it does not exist), its pages in locale."""
    client = app.test_client()
    form = {"account_type": account_type, "username": account, "password": PASSWORD}
    if client.post("/login/", data=form).status_code != 302:
        assert account_type != "department", "login of %s refused" % account
        return None
    client.get("/lang/%s" % locale)
    return client


def one_request(client, path):
    cpu, wall = time.process_time(), time.perf_counter()
    response = client.get(path)
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    assert response.status_code == 200, (path, response.status_code)
    return cpu * 1000, wall * 1000, len(response.get_data())


def measure(client, sent, path, warm, repeat):
    for _ in range(warm):
        one_request(client, path)
    cpus, walls, counts, size = [], [], [], 0
    for _ in range(repeat):
        sent.clear()
        cpu, wall, size = one_request(client, path)
        cpus.append(cpu)
        walls.append(wall)
        counts.append(len(sent))
    return statistics.median(cpus), statistics.median(walls), max(counts), size


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", default=os.environ.get("BENCH_DATABASE_URL",
                                                        "postgresql+psycopg://postgres@127.0.0.1:5432/zjpx_bench"))
    parser.add_argument("--root", default=os.path.join(BENCH, os.pardir),
                        help="the checkout whose app is measured (e.g. main unpacked with git archive)")
    parser.add_argument("--account", default="bench_province")
    parser.add_argument("--repeat", type=int, default=21, help="measured requests per page (median reported)")
    parser.add_argument("--warm", type=int, default=3, help="unmeasured requests per page first")
    parser.add_argument("--only", help="measure only page kinds containing this text")
    parser.add_argument("--profile", metavar="KIND", help="print a cProfile of this page kind (CPU time; cumulative top 60, own time top 30)")
    args = parser.parse_args()

    app = make_app(args.url, os.path.abspath(args.root))
    from sqlalchemy import event

    from app.extensions import db

    sent = []  # one item per SQL statement
    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", lambda *_args: sent.append(1))
    s = samples(app)
    clients = {locale: signed_in(app, args.account, locale) for locale in ("zh", "en")}
    owners = {kind: signed_in(app, "bench_" + kind, "zh", kind) for kind in ("institution", "enterprise")}
    print("app: %s; database: %s; account %s; median of %d after %d warm-up requests"
          % (os.path.abspath(args.root), args.url.rsplit("/", 1)[-1], args.account, args.repeat, args.warm))
    print("load average at start: %s" % load_average(), flush=True)
    if args.profile:
        kind, path, locale, *owner = next(p for p in pages(s) if p[0] == args.profile)
        client = owners[owner[0]] if owner else clients[locale]
        measure(client, sent, path, args.warm, 1)
        profiler = cProfile.Profile(time.process_time)  # CPU, not the wait for PostgreSQL
        profiler.enable()
        for _ in range(args.repeat):
            client.get(path)
        profiler.disable()
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(60)
        pstats.Stats(profiler).sort_stats("tottime").print_stats(30)
        return
    print("| 页面 | app CPU（ms，中位数） | 耗时（ms） | SQL | KB |")
    print("|---|---|---|---|---|")
    cpus = []
    for kind, path, locale, *owner in pages(s):
        client = owners[owner[0]] if owner else clients[locale]
        if (args.only and args.only not in kind) or client is None:
            continue
        cpu, wall, statements, size = measure(client, sent, path, args.warm, args.repeat)
        cpus.append(cpu)
        print("| %s | %.1f | %.1f | %d | %.0f |" % (kind, cpu, wall, statements, size / 1024), flush=True)
    print("sum over the %d pages: %.1f ms CPU" % (len(cpus), sum(cpus)))
    print("load average at end: %s" % load_average())


if __name__ == "__main__":
    main()
