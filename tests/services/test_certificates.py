"""生成证书 / 拉取证书 / 撤销 (SPEC §5 steps 9–10, §6 证书编号): only after 审核通过, idempotent, resumable,
numbers unique and gap-free per (year, 机构代码, 工种) — also with two threads on PostgreSQL."""
import datetime
import io
import os
import random
import threading

import pytest
from openpyxl import load_workbook

from app.extensions import db
from app.models import Certificate, CertificateJob, CertificateSequence, Enrollment, PushOutbox
from app.services import ServiceError, review
from app.services import certificates as certificate_service
from app.services import scores as score_service
from tests.exam_helpers import ticketed_exam


def approved_exam(p, *, count=5, rng_seed=1, trade="010", state="approved"):
    """An approved exam plan of inst_a with `count` candidates, scores imported (all but the 2nd 合格) and
    the score report moved to `state`."""
    exam, _roster = ticketed_exam(p, count, random.Random(rng_seed), trade=trade)
    wb = load_workbook(io.BytesIO(score_service.build_template(exam)))
    ws = wb["成绩"]
    for row in range(2, count + 2):
        ws.cell(row=row, column=4, value=50 if row == 3 else 75)
        ws.cell(row=row, column=5, value=80)
    out = io.BytesIO()
    wb.save(out)
    score_service.import_scores(exam, out.getvalue(), "s.xlsx", user=p.inst_a_user)
    report = score_service.report_of(exam)
    path = {"draft": [], "submitted": ["submit"], "accepted": ["submit", "accept"],
            "approved": ["submit", "accept", "approve"]}[state]
    for action in path:
        review.move(report, action, user=p.inst_a_user if action == "submit" else p.city)
    return exam


def serials(exam=None):
    query = db.session.query(Certificate)
    if exam is not None:
        query = query.filter_by(exam_plan_id=exam.id)
    return sorted(int(c.number[-5:]) for c in query)


@pytest.mark.parametrize("state", ["draft", "submitted", "accepted"])
def test_generation_refused_until_scores_approved(personas, state):
    exam = approved_exam(personas, count=2, state=state)
    assert not certificate_service.can_generate(exam)
    with pytest.raises(ServiceError, match="成绩审核通过后才能生成证书"):
        certificate_service.start_generation(exam, user=personas.city)
    assert db.session.query(CertificateJob).count() == 0


def test_only_the_reviewing_department_generates(personas):
    exam = approved_exam(personas, count=2)
    for user in (personas.inst_a_user, personas.other_city, personas.county):
        with pytest.raises(ServiceError, match="主管部门"):
            certificate_service.start_generation(exam, user=user)


def test_generate_numbers_and_rerun_creates_nothing(personas):
    p = personas
    exam = approved_exam(p, count=5)
    job = certificate_service.start_generation(exam, user=p.city)
    db.session.refresh(job)
    assert (job.status, job.total, job.done) == ("finished", 4, 4)
    certs = certificate_service.certificates_of(exam)
    year = datetime.date.today().year % 100
    assert len(certs) == 4
    assert all(len(c.number) == 17 and c.number.startswith("%02d%s010" % (year, p.inst_a.code)) for c in certs)
    assert serials(exam) == [1, 2, 3, 4]
    # the 不合格 candidate has no certificate
    passed_ids = set(certificate_service.passed_enrollment_ids(exam))
    assert {c.enrollment_id for c in certs} == passed_ids and len(passed_ids) == 4
    # a second job and a direct re-run create nothing
    job2 = certificate_service.start_generation(exam, user=p.city)
    assert job2.id != job.id
    assert certificate_service.run_job(job2.id) == 0
    assert db.session.query(Certificate).count() == 4
    assert db.session.get(CertificateSequence, (datetime.date.today().year, p.inst_a.code, "010")).last_serial == 4


def test_resume_after_a_crash_finishes_without_duplicates_or_gaps(personas):
    p = personas
    exam = approved_exam(p, count=5)
    plan = exam.plan
    # a worker died after issuing the first certificate: the job is still "running"
    job = CertificateJob(exam_plan_id=exam.id, status="running", total=4, done=1)
    db.session.add(job)
    first = certificate_service.passed_enrollment_ids(exam)[0]
    certificate_service.issue_batch(exam, plan, [first], datetime.date.today())
    db.session.commit()
    assert certificate_service.run_job(job.id) == 3
    assert serials(exam) == [1, 2, 3, 4]
    assert db.session.get(CertificateJob, job.id).status == "finished"


@pytest.mark.parametrize("lost_races, finishes", [(2, True), (3, False)])
def test_a_batch_that_loses_a_race_is_retried_a_bounded_number_of_times(personas, monkeypatch, lost_races, finishes):
    from sqlalchemy.exc import IntegrityError

    p = personas
    exam = approved_exam(p, count=5)
    job = CertificateJob(exam_plan_id=exam.id, status="pending", total=0, done=0)
    db.session.add(job)
    db.session.commit()
    real_issue, attempts = certificate_service.issue_batch, []

    def racing(*args):
        attempts.append(1)
        if len(attempts) <= lost_races:
            real_issue(*args)  # half written, then the other worker's row wins: everything is rolled back
            raise IntegrityError("INSERT", {}, Exception("uq_certificate_enrollment_exam"))
        return real_issue(*args)

    monkeypatch.setattr(certificate_service, "issue_batch", racing)
    if finishes:
        assert certificate_service.run_job(job.id) == 4
        assert serials(exam) == [1, 2, 3, 4] and db.session.get(CertificateJob, job.id).status == "finished"
    else:
        with pytest.raises(IntegrityError):
            certificate_service.run_job(job.id)
        assert serials(exam) == [] and len(attempts) == certificate_service.ISSUE_ATTEMPTS


def test_numbering_continues_per_institution_and_trade_and_rolled_back_numbers_are_reused(personas):
    p = personas
    a = approved_exam(p, count=3, rng_seed=2)
    b = approved_exam(p, count=3, rng_seed=3)  # same institution and 工种: one sequence
    c = approved_exam(p, count=2, rng_seed=4, trade="020")  # another 工种: its own sequence
    # a rolled-back insert gives its number back
    certificate_service.issue_batch(a, a.plan, certificate_service.passed_enrollment_ids(a)[:1], datetime.date.today())
    db.session.rollback()
    for exam in (a, b, c):
        certificate_service.start_generation(exam, user=p.city)
    assert serials(a) + serials(b) == [1, 2, 3, 4]
    assert serials(c) == [1]
    numbers = [x.number for x in db.session.query(Certificate)]
    assert len(numbers) == len(set(numbers))


def test_pull_attaches_certificates_and_sets_status(personas):
    p = personas
    exam = approved_exam(p, count=3)
    with pytest.raises(ServiceError, match="证书生成完成后"):
        certificate_service.pull(exam, user=p.city)
    certificate_service.start_generation(exam, user=p.city)
    statuses = lambda: sorted(e.cert_status for e in db.session.query(Enrollment).filter_by(exam_plan_id=exam.id))  # noqa: E731
    db.session.expire_all()
    assert statuses() == ["证书未生成"] * 3  # generated but not pulled yet
    with pytest.raises(ServiceError):
        certificate_service.pull(exam, user=p.inst_a_user)
    assert certificate_service.pull(exam, user=p.city) == 2
    db.session.expire_all()
    assert statuses() == ["证书已生成未推送"] * 2 + ["证书未生成"]
    assert all(c.pulled_at for c in certificate_service.certificates_of(exam))
    assert db.session.query(PushOutbox).count() == 2
    assert certificate_service.pull(exam, user=p.city) == 0  # again: nothing new, no second outbox row
    assert db.session.query(PushOutbox).count() == 2


def test_revoke_requires_reason_and_reviewer_and_shows_in_query(personas):
    p = personas
    exam = approved_exam(p, count=2)
    certificate_service.start_generation(exam, user=p.city)
    cert = certificate_service.certificates_of(exam)[0]
    with pytest.raises(ServiceError, match="撤销原因"):
        certificate_service.revoke(cert, " ", user=p.city)
    with pytest.raises(ServiceError):
        certificate_service.revoke(cert, "违规", user=p.inst_a_user)
    certificate_service.revoke(cert, "考试作弊", user=p.city)
    info = certificate_service.public_info(certificate_service.query(number=cert.number, name=cert.worker.name)[0])
    assert info["status"] == "已撤销" and info["revoke_reason"] == "考试作弊"


def test_signature_detects_forged_numbers(personas):
    exam = approved_exam(personas, count=2)
    certificate_service.start_generation(exam, user=personas.city)
    cert = certificate_service.certificates_of(exam)[0]
    signature = certificate_service.sign(cert.number)
    assert certificate_service.verify_signature(cert.number, signature)
    forged = cert.number[:-1] + ("9" if cert.number[-1] != "9" else "8")
    assert not certificate_service.verify_signature(forged, signature)


def test_certificate_pdf_has_chinese_font_and_qr(personas):
    from app.documents.certificate_pdf import render

    exam = approved_exam(personas, count=2)
    certificate_service.start_generation(exam, user=personas.city)
    cert = certificate_service.certificates_of(exam)[0]
    data = render(certificate_service.public_info(cert), "http://x" + certificate_service.verification_path(cert.number))
    assert data.startswith(b"%PDF") and b"STSong-Light" in data and b"/Image" in data


# --- PostgreSQL: two workers generating for two exam plans of one institution and 工种 at once -------------

@pytest.mark.skipif(not os.environ.get("TEST_DATABASE_URL", "").startswith("postgresql"),
                    reason="concurrency needs PostgreSQL: set TEST_DATABASE_URL=postgresql+psycopg://…")
def test_two_threads_same_sequence_no_duplicates_no_gaps(app, personas):
    p = personas
    exams = [approved_exam(p, count=12, rng_seed=10), approved_exam(p, count=12, rng_seed=11)]
    jobs = []
    for exam in exams:
        job = CertificateJob(exam_plan_id=exam.id, status="pending", total=0, done=0)
        db.session.add(job)
        db.session.commit()
        jobs.append(job.id)
    jobs.append(jobs[0])  # and a redelivered copy of the first job on a third worker
    barrier = threading.Barrier(len(jobs), timeout=60)
    errors = []

    def run(job_id):
        with app.app_context():
            try:
                barrier.wait()
                certificate_service.run_job(job_id)
            except Exception as error:  # noqa: BLE001
                errors.append(error)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(job_id,)) for job_id in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert not errors
    db.session.expire_all()
    assert serials() == list(range(1, 23))
    assert db.session.query(Certificate).count() == 22


def test_an_abandoned_job_is_queued_again_only_once_stale(app, personas):
    """A job stuck 排队中/生成中 (worker gone, message lost) is re-run by 生成证书 after CERTIFICATE_JOB_STALE_SECONDS."""
    from app.models import AuditLog

    p = personas
    exam = approved_exam(p, count=3)
    job = CertificateJob(exam_plan_id=exam.id, status="running", total=2, done=0)
    db.session.add(job)
    db.session.commit()
    assert certificate_service.start_generation(exam, user=p.city).id == job.id
    assert db.session.query(Certificate).count() == 0  # fresh: still someone else's to finish
    job.updated_at = job.updated_at - datetime.timedelta(seconds=app.config["CERTIFICATE_JOB_STALE_SECONDS"] + 1)
    db.session.commit()
    assert certificate_service.is_stale(job)
    assert certificate_service.start_generation(exam, user=p.city).id == job.id
    db.session.refresh(job)
    assert (job.status, job.done) == ("finished", 2) and serials(exam) == [1, 2]
    assert db.session.query(AuditLog).filter(AuditLog.detail.like("%重新提交%")).count() == 1


def test_only_the_department_that_set_the_institution_up_revokes(personas):
    """Scope decides who may 撤销 (the list's 撤销 link and the service ask the same question): not the province
    above, not another city, not the institution itself."""
    from app.security.scope import Scope

    p = personas
    exam = approved_exam(p, count=2)
    certificate_service.start_generation(exam, user=p.city)
    cert = certificate_service.certificates_of(exam)[0]
    assert Scope.for_user(p.city).revokes_certificate(cert)
    for other in (p.province, p.county, p.other_city, p.inst_a_user, p.ent_a_user, p.admin):
        assert not Scope.for_user(other).revokes_certificate(cert), other.username
        with pytest.raises(ServiceError, match="只有设立该培训机构的主管部门可以撤销证书"):
            certificate_service.revoke(cert, "违规", user=other)
    assert not cert.revoked
