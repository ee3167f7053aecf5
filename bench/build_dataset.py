#!/usr/bin/env python
"""Build the reference dataset of SPEC §12 into a SEPARATE database (never the working one).

    # PostgreSQL (COPY via psycopg 3; minutes)
    createdb -h 127.0.0.1 -U postgres -E UTF8 --locale=C.UTF-8 -T template0 zjpx_bench
    DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/zjpx_bench .venv/bin/flask --app run db upgrade
    .venv/bin/python bench/build_dataset.py --url postgresql+psycopg://postgres@127.0.0.1:5432/zjpx_bench

    # SQLite (executemany)
    .venv/bin/python bench/build_dataset.py --url sqlite:////tmp/zjpx_bench.db --scale 0.1

The schema must exist (`flask db upgrade`, which bench/setup_pg.sh runs); this script adds the seed
data (regions, dictionaries, roles), the departments with the bench accounts (bench_province,
bench_city, bench_county; password Bench@2026), then the generated rows of bench/dataset.py, then two owner
accounts for the lists departments do not have (bench_institution, bench_enterprise; --owner-accounts adds
them to a database built before they existed).
On PostgreSQL the secondary indexes and unique constraints of the loaded tables are dropped before
the COPY and rebuilt afterwards (two at a time), foreign-key triggers are off during the load
(session_replication_role = replica; the generator keeps the references consistent), then ANALYZE.
"""
import argparse
import os
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir))

from bench.dataset import ORDER, generate  # noqa: E402

BENCH_PASSWORD = "Bench@2026"
BENCH_ACCOUNTS = (("bench_province", "330000"), ("bench_city", "330100"), ("bench_county", "330106"))
# The owners' own lists (学员管理, 培训计划管理, 考核计划管理) answer 403 to departments by design (SPEC §1: they are
# the enterprise's and the institution's): these two accounts measure them, on the largest roster and plan book.
BENCH_OWNER_ACCOUNTS = (("bench_institution", "institution"), ("bench_enterprise", "enterprise"))


def log(message, started=[time.time()]):  # noqa: B006  (a clock shared by the calls)
    print("[%6.1fs] %s" % (time.time() - started[0], message), flush=True)


def prepare(url):
    """Seed data, roles, departments and the three bench accounts, through the app (small, ORM)."""
    from app import create_app
    from app.extensions import db
    from app.models import Department, Enrollment, Region
    from app.models.user import AppUser

    app = create_app(SQLALCHEMY_DATABASE_URI=url, SECRET_KEY=os.environ.get("SECRET_KEY") or "bench-only-key")
    with app.app_context():
        from app.cli import sync_permissions
        from app.seed import seed_all
        from app.services import accounts

        if db.session.query(Enrollment.id).first() is not None:
            sys.exit("the database already holds enrollments: build into a fresh database")
        seed_all()
        sync_permissions()
        departments = {}
        regions = db.session.query(Region).filter(Region.level.in_(("province", "city"))).all()
        wanted = {r.code: r.name for r in regions}
        wanted["330106"] = "西湖区"
        for code, name in sorted(wanted.items()):
            dept = db.session.query(Department).filter_by(region_code=code).first()
            if dept is None:
                suffix = "住房和城乡建设厅" if code == "330000" else "住房和城乡建设局"
                dept = Department(name=name + suffix, region_code=code, enabled=True)
                db.session.add(dept)
                db.session.flush()
            departments[code] = dept.id
        for username, code in BENCH_ACCOUNTS:
            if not db.session.query(AppUser.id).filter_by(username=username).first():
                accounts.create_user(username, BENCH_PASSWORD, "department", name=username,
                                     department_id=departments[code])
        db.session.commit()
    return departments


def owner_accounts(url):
    """bench_institution (the active institution with the most training plans) and bench_enterprise (the approved
    enterprise with the most workers); existing accounts are kept. Also run on a built database (--owner-accounts)."""
    from sqlalchemy import func, select

    from app import create_app
    from app.extensions import db
    from app.models import Enterprise, Institution, TrainingPlan, Worker
    from app.models.user import AppUser
    from app.services import accounts

    app = create_app(SQLALCHEMY_DATABASE_URI=url, SECRET_KEY=os.environ.get("SECRET_KEY") or "bench-only-key")
    with app.app_context():
        institution = db.session.execute(
            select(TrainingPlan.institution_id).join(Institution, Institution.id == TrainingPlan.institution_id)
            .where(Institution.status == "active").group_by(TrainingPlan.institution_id)
            .order_by(func.count().desc(), TrainingPlan.institution_id).limit(1)).scalar_one()
        enterprise = db.session.execute(
            select(Worker.enterprise_id).join(Enterprise, Enterprise.id == Worker.enterprise_id)
            .where(Enterprise.review_state == "approved").group_by(Worker.enterprise_id)
            .order_by(func.count().desc(), Worker.enterprise_id).limit(1)).scalar_one()
        owners = {"institution": {"institution_id": institution}, "enterprise": {"enterprise_id": enterprise}}
        for username, kind in BENCH_OWNER_ACCOUNTS:
            if not db.session.query(AppUser.id).filter_by(username=username).first():
                accounts.create_user(username, BENCH_PASSWORD, kind, name=username, **owners[kind])
        db.session.commit()


# --- PostgreSQL --------------------------------------------------------------------------------

def load_postgresql(url, tables):
    import psycopg

    dsn = url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(dsn, autocommit=True) as conn:
        names = [t for t in ORDER if t in tables]
        saved_indexes, saved_constraints = [], []
        for table in names:
            constraints = conn.execute(
                "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
                "WHERE conrelid = %s::regclass AND contype = 'u'", (table,)).fetchall()
            for constraint, definition in constraints:
                saved_constraints.append((table, constraint, definition))
                conn.execute('ALTER TABLE "%s" DROP CONSTRAINT "%s"' % (table, constraint))
            rows = conn.execute(
                "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s AND indexname NOT IN "
                "(SELECT conname FROM pg_constraint WHERE conrelid = %s::regclass AND contype = 'p')",
                (table, table)).fetchall()
            for index, definition in rows:
                saved_indexes.append(definition)
                conn.execute('DROP INDEX "%s"' % index)
        log("dropped %d indexes and %d unique constraints" % (len(saved_indexes), len(saved_constraints)))
        conn.execute("SET session_replication_role = replica")
        for table in names:
            spec = tables[table]
            started = time.time()
            with conn.cursor() as cur:
                with cur.copy('COPY "%s" (%s) FROM STDIN' % (table, ", ".join('"%s"' % c for c in spec.columns))) as copy:
                    for row in spec.rows:
                        copy.write_row(row)
            log("COPY %-22s %9d rows  %5.1fs" % (table, len(spec.rows), time.time() - started))
            if "id" in spec.columns:
                conn.execute("SELECT setval(pg_get_serial_sequence(%s, 'id'), "
                             "(SELECT coalesce(max(id), 1) FROM \"" + table + "\"))", (table,))
        conn.execute("SET session_replication_role = DEFAULT")
    # Rebuild: unique constraints first (the planner relies on them), then the rest, two at a time.
    jobs = ['ALTER TABLE "%s" ADD CONSTRAINT "%s" %s' % c for c in saved_constraints] + saved_indexes
    jobs.sort(key=lambda sql: (" gin " not in sql.lower(), 'enrollment' not in sql))  # the long GIN ones first
    lock = threading.Lock()

    def worker():
        with psycopg.connect(dsn, autocommit=True) as c:
            c.execute("SET maintenance_work_mem = '512MB'")
            c.execute("SET max_parallel_maintenance_workers = 1")
            while True:
                with lock:
                    if not jobs:
                        return
                    sql = jobs.pop(0)
                started = time.time()
                c.execute(sql)
                log("%5.1fs  %s" % (time.time() - started, sql[:110]))

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    with psycopg.connect(dsn, autocommit=True) as conn:
        started = time.time()
        conn.execute("VACUUM ANALYZE")
        log("VACUUM ANALYZE %.1fs" % (time.time() - started))


# --- SQLite ------------------------------------------------------------------------------------

def _sqlite_value(value):
    import datetime

    if isinstance(value, datetime.datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S.000000")
    if isinstance(value, datetime.date):
        return value.isoformat()
    return value


def load_sqlite(url, tables):
    import sqlite3

    path = url[len("sqlite:///"):]
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA synchronous = OFF")
    conn.execute("PRAGMA journal_mode = MEMORY")
    names = [t for t in ORDER if t in tables]
    saved = []
    for table in names:
        for name, sql in conn.execute("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? "
                                      "AND sql IS NOT NULL", (table,)).fetchall():
            saved.append(sql)
            conn.execute('DROP INDEX "%s"' % name)
    for table in names:
        spec = tables[table]
        started = time.time()
        sql = 'INSERT INTO "%s" (%s) VALUES (%s)' % (table, ", ".join('"%s"' % c for c in spec.columns),
                                                     ", ".join("?" * len(spec.columns)))
        batch = 20000
        for offset in range(0, len(spec.rows), batch):
            conn.executemany(sql, [tuple(_sqlite_value(v) for v in row) for row in spec.rows[offset:offset + batch]])
        conn.commit()
        log("INSERT %-22s %9d rows  %5.1fs" % (table, len(spec.rows), time.time() - started))
    for sql in saved:
        started = time.time()
        conn.execute(sql)
        log("%5.1fs  %s" % (time.time() - started, sql[:110]))
    conn.execute("ANALYZE")
    conn.commit()
    conn.close()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", default=os.environ.get("BENCH_DATABASE_URL"), required=not os.environ.get(
        "BENCH_DATABASE_URL"), help="SQLAlchemy URL of the bench database")
    parser.add_argument("--scale", type=float, default=1.0, help="1.0 = the reference dataset of SPEC §12")
    parser.add_argument("--seed", type=int, default=20261129)
    parser.add_argument("--owner-accounts", action="store_true",
                        help="only add bench_institution and bench_enterprise to a database built before they existed")
    args = parser.parse_args()
    os.environ.setdefault("CELERY_TASK_ALWAYS_EAGER", "1")
    if args.owner_accounts:
        owner_accounts(args.url)
        log("owner accounts ready")
        return
    departments = prepare(args.url)
    log("seed data, departments and bench accounts ready")
    tables = generate(scale=args.scale, seed=args.seed, department_ids=departments)
    log("generated: " + ", ".join("%s %d" % (t, len(tables[t].rows)) for t in ORDER))
    if args.url.startswith("postgresql"):
        load_postgresql(args.url, tables)
    elif args.url.startswith("sqlite:///"):
        load_sqlite(args.url, tables)
    else:
        sys.exit("unsupported database URL: " + args.url)
    owner_accounts(args.url)
    log("done")


if __name__ == "__main__":
    main()
