#!/usr/bin/env python
"""10,000 certificate numbers from two real Celery workers on Redis (issue 14): time, duplicates, gaps.

    .venv/bin/python bench/certificate_numbers.py                  # database zjpx_bench_wt14_cert, Redis db 10
    .venv/bin/python bench/certificate_numbers.py --root /tmp/old  # the workers run an older checkout

Recreates the PostgreSQL database --db (only a name starting with zjpx_bench), migrates it, builds the test
personas and --jobs approved exam plans of the same institution and trade (so every certificate draws from ONE
number sequence), adds --count passed enrollments spread over them (SQL, in bulk), then starts two
`celery worker` processes (solo pool, the queue of this run) on Redis db --redis-db and presses 生成证书 on every
exam plan. Prints the time from the first press until every job is finished, then checks the numbers: as many
certificates as passed enrollments, no number twice, serials 1…N without a gap. The workers are stopped at the
end; a run longer than --limit seconds is stopped and reported as such.
"""
import argparse
import os
import subprocess
import sys
import tempfile
import time
import uuid

ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir))
sys.path.insert(0, ROOT)
from bench.load import load_average, stop_processes  # noqa: E402  (the same process handling as the load bench)

BIN = os.path.dirname(sys.executable)
# The app refuses PostgreSQL without a key (app/security/secret.py); the workers inherit it; the database is never served.
os.environ.setdefault("SECRET_KEY", "bench-only-key")
HOST = "127.0.0.1"


def recreate(db_name):
    if not db_name.startswith("zjpx_bench"):
        raise SystemExit("refusing to recreate %r: the name must start with zjpx_bench" % db_name)
    subprocess.run(["dropdb", "-h", HOST, "-U", "postgres", "--if-exists", db_name], check=True)
    subprocess.run(["createdb", "-h", HOST, "-U", "postgres", "-E", "UTF8", "--locale=C.UTF-8", "-T", "template0",
                    db_name], check=True)


def build(count, jobs):
    """Personas, `jobs` approved exam plans of inst_a (trade 010), `count` passed enrollments over them."""
    from flask_migrate import upgrade
    from sqlalchemy import text

    from app.cli import sync_permissions
    from app.extensions import db
    from app.seed import seed_all
    from tests import factories
    from tests.services.test_certificates import approved_exam

    upgrade()
    seed_all()
    sync_permissions()
    p = factories.build_personas()
    exams = [approved_exam(p, count=1, rng_seed=n + 1, trade="010") for n in range(jobs)]
    db.session.commit()
    for n, exam in enumerate(exams):
        share = count // jobs + (1 if n < count % jobs else 0) - 1  # approved_exam made one passed examinee
        db.session.execute(text("""
            WITH w AS (
                INSERT INTO worker (id_number, name, gender, mobile, enterprise_id, created_at, updated_at)
                SELECT 'B' || lpad((:n * 1000000 + i)::text, 17, '0'), '测试' || i, '男',
                       '138' || lpad(i::text, 8, '0'), :ent, now(), now()
                FROM generate_series(1, :share) AS i RETURNING id, id_number, name),
            e AS (
                INSERT INTO enrollment (plan_id, worker_id, enterprise_id, institution_id, inst_region_code,
                                        ent_region_code, worker_name, id_number, enterprise_name, institution_name,
                                        plan_name, enrolled_at, exam_status, score_status, cert_status, in_class,
                                        exam_plan_id, exam_plan_name, created_at, updated_at)
                SELECT :plan, w.id, :ent, :inst, :inst_region, :ent_region, w.name, w.id_number, :ent_name,
                       :inst_name, :plan_name, now(), '已审核', '已审核', '证书未生成', true, :exam, :exam_name,
                       now(), now()
                FROM w RETURNING id)
            INSERT INTO score (exam_plan_id, enrollment_id, theory_score, practical_score, absent, passed,
                               created_at, updated_at)
            SELECT :exam, e.id, 80, 80, false, true, now(), now() FROM e
        """), {"n": n, "share": share, "ent": p.ent_a.id, "plan": exam.plan_id, "inst": p.inst_a.id,
               "inst_region": p.inst_a.region_code, "ent_region": p.ent_a.region_code, "ent_name": p.ent_a.name,
               "inst_name": p.inst_a.name, "plan_name": "证书编号测试", "exam": exam.id, "exam_name": exam.name})
    db.session.commit()
    return p, exams


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", default="zjpx_bench_wt14_cert")
    parser.add_argument("--count", type=int, default=10000)
    parser.add_argument("--jobs", type=int, default=4, help="exam plans (生成证书 jobs) sharing one sequence")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--redis-db", type=int, default=10)
    parser.add_argument("--limit", type=int, default=180, help="seconds before the run is given up")
    parser.add_argument("--root", default=ROOT, help="the checkout the workers run")
    args = parser.parse_args()
    args.count, args.workers = max(1, min(args.count, 50000)), max(1, min(args.workers, 4))

    url = "postgresql+psycopg://postgres@%s:5432/%s" % (HOST, args.db)
    redis = "redis://%s:6379/%d" % (HOST, args.redis_db)
    tmp = tempfile.mkdtemp(prefix="zjpx-certs-")
    os.environ.update(DATABASE_URL=url, REDIS_URL=redis, APP_VAR_DIR=tmp, CERTIFICATE_ISSUE_PAUSE="0")
    os.environ.pop("CELERY_TASK_ALWAYS_EAGER", None)
    queue = "certbench-%s" % uuid.uuid4().hex[:8]

    from sqlalchemy import func, select

    from app import create_app
    from app.extensions import db
    from app.models import Certificate, CertificateJob
    from app.services import certificates as certificate_service

    print("load average at start: %s" % load_average(), flush=True)
    recreate(args.db)
    app = create_app(SQLALCHEMY_DATABASE_URI=url)
    app.config.update(CELERY_TASK_ALWAYS_EAGER=False)
    from app.tasks.certificates import generate_certificates

    task = generate_certificates._get_current_object()
    task.queue, task._exec_options = queue, None  # this run's queue: only this run's workers take its messages
    workers = []
    with app.app_context():
        p, exams = build(args.count, args.jobs)
        print("built: %d exam plans, %d passed enrollments (one sequence: %s / 010)" % (
            len(exams), args.count, p.inst_a.code), flush=True)
        env = dict(os.environ)
        for n in range(args.workers):
            log = open(os.path.join(tmp, "worker%d.log" % n), "ab")
            workers.append(subprocess.Popen(
                [os.path.join(BIN, "celery"), "-A", "app.celery_worker", "worker", "-Q", queue, "-n",
                 "cert%d-%s@localhost" % (n, queue), "--pool", "solo", "-l", "INFO", "--without-mingle",
                 "--without-gossip"], env=env, cwd=args.root, stdout=log, stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL, start_new_session=True))
        try:
            deadline = time.time() + 90
            while not all(" ready." in open(os.path.join(tmp, "worker%d.log" % n), errors="replace").read()
                          for n in range(args.workers)):
                if time.time() > deadline:
                    raise SystemExit("workers did not start; logs in %s" % tmp)
                time.sleep(0.3)
            started = time.time()
            for exam in exams:
                job = certificate_service.start_generation(exam, user=p.city)
                generate_certificates.apply_async((job.id,))  # delivered twice: both workers race on every job
            finished = False
            while time.time() < started + args.limit:
                db.session.rollback()
                open_jobs = db.session.execute(select(func.count()).select_from(CertificateJob).where(
                    CertificateJob.status != "finished")).scalar()
                if open_jobs == 0:
                    finished = True
                    break
                time.sleep(0.1)
            elapsed = time.time() - started
        finally:
            stop_processes(workers)
        db.session.rollback()
        numbers = db.session.execute(select(Certificate.number)).scalars().all()
        serials = sorted(int(number[-5:]) for number in numbers)
        duplicates = len(numbers) - len(set(numbers))
        gaps = sorted(set(range(1, (serials[-1] if serials else 0) + 1)) - set(serials))
        print("%s: %d certificates by %d workers in %.2f s (%.0f a second)%s" % (
            "finished" if finished else "NOT FINISHED within %d s" % args.limit, len(numbers), args.workers, elapsed,
            len(numbers) / elapsed if elapsed else 0, "" if finished else " — stopped"))
        print("numbers: %s … %s; duplicates: %d; gaps: %d%s" % (
            min(numbers) if numbers else "-", max(numbers) if numbers else "-", duplicates, len(gaps),
            (" (first %s)" % gaps[:5]) if gaps else ""))
        print("per worker (from the logs): " + ", ".join(
            "worker %d: %d tasks" % (n, open(os.path.join(tmp, "worker%d.log" % n), errors="replace").read().count(
                "succeeded in")) for n in range(args.workers)))
        with app.extensions["celery"].connection_for_write() as conn:
            conn.default_channel.queue_delete(queue)
    print("load average at end: %s" % load_average())
    ok = finished and duplicates == 0 and not gaps and len(numbers) == args.count
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
