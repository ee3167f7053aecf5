#!/usr/bin/env python
"""Load benchmark (issue 14): department operators over HTTP against gunicorn + Celery + Redis on the bench database.

    .venv/bin/python bench/load.py --url postgresql+psycopg://postgres@127.0.0.1:5432/zjpx_bench_wt14
    .venv/bin/python bench/load.py --url … --nodes 2          # two web processes on two ports + two workers

Starts `--nodes` gunicorn processes (127.0.0.1, ports --port, --port+1, …; README's production setting by default:
`--web-workers` 2 processes of `--threads` 4 gthread threads each; `--web-workers 4 --threads 1` is the sync worker)
and as many `celery worker` processes, all on the same PostgreSQL database and the same Redis (broker and
results on db --redis-db, login rate limits on db --redis-db + 1), as separate machines would share them.
Then `--users` simulated operators (threads; at most 200) log in as bench_province / bench_city / bench_county
(round robin over the nodes) and, for `--duration` seconds (at most 600), each repeatedly picks a page, requests
it and thinks 1–3 s: 报名人员查询 without filters, by exact 身份证号/手机号, by short terms (1–2 characters of
姓名, 企业名称, 培训计划名称), by full values (3-character 姓名, full enterprise / plan names), 详情, the 看板 and
the review lists. Prints per page kind: requests, errors, median, p95, max and requests/s; and the load
average at the start and the end. Loopback only; every process it starts is stopped at the end.

`--saturate` measures throughput at saturation instead: a closed loop without think time — each of `--users`
operators (16 by default, at most 64) sends its next request as soon as the previous one is answered — so the
servers are never idle and requests/s per page kind and in total is what they can serve. The load generator
runs on the same machine and its own CPU time is printed (on 2 cores it takes a share the servers do not get).

AUTH_RATE_LIMIT is raised for the run (50 operators log in from one address within seconds).
"""
import argparse
import http.cookiejar
import os
import random
import re
import signal
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir))
sys.path.insert(0, ROOT)
BIN = os.path.dirname(sys.executable)
HOST = "127.0.0.1"
PASSWORD = "Bench@2026"
ACCOUNTS = ("bench_province", "bench_city", "bench_county")
REVIEW_LISTS = ("/trainingplanreview/pending/list/", "/examplanreview/pending/list/",
                "/scorereportreview/all/list/", "/enterprisereview/pending/list/")
# page kind → weight (how often an operator opens it)
WEIGHTS = {"查询·无条件": 10, "查询·精确(身份证/手机)": 15, "查询·短词(1–2字)": 25, "查询·全称/3字": 15,
           "详情": 15, "看板": 8, "审核列表": 12}


def load_average():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def sample_values(url):
    """Recent enrollments of 西湖区 (every bench account sees them): ids, ID numbers, mobiles and names."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(text(
            "SELECT id, worker_name, id_number, mobile, enterprise_name, plan_name FROM enrollment "
            "WHERE inst_region_code = '330106' ORDER BY id DESC LIMIT 400")).all()
    engine.dispose()
    return rows


def short_term(rng, row):
    kind = rng.choice(("name1", "name2", "ent2", "plan2"))
    if kind == "name1":
        return {"name": row.worker_name[0]}
    if kind == "name2":
        return {"name": row.worker_name[:2]}
    if kind == "ent2":
        start = rng.randrange(0, max(1, len(row.enterprise_name) - 2))
        return {"enterprise_name": row.enterprise_name[start:start + 2]}
    cut = row.plan_name.find("期") + 1
    return {"plan_name": row.plan_name[cut:cut + 2] or row.plan_name[:2]}


def full_term(rng, row):
    return rng.choice(({"name": row.worker_name}, {"enterprise_name": row.enterprise_name},
                       {"plan_name": row.plan_name}))


def request_for(kind, rng, rows):
    row = rng.choice(rows)
    base = "/enrollmentview/list/?"
    if kind == "查询·无条件":
        return "/enrollmentview/list/"
    if kind == "查询·精确(身份证/手机)":
        return base + urllib.parse.urlencode(rng.choice(({"id_number": row.id_number}, {"mobile": row.mobile})))
    if kind == "查询·短词(1–2字)":
        return base + urllib.parse.urlencode(short_term(rng, row))
    if kind == "查询·全称/3字":
        return base + urllib.parse.urlencode(full_term(rng, row))
    if kind == "详情":
        return "/enrollmentview/show/%d" % row.id
    if kind == "看板":
        return "/dashboard/"
    return rng.choice(REVIEW_LISTS)


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Operator(threading.Thread):
    def __init__(self, number, base_url, rows, deadline, results, lock, seed, think=(1, 3)):
        super().__init__(daemon=True)
        self.think = think  # seconds between an answer and the next request; None: at once (saturation)
        self.account = ACCOUNTS[number % len(ACCOUNTS)]
        self.base_url, self.rows, self.deadline = base_url, rows, deadline
        self.results, self.lock = results, lock
        self.rng = random.Random(seed)
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()),
                                                  NoRedirect)
        self.login_error = None

    def fetch(self, path, data=None):
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        try:
            with self.opener.open(self.base_url + path, data=body, timeout=30) as response:
                return response.status, response.read().decode("utf-8", "replace")
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode("utf-8", "replace")

    def login(self):
        status, html = self.fetch("/login/")
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
        status, html = self.fetch("/login/", {"account_type": "department", "username": self.account,
                                              "password": PASSWORD, "csrf_token": token.group(1) if token else ""})
        if status != 302:
            raise RuntimeError("login of %s answered %s" % (self.account, status))

    def run(self):
        time.sleep(self.rng.uniform(0, 2))  # the operators do not all start in the same instant
        try:
            self.login()
        except Exception as error:  # noqa: BLE001 — reported, counted as an error
            self.login_error = error
            return
        kinds, weights = list(WEIGHTS), list(WEIGHTS.values())
        while time.time() < self.deadline:
            kind = self.rng.choices(kinds, weights)[0]
            path = request_for(kind, self.rng, self.rows)
            started = time.perf_counter()
            try:
                status, html = self.fetch(path)
                error = None if status == 200 else "HTTP %s %s" % (status, path)
                if error is None and "查询超时" in html:
                    error = "timeout notice %s" % path
            except Exception as exc:  # noqa: BLE001 — a refused or timed-out request is an error of the run
                error = "%s %s" % (type(exc).__name__, path)
            elapsed = (time.perf_counter() - started) * 1000
            with self.lock:
                self.results.append((kind, elapsed, error, time.time()))
            if self.think:
                time.sleep(self.rng.uniform(*self.think))


def start_processes(args, tmp):
    env = dict(os.environ, DATABASE_URL=args.url, REDIS_URL="redis://%s:6379/%d" % (HOST, args.redis_db),
               RATELIMIT_STORAGE_URI="redis://%s:6379/%d" % (HOST, args.redis_db + 1),
               AUTH_RATE_LIMIT="100000 per 1 minute", SECRET_KEY="bench-load-secret", APP_VAR_DIR=tmp,
               UPLOAD_FOLDER=os.path.join(tmp, "uploads"), EXPORT_FOLDER=os.path.join(tmp, "exports"))
    env.pop("CELERY_TASK_ALWAYS_EAGER", None)
    processes = []
    for node in range(args.nodes):
        log = open(os.path.join(tmp, "web%d.log" % node), "ab")
        processes.append(subprocess.Popen(
            [os.path.join(BIN, "gunicorn"), *gunicorn_options(args), "-b", "%s:%d" % (HOST, args.port + node),
             "--timeout", "60", "--chdir", args.root, "run:app"],
            env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True))
        log = open(os.path.join(tmp, "worker%d.log" % node), "ab")
        processes.append(subprocess.Popen(
            [os.path.join(BIN, "celery"), "-A", "app.celery_worker", "worker", "-n", "load%d-%d@localhost" % (
                node, os.getpid()), "--concurrency", "1", "-l", "INFO", "--without-mingle", "--without-gossip"],
            env=env, cwd=args.root, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=True))
    return processes


def gunicorn_options(args):
    """Worker options of each web process: `--web-workers` processes; with `--threads` above 1 the gthread worker
    (threads share a process, so a thread waiting for PostgreSQL leaves the CPU to another without another copy
    of the app in memory, and connections are kept alive `--keepalive` seconds between requests)."""
    options = ["-w", str(args.web_workers)]
    if args.threads > 1:
        options += ["-k", "gthread", "--threads", str(args.threads), "--keep-alive", str(args.keepalive)]
    return options


def stop_processes(processes):
    for process in processes:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
    for process in processes:
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)


def wait_ready(port, seconds=90):
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            with urllib.request.urlopen("http://%s:%d/login/" % (HOST, port), timeout=5) as response:
                if response.status == 200:
                    return
        except Exception:  # noqa: BLE001 — not up yet
            time.sleep(0.5)
    raise SystemExit("gunicorn on port %d did not answer within %d s" % (port, seconds))


def report(results, duration, operators):
    def line(label, items):
        times = sorted(t for _k, t, _e, _w in items)
        errors = sum(1 for _k, _t, e, _w in items if e)
        if not times:
            return "%-24s %6d" % (label, 0)
        p95 = times[min(len(times) - 1, int(round(0.95 * len(times))) - 1)]
        return "%-24s %6d %6d %8.0f %8.0f %8.0f %8.1f" % (label, len(times), errors, statistics.median(times), p95,
                                                         times[-1], len(times) / duration)

    print("%-24s %6s %6s %8s %8s %8s %8s" % ("page kind", "reqs", "errors", "median", "p95", "max", "req/s"))
    for kind in WEIGHTS:
        print(line(kind, [r for r in results if r[0] == kind]))
    print(line("ALL", results))
    login_errors = [o.login_error for o in operators if o.login_error]
    errors = [r[2] for r in results if r[2]]
    if login_errors or errors:
        print("errors (first 10):", *(login_errors + errors)[:10], sep="\n  ")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", required=True, help="the bench database (postgresql+psycopg://…)")
    parser.add_argument("--users", type=int, help="simulated operators (default 50; with --saturate 16)")
    parser.add_argument("--saturate", action="store_true",
                        help="closed loop without think time: throughput at saturation")
    parser.add_argument("--duration", type=int, default=60, help="seconds of load after the logins")
    parser.add_argument("--nodes", type=int, default=1, choices=(1, 2), help="web processes (ports) and workers")
    parser.add_argument("--web-workers", type=int, default=2, help="gunicorn workers per web process (README: 2)")
    parser.add_argument("--threads", type=int, default=4,
                        help="threads per gunicorn worker (gthread when > 1; README: 4; 1 = sync worker)")
    parser.add_argument("--keepalive", type=int, default=5, help="gthread: seconds a connection is kept open")
    parser.add_argument("--port", type=int, default=8100)
    parser.add_argument("--redis-db", type=int, default=10)
    parser.add_argument("--root", default=ROOT, help="the checkout whose app is served (e.g. an older commit "
                        "unpacked with git archive, for the figures before a change)")
    args = parser.parse_args()
    if args.users is None:
        args.users = 16 if args.saturate else 50
    args.users = max(1, min(args.users, 64 if args.saturate else 200))
    args.duration = max(5, min(args.duration, 600))

    import tempfile

    rows = sample_values(args.url)
    tmp = tempfile.mkdtemp(prefix="zjpx-load-")
    print("load average at start: %s" % load_average(), flush=True)
    print("app: %s" % args.root)
    print("%d web process(es) × gunicorn %s on ports %s, %d celery worker(s), %d operators (%s), %d s; logs in %s"
          % (args.nodes, " ".join(gunicorn_options(args)), ", ".join(str(args.port + n) for n in range(args.nodes)),
             args.nodes, args.users, "no think time: saturation" if args.saturate else "think 1–3 s",
             args.duration, tmp), flush=True)
    processes = start_processes(args, tmp)
    try:
        for node in range(args.nodes):
            wait_ready(args.port + node)
        results, lock = [], threading.Lock()
        warmup = 5  # logins spread over the first seconds; counted from here
        start = time.time() + warmup
        deadline = start + args.duration
        operators = [Operator(n, "http://%s:%d" % (HOST, args.port + n % args.nodes), rows, deadline, results, lock,
                              seed=n, think=None if args.saturate else (1, 3)) for n in range(args.users)]
        generator_cpu = time.process_time()
        for operator in operators:
            operator.start()
        for operator in operators:
            operator.join(timeout=max(1, deadline - time.time() + 40))
        measured = [r for r in results if r[3] >= start]
        report(measured, args.duration, operators)
        print("load generator CPU: %.1f s of %d s" % (time.process_time() - generator_cpu, args.duration + warmup))
    finally:
        stop_processes(processes)
    print("load average at end: %s" % load_average())


if __name__ == "__main__":
    main()
