"""生成证书 on real Celery worker processes (PostgreSQL + Redis): two workers racing over the same jobs and
sequence, a worker killed mid-job whose job a restarted worker finishes, and a killed pool process.

Each test starts its own `celery worker` processes on a queue of its own, so the shared CI worker never takes
these jobs. Runs where a real worker runs (`.ci/run` stage 5, `make test-pg`): TEST_REAL_WORKER=1 with
TEST_DATABASE_URL on PostgreSQL and CELERY_BROKER_URL on Redis; skipped otherwise.
"""
import datetime
import os
import signal
import subprocess
import sys
import time
import uuid

import pytest
from flask import current_app

from app.extensions import db
from app.models import Certificate, CertificateJob, CertificateSequence
from app.services import certificates as certificate_service
from app.tasks.certificates import generate_certificates
from tests.services.test_certificates import approved_exam

REAL_WORKER = os.environ.get("TEST_REAL_WORKER", "").lower() in ("1", "true", "yes", "on")
ON_PG = os.environ.get("TEST_DATABASE_URL", "").startswith("postgresql")
ON_REDIS = os.environ.get("CELERY_BROKER_URL", "").startswith("redis")
pytestmark = [
    pytest.mark.real_worker,
    pytest.mark.skipif(not (REAL_WORKER and ON_PG and ON_REDIS),
                       reason="需要 PostgreSQL + Redis + 真实 worker（TEST_REAL_WORKER=1，见 .ci/run / make test-pg）"),
]

CELERY = os.path.join(os.path.dirname(sys.executable), "celery")
TIMEOUT = 120


class Worker:
    """One `celery worker` process on the test's queue, with its own log file; killable like a real crash."""

    def __init__(self, name, queue, tmp_path, *, pool="solo", pause=0.0, visibility=3600, beat_every=None):
        self.name = "%s-%s@localhost" % (name, queue)
        self.log_path = tmp_path / ("%s.log" % name)
        self.args = [CELERY, "-A", "app.celery_worker", "worker", "-Q", queue, "-n", self.name, "-l", "INFO",
                     "--pool", pool, "--concurrency", "1", "--without-mingle", "--without-gossip"]
        database = current_app.config["SQLALCHEMY_DATABASE_URI"]  # the tests' own (per xdist process)
        # On PostgreSQL a worker without SECRET_KEY refuses to start: it signs with the tests' key.
        self.env = dict(os.environ, DATABASE_URL=database, APP_VAR_DIR=str(tmp_path),
                        SECRET_KEY=current_app.config["SECRET_KEY"],
                        CERTIFICATE_ISSUE_PAUSE=str(pause), CELERY_VISIBILITY_TIMEOUT=str(visibility))
        if beat_every is not None:  # embedded beat, as `make run` starts it
            self.args += ["-B", "--schedule", str(tmp_path / ("%s-beat" % name))]
            self.env["PUSH_SWEEP_SECONDS"] = str(beat_every)
        self.process = None

    def start(self):
        log = open(self.log_path, "ab")
        self.process = subprocess.Popen(self.args, env=self.env, stdout=log, stderr=subprocess.STDOUT,
                                        stdin=subprocess.DEVNULL, start_new_session=True)
        log.close()
        wait_until(lambda: " ready." in self.log() or self.process.poll() is not None, 60, "worker start")
        assert self.process.poll() is None, "worker exited at start:\n" + self.log()[-3000:]
        return self

    def log(self):
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def pool_children(self):
        out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(self.process.pid)], capture_output=True, text=True)
        return [int(pid) for pid in out.stdout.split()]

    def kill(self):
        """SIGKILL the worker and its pool: no shutdown, no ack, as when the machine loses the process."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(30)

    def stop(self):
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(30)


def wait_until(condition, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError("timed out waiting for %s" % what)


@pytest.fixture
def queue(app, monkeypatch):
    """A queue of this test's own: 生成证书 messages go there, so only this test's workers run them."""
    name = "zjpx-certs-%s" % uuid.uuid4().hex[:8]
    task = generate_certificates._get_current_object()
    monkeypatch.setattr(task, "queue", name, raising=False)  # read by apply_async through its cached options
    monkeypatch.setattr(task, "_exec_options", None)
    yield name
    with app.extensions["celery"].connection_for_write() as conn:
        conn.default_channel.queue_delete(name)


@pytest.fixture
def workers():
    started = []
    yield started
    for worker in started:
        worker.stop()


def job_state(job_id):
    db.session.expire_all()
    job = db.session.get(CertificateJob, job_id)
    return job.status, job.done, job.total


def wait_finished(job_ids, timeout=TIMEOUT):
    wait_until(lambda: all(job_state(j)[0] == "finished" for j in job_ids), timeout, "jobs %s to finish" % job_ids)


def assert_gap_free_and_unique(exams, institution_code, trade="010"):
    """One certificate per 合格 enrollment, numbers unique, serials 1..n of the one shared sequence."""
    db.session.expire_all()
    certificates = db.session.query(Certificate).all()
    wanted = sorted(e for exam in exams for e in certificate_service.passed_enrollment_ids(exam))
    assert sorted(c.enrollment_id for c in certificates) == wanted
    numbers = [c.number for c in certificates]
    assert len(numbers) == len(set(numbers))
    assert sorted(int(n[-5:]) for n in numbers) == list(range(1, len(wanted) + 1))
    sequence = db.session.get(CertificateSequence, (datetime.date.today().year, institution_code, trade))
    assert sequence.last_serial == len(wanted)
    return len(wanted)


def succeeded(worker):
    return worker.log().count("Task app.generate_certificates[")


def test_two_workers_share_jobs_and_sequence_without_duplicates_or_gaps(app, personas, queue, workers, tmp_path):
    p = personas
    exams = [approved_exam(p, count=9, rng_seed=seed) for seed in (11, 12, 13)]  # one institution, one 工种
    for name in ("w1", "w2"):
        workers.append(Worker(name, queue, tmp_path, pause=0.05).start())
    results = []
    for exam in exams:
        job = certificate_service.start_generation(exam, user=p.city)
        # The same job delivered twice more, as a retried task or a double click that reached the broker.
        results += [generate_certificates.apply_async((job.id,)) for _ in range(2)]
    job_ids = [certificate_service.latest_job(exam).id for exam in exams]
    wait_finished(job_ids)
    for result in results:
        result.get(timeout=TIMEOUT)
    issued = assert_gap_free_and_unique(exams, p.inst_a.code)
    assert issued == 3 * 8
    # Both processes ran 生成证书 tasks (9 messages, prefetch 1): the race was real.
    assert succeeded(workers[0]) >= 1 and succeeded(workers[1]) >= 1, (workers[0].log()[-2000:], workers[1].log()[-2000:])

    # A later 生成证书 for the same exam plan creates nothing.
    again = certificate_service.start_generation(exams[0], user=p.city)
    wait_finished([again.id])
    assert job_state(again.id) == ("finished", 8, 8)
    assert assert_gap_free_and_unique(exams, p.inst_a.code) == issued


@pytest.mark.parametrize("crash", ["worker", "pool_process"])
def test_a_job_killed_mid_way_is_finished_after_the_crash(app, personas, queue, workers, tmp_path, crash):
    """Whole worker SIGKILLed, then a new one started (Redis gives the unacked message back after the visibility
    timeout); or only the pool process killed (reject_on_worker_lost requeues at once)."""
    p = personas
    exam = approved_exam(p, count=13, rng_seed=21)  # 12 合格
    pool = "solo" if crash == "worker" else "prefork"
    first = Worker("first", queue, tmp_path, pool=pool, pause=0.4, visibility=4)
    workers.append(first.start())
    job = certificate_service.start_generation(exam, user=p.city)
    wait_until(lambda: job_state(job.id)[1] >= 3, TIMEOUT, "the first certificates")
    # (With the solo pool even an early ack reaches Redis only after the task, so the first variant would pass
    # without acks_late; the pool-process variant is the one that fails without acks_late/reject_on_worker_lost.)
    if crash == "worker":
        first.kill()
    else:
        children = first.pool_children()
        assert children, "prefork worker without a pool process"
        for pid in children:
            os.kill(pid, signal.SIGKILL)
    status, done, total = job_state(job.id)
    assert status == "running" and 3 <= done < total == 12, (status, done, total)

    if crash == "worker":
        # kombu's Redis transport gives unacked messages back at a worker's start and then only every 10th
        # poll (~100 s): start the new worker once the message is older than the visibility timeout.
        time.sleep(5)
        workers.append(Worker("second", queue, tmp_path, pause=0.05, visibility=4).start())
    wait_finished([job.id])
    assert assert_gap_free_and_unique([exam], p.inst_a.code) == 12
    assert job_state(job.id) == ("finished", 12, 12)
    if crash == "worker":
        assert job.task_id and job.task_id in workers[1].log(), "the restarted worker did not run the job"
    else:
        assert "WorkerLostError" in first.log() or "worker lost" in first.log().lower(), first.log()[-3000:]


def test_a_job_whose_message_was_lost_is_queued_again_after_it_goes_stale(app, personas, queue, workers, tmp_path):
    """No progress for CERTIFICATE_JOB_STALE_SECONDS (the broker lost the message): 生成证书 queues the same job."""
    p = personas
    exam = approved_exam(p, count=4, rng_seed=31)
    job = certificate_service.start_generation(exam, user=p.city)  # no worker on the queue yet
    with app.extensions["celery"].connection_for_write() as conn:
        conn.default_channel.queue_purge(queue)  # the message is lost
    assert certificate_service.start_generation(exam, user=p.city).id == job.id  # not stale yet: nothing new
    workers.append(Worker("late", queue, tmp_path).start())
    time.sleep(1)
    assert job_state(job.id)[0] == "pending"
    db.session.get(CertificateJob, job.id).updated_at -= datetime.timedelta(hours=1)
    db.session.commit()
    assert certificate_service.start_generation(exam, user=p.city).id == job.id
    wait_finished([job.id])
    assert assert_gap_free_and_unique([exam], p.inst_a.code) == 3


def test_beat_pushes_pulled_certificates_with_no_one_pressing_push(app, personas, workers, tmp_path):
    """拉取证书 queues the certificates; beat's sweep (here every second) pushes them through a worker."""
    p = personas
    exam = approved_exam(p, count=4, rng_seed=41)
    beat = Worker("beat", "celery", tmp_path, beat_every=1).start()  # the default queue, where beat sends
    workers.append(beat)
    job = certificate_service.start_generation(exam, user=p.city)
    wait_finished([job.id])
    certificate_service.pull(exam, user=p.city)

    def pushed():
        db.session.expire_all()
        return [c.status for c in certificate_service.certificates_of(exam)] == ["pushed"] * 3
    wait_until(pushed, 60, "the sweep to push the certificates")
    assert "Sending due task push-outbox" in beat.log(), beat.log()[-3000:]
