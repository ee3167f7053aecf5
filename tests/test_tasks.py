"""The Celery round trip: eager on the embedded default, through the broker to a real worker in CI.

With TEST_REAL_WORKER=1 (set by `.ci/run` and `make test-pg`) the task travels through the broker
(Redis) to a separately started `celery -A app.celery_worker worker`, which runs it against the
same database; without a worker, `.get(timeout=...)` raises and the test fails.
"""
import os

import pytest
from celery.exceptions import TimeoutError as CeleryTimeoutError
from celery.result import EagerResult

from app.tasks.jobs import ping

REAL_WORKER = os.environ.get("TEST_REAL_WORKER", "").lower() in ("1", "true", "yes", "on")
needs_real_worker = pytest.mark.skipif(not REAL_WORKER, reason="需要真实 Celery worker（TEST_REAL_WORKER=1，见 .ci/run）")
pytestmark = pytest.mark.real_worker


def test_config_follows_test_real_worker(app):
    celery = app.extensions["celery"]
    assert app.config["CELERY_TASK_ALWAYS_EAGER"] is (not REAL_WORKER)
    assert celery.conf.task_always_eager is (not REAL_WORKER)
    assert celery.conf.task_acks_late is True
    if REAL_WORKER:
        # The broker and the result store are the ones the worker was started with, not the embedded files.
        assert celery.conf.broker_url == os.environ["CELERY_BROKER_URL"]
        assert celery.conf.result_backend == os.environ["CELERY_RESULT_BACKEND"]


def test_ping_round_trip(app):
    with app.app_context():
        result = ping.delay(7)
        assert result.get(timeout=60) == 7
        if REAL_WORKER:
            assert not isinstance(result, EagerResult), "task ran in-process, not on the worker"
            assert result.successful()
        else:
            assert isinstance(result, EagerResult)


@needs_real_worker
def test_a_worker_answers_the_control_ping(app):
    replies = app.extensions["celery"].control.inspect(timeout=10).ping() or {}
    assert replies, "no Celery worker answered on %s" % os.environ.get("CELERY_BROKER_URL")


@needs_real_worker
def test_get_times_out_when_no_worker_consumes(app):
    """What the round trip would do with the worker missing: a queue nobody listens on never answers."""
    celery = app.extensions["celery"]
    queue = "zjpx-test-nobody-listens-%d" % os.getpid()
    with app.app_context():
        result = ping.apply_async((7,), queue=queue)
        try:
            with pytest.raises(CeleryTimeoutError):
                result.get(timeout=3)
        finally:
            result.forget()
            with celery.connection_for_write() as conn:
                conn.default_channel.queue_delete(queue)
