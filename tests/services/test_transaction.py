"""@transaction (one transaction per service verb, nested verbs join it) and Actor (who acts, in which scope)."""
import json
import os

import pytest
from sqlalchemy import create_engine, select, text

from app.extensions import db
from app.models import Certificate, CertificateJob, DictType, ExportJob
from app.security.scope import Actor, Scope
from app.services import ServiceError, transaction
from app.services.enrollees import EnrolleeFilters


def committed_codes():
    """The DictType codes another connection sees: only what was committed."""
    engine = create_engine(db.engine.url)
    try:
        with engine.connect() as conn:
            return set(conn.execute(text("SELECT code FROM dict_type WHERE code LIKE 'tx_%'")).scalars())
    finally:
        engine.dispose()


def add_type(code):
    db.session.add(DictType(code=code, name=code))
    db.session.flush()


@transaction
def add(code, fail_with=None):
    add_type(code)
    if fail_with is not None:
        raise fail_with


@transaction
def add_two(first, second, fail_with=None):
    add_type(first)
    add(second)  # joins this transaction
    if fail_with is not None:
        raise fail_with


def test_a_verb_commits_when_it_returns(ctx):
    add("tx_one")
    assert committed_codes() == {"tx_one"}


@pytest.mark.parametrize("error", [ServiceError("不能保存"), RuntimeError("boom")])
def test_a_verb_rolls_back_when_it_raises_a_refusal_or_an_unexpected_error(ctx, error):
    with pytest.raises(type(error)):
        add("tx_half", fail_with=error)
    assert committed_codes() == set()
    assert db.session.execute(select(DictType).where(DictType.code == "tx_half")).first() is None
    add("tx_after")  # the session is usable again and the next verb owns its own transaction
    assert committed_codes() == {"tx_after"}


def test_a_nested_verb_joins_the_outer_transaction(ctx):
    add_two("tx_outer", "tx_inner")
    assert committed_codes() == {"tx_outer", "tx_inner"}
    with pytest.raises(ServiceError):
        add_two("tx_outer2", "tx_inner2", fail_with=ServiceError("不能保存"))
    assert committed_codes() == {"tx_outer", "tx_inner"}  # the inner verb did not commit on its own


def test_commit_false_joins_the_callers_transaction(ctx):
    add_type("tx_caller")
    add("tx_joined", commit=False)
    assert committed_codes() == set()
    db.session.commit()
    assert committed_codes() == {"tx_caller", "tx_joined"}
    add_type("tx_kept")
    with pytest.raises(ServiceError):
        add("tx_refused", fail_with=ServiceError("不能保存"), commit=False)
    # The caller owns the transaction: a joined verb that fails leaves the rollback to it.
    assert db.session.execute(select(DictType).where(DictType.code == "tx_kept")).first() is not None
    db.session.rollback()
    assert committed_codes() == {"tx_caller", "tx_joined"}


def test_on_error_runs_after_the_rollback_and_may_name_the_error(ctx):
    seen = []

    def explain(error, code, _error):
        seen.append((code, committed_codes(), db.session.execute(
            select(DictType.id).where(DictType.code == code)).first()))
        if isinstance(error, KeyError):
            raise ServiceError("编码“%s”已被占用" % code) from error

    @transaction(on_error=explain)
    def save(code, error):
        add_type(code)
        raise error

    with pytest.raises(ServiceError, match="编码“tx_x”已被占用"):
        save("tx_x", KeyError("uq"))
    with pytest.raises(RuntimeError):  # on_error returned: the original error stands
        save("tx_y", RuntimeError("boom"))
    assert seen == [("tx_x", set(), None), ("tx_y", set(), None)]


def test_actor_defaults_to_the_request_user(app, personas):
    p = personas
    assert Actor.of(p.city) == (p.city, Scope.for_user(p.city))
    assert Actor.of(p.city, Scope("admin")).scope == Scope("admin")
    assert Actor.of() == (None, Scope("anonymous"))  # no request: nobody
    with app.test_request_context():
        from flask import g

        g.user = p.inst_a_user
        user, scope = Actor.of()
        assert user is p.inst_a_user and scope == Scope.for_user(p.inst_a_user)


# --- failures recorded after the rollback ---------------------------------------------------------------

def test_a_failed_certificate_job_is_recorded_and_its_half_batch_rolled_back(personas, monkeypatch):
    from app.services import certificates as certificate_service
    from app.tasks.certificates import generate_certificates
    from tests.services.test_certificates import approved_exam

    exam = approved_exam(personas, count=3)
    job = CertificateJob(exam_plan_id=exam.id, status="pending", total=0, done=0)
    db.session.add(job)
    db.session.commit()
    real_issue = certificate_service.issue_batch

    def issue_then_fail(*args):
        real_issue(*args)
        raise RuntimeError("证书模板读取失败")

    monkeypatch.setattr(certificate_service, "issue_batch", issue_then_fail)
    with pytest.raises(RuntimeError):  # the task fails (and says so to Celery) after recording it
        generate_certificates.apply(args=[job.id])
    db.session.expire_all()
    job = db.session.get(CertificateJob, job.id)
    assert (job.status, job.error) == ("failed", "证书模板读取失败")
    assert db.session.query(Certificate).count() == 0


def test_a_failed_export_job_is_recorded_and_its_partial_file_removed(personas, monkeypatch, app):
    from app.services import exports

    job = ExportJob(user_id=personas.county.id, kind=exports.JOB_KIND, status="pending", progress=0, rows=0,
                    filters=json.dumps(EnrolleeFilters().as_dict()))
    db.session.add(job)
    db.session.commit()

    def write_then_fail(handle, session, scope, filters, on_chunk=None):
        handle.write(b"PK half a workbook")
        session.add(DictType(code="tx_export", name="x"))  # work of the failed run: rolled back
        raise OSError("磁盘已满")

    monkeypatch.setattr(exports, "write_enrollees", write_then_fail)
    folder = app.config["EXPORT_FOLDER"]
    os.makedirs(folder, exist_ok=True)
    before = set(os.listdir(folder))  # earlier tests' jobs reuse the same ids in this shared folder
    assert exports.run_job(job.id) == "failed"
    db.session.expire_all()
    job = db.session.get(ExportJob, job.id)
    assert (job.status, job.error) == ("failed", "磁盘已满")
    assert db.session.execute(select(DictType).where(DictType.code == "tx_export")).first() is None
    assert set(os.listdir(folder)) - before == set()
