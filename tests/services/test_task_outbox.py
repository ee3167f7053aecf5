"""The task outbox: a broker that is down never takes a page down, and what was recorded meanwhile is sent exactly
once when the broker is back (生成证书, 导出, 看板重新统计, 推送), plus the sweep of jobs that made no progress.

"Down" is a Redis URL on a closed port (connection refused); "back" is an embedded SQLAlchemy broker in a file of the
test's own, whose kombu_message table shows exactly what was sent. No worker consumes it: the tests count messages.
"""
import base64
import contextlib
import datetime
import json
import re
import sqlite3

import pytest
from flask import current_app
from kombu import pools
from sqlalchemy import func, select

from app.extensions import celery, db
from app.models import CertificateJob, ExportJob, QueuedTask, StatRefresh, SystemSetting
from app.services import certificates as certificate_service
from app.services import dashboard as dashboard_service
from app.services import exports as export_service
from app.services import task_queue
from app.tasks import broker_transport_options
from app.tasks.jobs import sweep_background_jobs
from tests.services.test_certificates import approved_exam

DOWN = "redis://127.0.0.1:1/0"
NOTICE = "后台任务服务暂不可用，任务已记录，将自动重试"


def _switch(url, eager):
    """Point the shared Celery app at another broker, dropping the pooled connections of the previous one.

    Celery prefers the environment's CELERY_BROKER_URL (set where a real worker runs) to conf.broker_url;
    the read/write URLs win over both, so they are what is switched. None restores the configured broker.
    """
    celery.conf.broker_write_url = celery.conf.broker_read_url = url
    celery.conf.task_always_eager = eager
    celery.conf.broker_transport_options = broker_transport_options(url or celery.conf.broker_url, current_app.config)
    celery.amqp._producer_pool = None
    celery._pool = None
    pools.reset()  # kombu's process-wide producer pools are keyed by broker: drop them, the next send builds anew


@pytest.fixture
def broker(app, tmp_path):
    """broker.down() / broker.up(); broker.sent() lists (task, args) of the messages the 'up' broker holds."""
    saved = (None, celery.conf.task_always_eager, celery.conf.broker_transport_options)
    path = tmp_path / "broker.db"

    class Broker:
        def down(self):
            _switch(DOWN, False)

        def up(self):
            _switch("sqla+sqlite:///%s" % path, False)

        def eager(self):
            """Back, with tasks run in-process as the other tests run them (no worker in this process)."""
            _switch(saved[0], True)

        def sent(self):
            if not path.exists():
                return []
            with contextlib.closing(sqlite3.connect(path)) as conn:
                payloads = [row[0] for row in conn.execute("select payload from kombu_message order by id")]
            messages = []
            for payload in payloads:
                message = json.loads(payload)
                body = json.loads(base64.b64decode(message["body"]))
                messages.append((message["headers"]["task"], body[0]))
            return messages

    yield Broker()
    _switch(saved[0], saved[1])
    celery.conf.broker_transport_options = saved[2]


def unsent():
    return db.session.execute(select(func.count(QueuedTask.id)).where(QueuedTask.sent_at.is_(None))).scalar()


def sweep():
    db.session.expire_all()
    result = sweep_background_jobs.run()
    db.session.expire_all()
    return result


def test_transport_options_only_where_the_transport_has_them(app):
    config = app.config
    assert broker_transport_options("sqla+sqlite:////tmp/x.db", config) == {}
    assert broker_transport_options("sqla+postgresql://u@h/db", config) == {}
    assert broker_transport_options("amqp://guest@localhost//", config) == {}
    redis = broker_transport_options("redis://127.0.0.1:6379/0", config)
    assert redis["visibility_timeout"] == config["CELERY_VISIBILITY_TIMEOUT"]
    assert broker_transport_options("rediss://h:6380/0", config)["visibility_timeout"]


def test_generate_while_the_broker_is_down_is_sent_once_when_it_is_back(personas, login, broker):
    exam = approved_exam(personas)
    client = login(personas.city)
    broker.down()
    response = client.post("/scores/exam/%d/generate" % exam.id)
    assert response.status_code == 302
    page = client.get("/scores/exam/%d" % exam.id)
    assert page.status_code == 200
    assert NOTICE in page.text and 'id="job-queue-notice"' in page.text
    job = db.session.execute(select(CertificateJob).where(CertificateJob.exam_plan_id == exam.id)).scalar_one()
    assert job.status == "pending" and unsent() == 1
    assert client.post("/scores/exam/%d/generate" % exam.id).status_code == 302  # a second click: same job
    assert db.session.execute(select(func.count(CertificateJob.id))).scalar() == 1 and unsent() == 1
    assert sweep()["sent"] == 0 and unsent() == 1  # still down: kept for the next sweep

    broker.up()
    assert sweep()["sent"] == 1
    assert broker.sent() == [("app.generate_certificates", [job.id])]
    sweep()
    assert broker.sent() == [("app.generate_certificates", [job.id])], "sent more than once"
    assert unsent() == 0 and 'id="job-queue-notice"' not in client.get("/scores/exam/%d" % exam.id).text


def test_a_message_is_claimed_once_however_many_send_it(personas, broker):
    broker.up()
    message = task_queue.record("app.ping", 3, subject=("Test", 1))
    db.session.commit()
    assert task_queue.send(message.id) is True
    assert task_queue.send(message.id) is True  # already sent: claimed by nobody the second time
    assert broker.sent() == [("app.ping", [3])]


def test_large_export_while_the_broker_is_down(personas, login, broker, world):
    db.session.get(SystemSetting, "export_sync_max_rows").value = "2"
    db.session.commit()
    client = login(personas.county)
    broker.down()
    response = client.post("/enrollmentview/export", data={})
    assert response.status_code == 302
    job_id = int(re.search(r"/exports/(\d+)", response.headers["Location"]).group(1))
    status = client.get("/exports/%d" % job_id)
    assert status.status_code == 200 and NOTICE in status.text and "排队中" in status.text
    broker.up()
    sweep()
    assert broker.sent() == [("app.export_enrollees", [job_id])]
    assert 'id="export-queue-notice"' not in client.get("/exports/%d" % job_id).text


@pytest.fixture
def world(personas):
    from tests.views.test_enrollee_screens import build_enrollee_world

    return build_enrollee_world(personas)


def test_dashboard_shows_the_last_statistics_when_a_refresh_cannot_be_queued(personas, login, broker):
    client = login(personas.county)
    assert client.get("/dashboard/").status_code == 200  # first visit builds the statistics inline
    meta = db.session.get(StatRefresh, dashboard_service.REFRESH_KEY)
    meta.refreshed_at = datetime.datetime.now().replace(microsecond=0) - datetime.timedelta(hours=3)
    db.session.commit()
    shown = meta.refreshed_at.strftime("%Y-%m-%d %H:%M")
    broker.down()
    page = client.get("/dashboard/")
    assert page.status_code == 200
    assert NOTICE in page.text and shown in page.text and 'id="stats-queue-notice"' in page.text
    refresh = client.post("/dashboard/refresh", follow_redirects=True)
    assert refresh.status_code == 200 and NOTICE in refresh.text
    assert unsent() == 1  # one waiting refresh, however often the page is opened
    broker.up()
    sweep()
    assert broker.sent() == [("app.refresh_dashboard_stats", [])]


def test_push_while_the_broker_is_down_waits_in_the_outbox(personas, login, broker):
    exam = approved_exam(personas)
    certificate_service.start_generation(exam, user=personas.city)
    certificate_service.pull(exam, user=personas.city)
    client = login(personas.city)
    broker.down()
    page = client.post("/scores/exam/%d/push" % exam.id, follow_redirects=True)
    assert page.status_code == 200 and NOTICE in page.text
    client.post("/scores/exam/%d/push" % exam.id)
    assert unsent() == 1
    broker.up()
    sweep()
    assert broker.sent() == [("app.push_certificates", [])]


def test_the_sweep_resends_jobs_that_made_no_progress(personas, broker):
    exam = approved_exam(personas)
    broker.up()
    certificate_service.start_generation(exam, user=personas.city)  # sent; no worker ever takes it
    export = ExportJob(user_id=personas.county.id, kind=export_service.JOB_KIND, filters="{}", status="pending",
                       progress=0, rows=0)
    db.session.add(export)
    db.session.commit()
    assert sweep() == {"sent": 0, "certificate_jobs": 0, "export_jobs": 0, "dashboard": 0}
    long_ago = datetime.datetime.now() - datetime.timedelta(hours=2)
    job = db.session.execute(select(CertificateJob)).scalar_one()
    db.session.execute(CertificateJob.__table__.update().values(updated_at=long_ago))
    db.session.execute(ExportJob.__table__.update().values(updated_at=long_ago))
    db.session.commit()
    assert sweep() == {"sent": 0, "certificate_jobs": 1, "export_jobs": 1, "dashboard": 0}
    assert broker.sent() == [("app.generate_certificates", [job.id]), ("app.generate_certificates", [job.id]),
                             ("app.export_enrollees", [export.id])]
    assert sweep()["certificate_jobs"] == 0, "a re-sent job counts as fresh again"
    finished = db.session.get(CertificateJob, job.id)
    assert finished.status == "pending" and not certificate_service.is_stale(finished)
