"""Races on PostgreSQL (SPEC §4 "atomic and race-free", §6 机构代码 "unique, never reused").

Each racer runs in its own thread with its own app context, hence its own SQLAlchemy session and
connection; a threading.Barrier makes every racer read the document (and its version) before any
of them writes. Skipped unless TEST_DATABASE_URL points at PostgreSQL, e.g.

    createdb -h 127.0.0.1 -U postgres -E UTF8 --locale=C.UTF-8 -T template0 zjpx_scope_test
    TEST_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/zjpx_scope_test \\
        .venv/bin/python -m pytest -q -p no:cacheprovider tests/services/test_concurrency_pg.py
"""
import datetime
import os
import re
import threading

import pytest

from app.extensions import db
from app.models import ReviewRecord, TrainingPlan
from app.models.user import AppUser
from app.services import ServiceError, accounts, review
from app.services.institutions import allocate_institution_code
from tests import factories

pytestmark = pytest.mark.skipif(
    not os.environ.get("TEST_DATABASE_URL", "").startswith("postgresql"),
    reason="concurrency needs PostgreSQL: set TEST_DATABASE_URL=postgresql+psycopg://…",
)

DAY = datetime.timedelta(days=1)
CJK = re.compile(r"[\u4e00-\u9fff]")
TIMEOUT = 60


def race(app, jobs):
    """Run each job(read_result) in its own thread and app context, all released together after reading.

    A job is (read, write): read() runs first and returns what write(value) needs; the barrier holds
    every thread between the two. Returns [("ok", value) | ("refused", ServiceError) | ("error", exc)].
    """
    barrier = threading.Barrier(len(jobs), timeout=TIMEOUT)
    results = [None] * len(jobs)

    def run(index, read, write):
        with app.app_context():
            try:
                value = read()
                barrier.wait()
                results[index] = ("ok", write(value))
            except ServiceError as refused:
                results[index] = ("refused", refused)
            except Exception as error:  # noqa: BLE001 — reported by the test
                results[index] = ("error", error)
                barrier.abort()
            finally:
                db.session.rollback()
                db.session.remove()

    threads = [threading.Thread(target=run, args=(i, read, write), daemon=True) for i, (read, write) in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(TIMEOUT)
    assert not any(thread.is_alive() for thread in threads), "a racer hung"
    errors = [r for r in results if r is None or r[0] == "error"]
    assert not errors, errors
    return results


def mover(plan_id, user_id, action, **kwargs):
    """(read, write) for one review move made from a form loaded before the race."""
    def read():
        plan = db.session.get(TrainingPlan, plan_id)
        user = db.session.get(AppUser, user_id)
        plan.institution, user.department  # noqa: B018 — load what the move looks at, before the barrier
        return plan, user, plan.review_version

    def write(loaded):
        plan, user, version = loaded
        review.move(plan, action, user=user, expected_version=version, **kwargs)
        return action
    return read, write


def _records(plan_id):
    db.session.rollback()
    return db.session.query(ReviewRecord).filter_by(object_type="training_plan", object_id=plan_id) \
        .order_by(ReviewRecord.id).all()


def _state(plan_id):
    db.session.rollback()
    return db.session.get(TrainingPlan, plan_id).review_state


@pytest.mark.parametrize("round_", range(20))
def test_withdraw_racing_accept(app, personas, round_):
    p = personas
    plan = factories.training_plan(p.inst_a, state="submitted", owner=p.inst_a_user)
    db.session.commit()
    before = len(_records(plan.id))
    results = race(app, [mover(plan.id, p.inst_a_user.id, "withdraw"), mover(plan.id, p.city.id, "accept")])

    won = [value for kind, value in results if kind == "ok"]
    refused = [value for kind, value in results if kind == "refused"]
    assert len(won) == 1 and len(refused) == 1, results
    assert CJK.search(refused[0].message), refused[0].message
    records = _records(plan.id)
    assert len(records) == before + 1
    assert records[-1].action == won[0]
    assert _state(plan.id) == {"withdraw": "draft", "accept": "accepted"}[won[0]]


@pytest.mark.parametrize("round_", range(10))
def test_two_reviewers_approving_at_once(app, personas, round_):
    p = personas
    second = accounts.create_user("city_second_%d" % round_, factories.PASSWORD, "department",
                                  name="杭州市第二审核员", department_id=p.city_dept.id)
    db.session.commit()
    plan = factories.training_plan(p.inst_a, state="accepted", owner=p.inst_a_user, reviewer=p.city)
    db.session.commit()
    results = race(app, [mover(plan.id, p.city.id, "approve"), mover(plan.id, second.id, "approve")])

    assert sorted(kind for kind, _ in results) == ["ok", "refused"], results
    refused = next(value for kind, value in results if kind == "refused")
    assert CJK.search(refused.message)
    approvals = [r for r in _records(plan.id) if r.action == "approve"]
    assert len(approvals) == 1
    assert _state(plan.id) == "approved"


def test_approve_racing_reject_without_a_stale_form(app, personas):
    """No expected_version at all: the conditional UPDATE alone lets exactly one move through."""
    p = personas
    for _ in range(5):
        plan = factories.training_plan(p.inst_a, state="accepted", owner=p.inst_a_user, reviewer=p.city)
        db.session.commit()
        plan_id, city_id = plan.id, p.city.id  # never touch the main thread's objects from a racer

        def job(action, opinion=None):
            def read():
                plan_row = db.session.get(TrainingPlan, plan_id)
                user = db.session.get(AppUser, city_id)
                plan_row.institution, user.department  # noqa: B018
                return plan_row, user

            def write(loaded):
                review.move(loaded[0], action, user=loaded[1], opinion=opinion)
                return action
            return read, write

        results = race(app, [job("approve"), job("reject", "资料不全")])
        assert sorted(kind for kind, _ in results) == ["ok", "refused"], results
        decided = [r for r in _records(plan_id) if r.action in ("approve", "reject")]
        assert len(decided) == 1
        assert _state(plan_id) == {"approve": "approved", "reject": "rejected"}[decided[0].action]


@pytest.mark.parametrize("region_code,prefix", [("330100", "3301"), ("330300", "3303")])
def test_institution_codes_from_eight_threads(app, personas, region_code, prefix):
    """杭州 already has a sequence row (the personas' inst_a); 温州 has none yet, so the row itself is raced."""
    from app.models import InstitutionCodeSequence

    db.session.rollback()
    row = db.session.get(InstitutionCodeSequence, prefix)
    start = row.last_serial if row is not None else 0

    def job():
        def write(_):
            code = allocate_institution_code(region_code)
            db.session.commit()
            return code
        return (lambda: None), write

    results = race(app, [job() for _ in range(8)])
    codes = [value for kind, value in results if kind == "ok"]
    assert len(codes) == 8, results
    assert len(set(codes)) == 8, codes
    expected = ["33%s%03d" % (prefix[2:], serial) for serial in range(start + 1, start + 9)]
    assert sorted(codes) == expected
    db.session.rollback()
    assert db.session.get(InstitutionCodeSequence, prefix).last_serial == start + 8


# --- issue 12: double submits and unique keys -------------------------------------------------------------

@pytest.mark.parametrize("round_", range(5))
def test_accept_losing_to_withdraw_names_the_withdraw(app, personas, round_):
    p = personas
    plan = factories.training_plan(p.inst_a, state="submitted", owner=p.inst_a_user)
    db.session.commit()
    results = race(app, [mover(plan.id, p.inst_a_user.id, "withdraw"), mover(plan.id, p.city.id, "accept")])
    won = next(value for kind, value in results if kind == "ok")
    refused = next(value for kind, value in results if kind == "refused")
    expected = {"withdraw": "该培训计划已被撤回", "accept": "该培训计划已被受理"}[won]
    assert expected in refused.message, refused.message


def _racing(app, times, work):
    """`times` racers all calling work() at once (nothing to read first)."""
    return race(app, [((lambda: None), (lambda _loaded: work())) for _ in range(times)])


@pytest.mark.parametrize("round_", range(5))
def test_worker_added_twice_at_once_with_one_id_number(app, personas, round_):
    from app.models import Worker
    from app.services import workers as worker_service
    from tests.services.test_workers import ID_A, data

    enterprise_id, user_id = personas.ent_a.id, personas.ent_a_user.id
    db.session.commit()
    results = _racing(app, 2, lambda: worker_service.add_worker(
        enterprise_id, data(), user=db.session.get(AppUser, user_id)).id)
    assert sorted(kind for kind, _ in results) == ["ok", "refused"], results
    refused = next(value for kind, value in results if kind == "refused")
    assert refused.field == "id_number" and "已在本企业学员名单中" in refused.message
    db.session.rollback()
    assert db.session.query(Worker).filter_by(id_number=ID_A).count() == 1


@pytest.mark.parametrize("round_", range(5))
def test_same_roster_imported_twice_at_once(app, personas, round_):
    import io

    from werkzeug.datastructures import FileStorage

    from app.models import Worker
    from app.services import workers as worker_service
    from tests.services.test_workers import ID_A, ID_B, xlsx

    content = xlsx([[ID_A, "张三", "13900001111", "大专"], [ID_B, "李四", "13900002222", "大专"]])
    enterprise_id, user_id = personas.ent_a.id, personas.ent_a_user.id
    db.session.commit()

    def run():
        result = worker_service.import_workers(enterprise_id, FileStorage(io.BytesIO(content), "学员.xlsx"),
                                               user=db.session.get(AppUser, user_id))
        if not result.ok:  # the loser read the roster after the winner committed: row errors, nothing written
            raise ServiceError("；".join(reason for _row, _column, reason in result.errors))
        return result.created

    results = _racing(app, 2, run)
    assert sorted(kind for kind, _ in results) == ["ok", "refused"], results
    assert CJK.search(next(value for kind, value in results if kind == "refused").message)
    db.session.rollback()
    assert db.session.query(Worker).filter_by(enterprise_id=enterprise_id).count() == 2


def test_plan_form_posted_twice_at_once_saves_one_plan(app, personas):
    from app.services import plans as plan_service
    from app.services import submissions

    institution_id, user_id = personas.inst_a.id, personas.inst_a_user.id
    db.session.commit()
    for _ in range(5):
        token = submissions.new_token()
        before = db.session.query(TrainingPlan).count()
        today = datetime.date.today()
        form = {"name": "并发新增的培训计划", "trade_code": "020", "skill_level": "5", "training_type": "initial",
                "capacity": 40, "fee": 1200, "hours": 64, "enroll_start": today, "enroll_end": today + DAY * 10,
                "train_start": today + DAY * 11, "train_end": today + DAY * 30, "location": "杭州市西湖区文三路100号",
                "contact_person": "张老师", "contact_phone": "0571-88110001"}

        def run():
            return plan_service.create_plan(institution_id, dict(form), user=db.session.get(AppUser, user_id),
                                            form_token=token).id

        results = _racing(app, 2, run)
        assert sorted(kind for kind, _ in results) == ["ok", "refused"], results
        refused = next(value for kind, value in results if kind == "refused")
        assert isinstance(refused, submissions.AlreadySubmitted)
        assert refused.object_id == next(value for kind, value in results if kind == "ok")
        db.session.rollback()
        assert db.session.query(TrainingPlan).count() == before + 1


@pytest.mark.parametrize("round_", range(3))
def test_same_scores_imported_twice_at_once(app, personas, round_):
    import random

    from tests.exam_helpers import ticketed_exam
    from app.models import ExamPlan, Score
    from app.services import scores as score_service
    from tests.services.test_scores import filled

    p = personas
    exam, _roster = ticketed_exam(p, 4, random.Random(7))
    content = filled(exam)
    exam_id, user_id = exam.id, p.inst_a_user.id
    db.session.commit()
    results = _racing(app, 2, lambda: score_service.import_scores(
        db.session.get(ExamPlan, exam_id), content, "成绩.xlsx", user=db.session.get(AppUser, user_id)))
    assert all(CJK.search(value.message) for kind, value in results if kind == "refused"), results
    assert any(kind == "ok" for kind, _ in results)
    db.session.rollback()
    assert db.session.query(Score).filter_by(exam_plan_id=exam_id).count() == 4
