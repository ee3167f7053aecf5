"""The worker starts the way `make run` and the README start it, on each broker, and takes a task.

`make run`: `flask prepare-broker`, then `celery worker --pool=solo -B` on the embedded SQLAlchemy broker (a file);
production: the same worker on Redis. A worker that cannot start (a transport option its broker refuses, two
processes racing to create the queue) fails here, not on a user's machine. Real processes, no eager tasks.
"""
import os
import socket
import subprocess
import sys
import time
import uuid

import pytest

BIN = os.path.dirname(sys.executable)
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REDIS = os.environ.get("CELERY_BROKER_URL", "") if os.environ.get("CELERY_BROKER_URL", "").startswith("redis") \
    else "redis://127.0.0.1:6379/7"


def redis_answers():
    host_port = REDIS.split("://", 1)[1].split("/", 1)[0]
    host, _, port = host_port.rpartition("@")[2].partition(":")
    try:
        with socket.create_connection((host, int(port or 6379)), timeout=1):
            return True
    except OSError:
        return False


def wait_until(predicate, seconds, what):
    deadline = time.time() + seconds
    while not predicate():
        assert time.time() < deadline, "timed out waiting for " + what
        time.sleep(0.3)


class Product:
    """A var folder of its own, migrated like `make db`, and the processes started on it."""

    def __init__(self, tmp_path, broker=None):
        self.var = tmp_path
        self.env = dict(os.environ, APP_VAR_DIR=str(tmp_path), PYTHONPATH=ROOT, TASK_SWEEP_SECONDS="2",
                        PUSH_SWEEP_SECONDS="3")
        for name in ("DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL", "CELERY_RESULT_BACKEND", "APP_CONFIG",
                     "CELERY_TASK_ALWAYS_EAGER"):
            self.env.pop(name, None)
        if broker:
            self.env["CELERY_BROKER_URL"] = broker
        self.processes = []

    def flask(self, *args):
        done = subprocess.run([os.path.join(BIN, "flask"), "--app", "run", *args], env=self.env, cwd=ROOT,
                              capture_output=True, text=True, timeout=180)
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout

    def worker(self, *extra):
        log = self.var / ("worker-%d.log" % len(self.processes))
        with open(log, "wb") as out:
            process = subprocess.Popen(
                [os.path.join(BIN, "celery"), "-A", "app.celery_worker", "worker", "--loglevel=INFO",
                 "--concurrency=1", "--pool=solo", *extra],
                env=self.env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                start_new_session=True)
        self.processes.append(process)
        text = lambda: log.read_text(errors="replace")  # noqa: E731
        wait_until(lambda: " ready." in text() or process.poll() is not None, 90, "the worker's ready line")
        assert process.poll() is None, "the worker exited at start:\n" + text()[-3000:]
        return process, text

    def send_ping(self, value, queue=None):
        code = ("from app import create_app\napp = create_app()\nwith app.app_context():\n"
                "    from app.tasks.jobs import ping\n    ping.apply_async((%d,)%s)\n"
                % (value, ", queue=%r" % queue if queue else ""))
        done = subprocess.run([sys.executable, "-c", code], env=self.env, cwd=ROOT, capture_output=True, text=True,
                              timeout=120)
        assert done.returncode == 0, done.stderr

    def stop(self):
        for process in self.processes:
            if process.poll() is None:
                os.killpg(process.pid, 15)
        for process in self.processes:
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, 9)


@pytest.fixture
def product(tmp_path):
    made = []

    def make(broker=None):
        made.append(Product(tmp_path, broker))
        return made[-1]

    yield make
    for item in made:
        item.stop()


def assert_clean(log):
    assert "CRITICAL" not in log and "Traceback" not in log, log[-3000:]


@pytest.mark.parametrize("prepared", [True, False], ids=["as-make-run", "worker-alone"])
def test_worker_with_beat_on_the_embedded_broker_as_make_run_starts_it(product, prepared):
    """`make run` prepares the broker first; a worker started alone on a fresh folder prepares it itself."""
    app = product()
    app.flask("db", "upgrade")
    if prepared:
        assert "embedded broker ready" in app.flask("prepare-broker")
    _worker, log = app.worker("-B", "--schedule", str(app.var / "celerybeat-schedule"))
    app.send_ping(41)
    wait_until(lambda: "] succeeded in" in log() and "app.ping[" in log(), 60, "the ping on the embedded broker")
    wait_until(lambda: "app.sweep_background_jobs[" in log(), 60, "beat's sweep of the task outbox")
    wait_until(lambda: "app.push_certificates[" in log(), 90, "beat's sweep of the push outbox")
    assert_clean(log())
    assert "sqla+sqlite" in log()


@pytest.mark.skipif(not redis_answers(), reason="Redis 未运行（%s）" % REDIS)
def test_worker_on_redis_takes_a_task(product):
    app = product(REDIS)
    app.flask("db", "upgrade")
    queue = "zjpx-start-%s" % uuid.uuid4().hex[:8]  # the test's own queue: a shared CI worker never takes it
    _worker, log = app.worker("-Q", queue, "-n", "%s@localhost" % queue, "--without-mingle", "--without-gossip")
    app.send_ping(42, queue=queue)
    wait_until(lambda: "app.ping[" in log() and "succeeded" in log(), 60, "the ping on Redis")
    assert_clean(log())
    assert "redis://" in log()
