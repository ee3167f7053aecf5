"""证书推送 to 住房和城乡建设行业从业人员培训管理信息系统 (SPEC §6).

The national interface is not public, so pushing goes through an adapter with one stable method,
push(certificate) → PushResult. Certificates wait in an outbox (PushOutbox); each due row is leased,
pushed, and either marked sent (certificate → 证书已推送) or retried later with exponential back-off;
the certificate keeps its attempts and last error. Nothing is lost: a crash leaves the row pending.
"""
import datetime
import json
import urllib.error
import urllib.request
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import or_, select, update
from sqlalchemy.orm import joinedload

from app.extensions import db
from app.models import Certificate, PushOutbox
from app.models.certificate import CERT_STATUS
from app.services import audit, task_queue

PUSH_TASK = "app.push_certificates"
PUSH_SUBJECT = ("PushOutbox", "all")
LEASE_SECONDS = 300  # a worker holding a row longer than this is presumed dead


@dataclass
class PushResult:
    ok: bool
    error: str = None


def payload(certificate):
    worker = certificate.worker
    return {
        "certificateNo": certificate.number, "name": worker.name, "idNumber": worker.id_number,
        "tradeCode": certificate.trade_code, "trade": certificate.trade_label, "skillLevel": certificate.skill_level,
        "skillLevelName": certificate.skill_level_label, "institutionCode": certificate.institution.code,
        "institution": certificate.institution.name, "issueDate": certificate.issue_date.isoformat(),
        "validUntil": certificate.valid_until.isoformat() if certificate.valid_until else None,
    }


class PushAdapter:
    """The stable interface: push one certificate, report success or the error."""

    name = "base"

    def push(self, certificate) -> PushResult:  # pragma: no cover - interface
        raise NotImplementedError


class LocalAdapter(PushAdapter):
    """Embedded default: records the push locally (操作日志) and succeeds."""

    name = "local"

    def push(self, certificate):
        audit.record("push_certificate_local", certificate, detail=json.dumps(payload(certificate), ensure_ascii=False))
        return PushResult(True)


class HttpAdapter(PushAdapter):
    """POSTs the certificate as JSON to a configurable endpoint; 2xx (and no {"success": false}) is success."""

    name = "http"

    def __init__(self, endpoint, token="", timeout=10):
        self.endpoint, self.token, self.timeout = endpoint, token, timeout

    def push(self, certificate):
        if not self.endpoint:
            return PushResult(False, "未配置推送地址（PUSH_ENDPOINT）")
        body = json.dumps(payload(certificate), ensure_ascii=False).encode("utf-8")
        headers = {"Content-Type": "application/json; charset=utf-8"}
        if self.token:
            headers["Authorization"] = "Bearer " + self.token
        request = urllib.request.Request(self.endpoint, data=body, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310 (configured URL)
                text = response.read(65536).decode("utf-8", "replace")
        except urllib.error.HTTPError as error:
            return PushResult(False, "HTTP %d：%s" % (error.code, error.read(500).decode("utf-8", "replace")))
        except (urllib.error.URLError, OSError) as error:
            return PushResult(False, "连接推送接口失败：%s" % getattr(error, "reason", error))
        try:
            answer = json.loads(text) if text.strip() else {}
        except ValueError:
            answer = {}
        if isinstance(answer, dict) and answer.get("success") is False:
            return PushResult(False, str(answer.get("message") or "推送接口返回失败")[:500])
        return PushResult(True)


def get_adapter():
    config = current_app.config
    if config.get("PUSH_ADAPTER", "local") == "http":
        return HttpAdapter(config.get("PUSH_ENDPOINT", ""), config.get("PUSH_TOKEN", ""),
                           config.get("PUSH_TIMEOUT_SECONDS", 10))
    return LocalAdapter()


REVOKED_NOT_PUSHED = "证书已撤销，不再推送"


def _now():
    return datetime.datetime.now().replace(microsecond=0)


def backoff(attempts):
    """Seconds to wait after the n-th failed attempt: base, 2×base, 4×base … capped."""
    config = current_app.config
    base = float(config.get("PUSH_BACKOFF_SECONDS", 60))
    return min(base * (2 ** max(attempts - 1, 0)), float(config.get("PUSH_BACKOFF_MAX_SECONDS", 6 * 3600)))


def enqueue(certificate):
    """Put a certificate in the outbox (again): a failed row becomes pending with a fresh attempt count."""
    row = db.session.execute(select(PushOutbox).where(PushOutbox.certificate_id == certificate.id)).scalar_one_or_none()
    if row is None:
        db.session.add(PushOutbox(certificate_id=certificate.id, status="pending", attempts=0))
    elif row.status == "failed":
        row.status, row.attempts, row.next_attempt_at = "pending", 0, None


def _lease(row_id, now):
    """Claim one due row for this worker (conditional update: two workers never push the same row)."""
    result = db.session.execute(
        update(PushOutbox).where(
            PushOutbox.id == row_id, PushOutbox.status == "pending",
            or_(PushOutbox.next_attempt_at.is_(None), PushOutbox.next_attempt_at <= now),
        ).values(next_attempt_at=now + datetime.timedelta(seconds=LEASE_SECONDS))
        .execution_options(synchronize_session=False))
    db.session.commit()
    return result.rowcount == 1


def process_outbox(*, limit=200, now=None, adapter=None):
    """Push every due outbox row once; returns {"sent": n, "failed": n}."""
    adapter = adapter or get_adapter()
    now = now or _now()
    max_attempts = int(current_app.config.get("PUSH_MAX_ATTEMPTS", 8))
    due = db.session.execute(
        select(PushOutbox.id).where(PushOutbox.status == "pending",
                                    or_(PushOutbox.next_attempt_at.is_(None), PushOutbox.next_attempt_at <= now))
        .order_by(PushOutbox.id).limit(limit)).scalars().all()
    sent = failed = 0
    for row_id in due:
        if not _lease(row_id, now):
            continue
        row = db.session.get(PushOutbox, row_id)
        db.session.refresh(row)
        certificate = db.session.get(Certificate, row.certificate_id)
        if certificate.revoked:  # revoked after 拉取证书: the national system must not receive it as valid
            row.status, row.next_attempt_at, row.last_error = "cancelled", None, REVOKED_NOT_PUSHED
            db.session.commit()
            continue
        try:
            result = adapter.push(certificate)
        except Exception as error:  # noqa: BLE001 — an adapter bug is one failed attempt, not a lost row
            db.session.rollback()
            result = PushResult(False, "推送异常：%s" % error)
        row.attempts += 1
        certificate.push_attempts = (certificate.push_attempts or 0) + 1
        if result.ok:
            row.status, row.sent_at, row.last_error, row.next_attempt_at = "sent", _now(), None, None
            certificate.status, certificate.pushed_at, certificate.last_push_error = "pushed", _now(), None
            if certificate.pulled_at is not None:
                certificate.enrollment.cert_status = CERT_STATUS["pushed"]
            sent += 1
        else:
            row.last_error = certificate.last_push_error = (result.error or "推送失败")[:2000]
            if row.attempts >= max_attempts:
                row.status, row.next_attempt_at = "failed", None
            else:
                row.next_attempt_at = now + datetime.timedelta(seconds=backoff(row.attempts))
            failed += 1
        db.session.commit()
    return {"sent": sent, "failed": failed}


def start_push(certificates=None):
    """Queue (again) the given certificates (or the whole outbox) and start the push task."""
    for certificate in certificates or []:
        if certificate.status != "pushed" and not certificate.revoked and certificate.pulled_at is not None:
            enqueue(certificate)
    message = task_queue.record_unless_waiting(PUSH_TASK, subject=PUSH_SUBJECT)  # one push sweeps the outbox
    db.session.commit()
    task_queue.send(message)


# --- 推送状态 as the certificate list and detail show it -------------------------------------------------------

def push_states(certificate_ids):
    """{certificate id: (certificate, its outbox row or None, state, last push error or None)} in one query;
    the state is one of pushed, pending, retrying, failed, none, cancelled."""
    rows = db.session.execute(
        select(Certificate, PushOutbox).outerjoin(PushOutbox, PushOutbox.certificate_id == Certificate.id)
        .options(joinedload(Certificate.institution)).where(Certificate.id.in_(certificate_ids))).all()
    return {certificate.id: (certificate, outbox, *push_state(certificate, outbox)) for certificate, outbox in rows}


def push_state(certificate, outbox):
    """(state, last push error or None) of a certificate and its outbox row (may be None)."""
    error = certificate.last_push_error or (outbox.last_error if outbox is not None else None)
    if certificate.status == "pushed" or (outbox is not None and outbox.status == "sent"):
        return "pushed", None
    if outbox is None:
        return "none", error
    if outbox.status == "cancelled":
        return "cancelled", None
    if outbox.status == "failed":
        return "failed", error
    return ("retrying" if outbox.attempts else "pending"), error
