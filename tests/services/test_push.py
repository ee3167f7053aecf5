"""证书推送 (SPEC §6): outbox, retries with back-off, per-certificate error, status only on success;
the HTTP adapter against a local test server that fails some calls."""
import datetime
import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from app.extensions import db
from app.models import AuditLog, Certificate, Enrollment, PushOutbox
from app.services import certificates as certificate_service
from app.services import push as push_service
from app.services.push import HttpAdapter, LocalAdapter, PushAdapter, PushResult
from tests.services.test_certificates import approved_exam


@pytest.fixture
def pulled(personas):
    """Three pulled certificates waiting in the outbox."""
    exam = approved_exam(personas, count=4)
    certificate_service.start_generation(exam, user=personas.city)
    certificate_service.pull(exam, user=personas.city)
    return exam


class Flaky(PushAdapter):
    """Fails the first `failures` calls per certificate number."""

    def __init__(self, failures):
        self.failures, self.calls = failures, {}

    def push(self, certificate):
        n = self.calls[certificate.number] = self.calls.get(certificate.number, 0) + 1
        return PushResult(True) if n > self.failures else PushResult(False, "国家系统繁忙（第%d次）" % n)


def cert_statuses(exam):
    db.session.expire_all()
    return sorted((c.status, c.enrollment.cert_status) for c in certificate_service.certificates_of(exam))


def test_local_adapter_records_and_marks_pushed(pulled):
    result = push_service.process_outbox(adapter=LocalAdapter())
    assert result == {"sent": 3, "failed": 0}
    assert cert_statuses(pulled) == [("pushed", "证书已推送")] * 3
    assert db.session.query(AuditLog).filter_by(action="push_certificate_local").count() == 3
    assert push_service.process_outbox(adapter=LocalAdapter()) == {"sent": 0, "failed": 0}  # nothing twice


def test_failures_back_off_then_succeed(app, pulled):
    adapter = Flaky(failures=2)
    now = datetime.datetime(2030, 1, 1, 8, 0, 0)
    assert push_service.process_outbox(adapter=adapter, now=now) == {"sent": 0, "failed": 3}
    assert cert_statuses(pulled) == [("generated", "证书已生成未推送")] * 3  # unchanged on failure
    rows = db.session.query(PushOutbox).all()
    base = app.config["PUSH_BACKOFF_SECONDS"]
    assert {r.next_attempt_at for r in rows} == {now + datetime.timedelta(seconds=base)}
    assert all(c.last_push_error == "国家系统繁忙（第1次）" and c.push_attempts == 1
               for c in db.session.query(Certificate))
    # not due yet: nothing is tried
    assert push_service.process_outbox(adapter=adapter, now=now + datetime.timedelta(seconds=base - 1)) == \
        {"sent": 0, "failed": 0}
    later = now + datetime.timedelta(seconds=base)
    assert push_service.process_outbox(adapter=adapter, now=later) == {"sent": 0, "failed": 3}
    db.session.expire_all()
    assert {r.next_attempt_at for r in db.session.query(PushOutbox)} == {later + datetime.timedelta(seconds=2 * base)}
    assert push_service.process_outbox(adapter=adapter, now=later + datetime.timedelta(seconds=2 * base)) == \
        {"sent": 3, "failed": 0}
    assert cert_statuses(pulled) == [("pushed", "证书已推送")] * 3
    db.session.expire_all()
    assert all(c.push_attempts == 3 and c.last_push_error is None for c in db.session.query(Certificate))


def test_gives_up_after_max_attempts_and_can_be_requeued(app, pulled, monkeypatch):
    monkeypatch.setitem(app.config, "PUSH_MAX_ATTEMPTS", 2)
    adapter = Flaky(failures=5)
    now = datetime.datetime(2030, 1, 1)
    for step in range(3):
        push_service.process_outbox(adapter=adapter, now=now + datetime.timedelta(days=step))
    db.session.expire_all()
    assert {r.status for r in db.session.query(PushOutbox)} == {"failed"}
    assert {r.attempts for r in db.session.query(PushOutbox)} == {2}
    push_service.enqueue(certificate_service.certificates_of(pulled)[0])
    db.session.commit()
    assert sorted(r.status for r in db.session.query(PushOutbox)) == ["failed", "failed", "pending"]


def test_adapter_exception_is_one_failed_attempt(pulled):
    class Broken(PushAdapter):
        def push(self, certificate):
            raise RuntimeError("boom")

    assert push_service.process_outbox(adapter=Broken()) == {"sent": 0, "failed": 3}
    db.session.expire_all()
    assert all("boom" in c.last_push_error for c in db.session.query(Certificate))


def test_a_leased_row_is_not_pushed_twice(pulled):
    now = datetime.datetime(2030, 1, 1)
    row = db.session.query(PushOutbox).first()
    assert push_service._lease(row.id, now)
    assert not push_service._lease(row.id, now)  # a second worker cannot claim it
    assert push_service.process_outbox(adapter=LocalAdapter(), now=now)["sent"] == 2


class _Handler(BaseHTTPRequestHandler):
    calls = []
    fail_every_other = True

    def do_POST(self):  # noqa: N802
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        _Handler.calls.append((body, self.headers.get("Authorization")))
        if _Handler.fail_every_other and len(_Handler.calls) % 2 == 1:
            self.send_response(503)
            self.end_headers()
            self.wfile.write("服务暂不可用".encode())
            return
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(json.dumps({"success": True}).encode())

    def log_message(self, *args):
        pass


@pytest.fixture
def national_server():
    _Handler.calls = []
    server = HTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield "http://127.0.0.1:%d/certificates" % server.server_port
    server.shutdown()
    server.server_close()


def test_http_adapter_against_a_flaky_local_server(app, pulled, national_server, monkeypatch):
    monkeypatch.setitem(app.config, "PUSH_ADAPTER", "http")
    monkeypatch.setitem(app.config, "PUSH_ENDPOINT", national_server)
    monkeypatch.setitem(app.config, "PUSH_TOKEN", "t0ken")
    adapter = push_service.get_adapter()
    assert isinstance(adapter, HttpAdapter)
    now = datetime.datetime(2030, 1, 1)
    first = push_service.process_outbox(now=now)
    assert first == {"sent": 1, "failed": 2}  # calls 1 and 3 answered 503
    db.session.expire_all()
    errors = [c.last_push_error for c in db.session.query(Certificate) if c.status != "pushed"]
    assert len(errors) == 2 and all(e.startswith("HTTP 503") for e in errors)
    second = push_service.process_outbox(now=now + datetime.timedelta(days=1))
    third = push_service.process_outbox(now=now + datetime.timedelta(days=2))
    assert first["sent"] + second["sent"] + third["sent"] == 3
    assert cert_statuses(pulled) == [("pushed", "证书已推送")] * 3
    body, auth = _Handler.calls[0]
    assert auth == "Bearer t0ken" and body["certificateNo"] and body["name"] and body["idNumber"]


def test_http_adapter_unreachable_and_unconfigured(pulled):
    cert = certificate_service.certificates_of(pulled)[0]
    assert not HttpAdapter("").push(cert).ok
    result = HttpAdapter("http://127.0.0.1:9/none", timeout=2).push(cert)
    assert not result.ok and "连接推送接口失败" in result.error


def test_push_task_runs_the_outbox(pulled):
    from app.tasks.certificates import push_certificates

    assert push_certificates.delay().get() == {"sent": 3, "failed": 0}
    assert db.session.query(Enrollment).filter_by(cert_status="证书已推送").count() == 3


def test_beat_sweeps_the_outbox_with_the_push_task(app, pulled):
    """The periodic entry runs the push task every PUSH_SWEEP_SECONDS: due rows go out, rows in back-off wait."""
    celery = app.extensions["celery"]
    entry = celery.conf.beat_schedule["push-outbox"]
    assert entry["schedule"] == app.config["PUSH_SWEEP_SECONDS"] > 0
    waiting = db.session.query(PushOutbox).order_by(PushOutbox.id).first()
    waiting.next_attempt_at = datetime.datetime.now() + datetime.timedelta(hours=1)
    db.session.commit()
    assert celery.tasks[entry["task"]].apply().get() == {"sent": 2, "failed": 0}
    db.session.expire_all()
    assert db.session.get(PushOutbox, waiting.id).status == "pending"


def test_a_certificate_revoked_after_pull_is_never_pushed(personas, pulled):
    first, second, _ = certificate_service.certificates_of(pulled)
    certificate_service.revoke(first, "代考", user=personas.city)
    # revoked while its row was already leased/queued elsewhere: the sender checks again before pushing
    second.revoked = True
    db.session.commit()
    adapter = Flaky(failures=0)
    assert push_service.process_outbox(adapter=adapter) == {"sent": 1, "failed": 0}
    assert first.number not in adapter.calls and second.number not in adapter.calls
    db.session.expire_all()
    rows = {r.certificate_id: r for r in db.session.query(PushOutbox)}
    assert (rows[first.id].status, rows[first.id].last_error) == ("cancelled", push_service.REVOKED_NOT_PUSHED)
    assert rows[second.id].status == "cancelled" and db.session.get(Certificate, second.id).status == "generated"


def test_push_states_name_each_certificate_s_state_and_last_error(app, pulled):
    """推送状态 for the list and detail (one query): none → pending → retrying with its error → pushed; a revoked
    certificate's cancelled row; a certificate never pulled has no outbox row."""
    certificates = certificate_service.certificates_of(pulled)
    ids = [c.id for c in certificates]
    assert {state for _c, _o, state, _e in push_service.push_states(ids).values()} == {"pending"}
    push_service.process_outbox(adapter=Flaky(failures=1), now=datetime.datetime(2030, 1, 1))
    db.session.expire_all()
    states = push_service.push_states(ids)
    assert {(state, error) for _c, _o, state, error in states.values()} == {("retrying", "国家系统繁忙（第1次）")}
    push_service.process_outbox(adapter=LocalAdapter(), now=datetime.datetime(2030, 2, 1))
    db.session.expire_all()
    assert {state for _c, _o, state, error in push_service.push_states(ids).values()} == {"pushed"}
    assert push_service.push_states([]) == {}
    lonely = Certificate(status="generated")
    assert push_service.push_state(lonely, None) == ("none", None)
    assert push_service.push_state(lonely, PushOutbox(status="cancelled", attempts=0)) == ("cancelled", None)
    assert push_service.push_state(lonely, PushOutbox(status="failed", attempts=5, last_error="超时")) == ("failed", "超时")
