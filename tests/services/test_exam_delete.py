"""删除考核计划 (service): only a never-submitted draft; its examiner links and examinees go with it, its
enrollees are freed, an 操作日志 entry is written; every refusal (state, history, 注销, a stale object,
results hanging off it) changes nothing."""
import datetime
import itertools

import pytest
from sqlalchemy import select, text

from app.extensions import db
from app.models import AuditLog, Enrollment, ExamCandidate, ExamPlan, ReviewRecord, Score, Staff
from app.models.exam import exam_plan_examiner
from app.services import ServiceError, exams, review
from tests.exam_helpers import exam_data, examiners, trained_plan

_names = itertools.count(1)


def _exam(p, people=("张三", "李四", "王五"), remove_first=False):
    """A real exam plan of inst_a (own training plan, examiners, examinees; optionally one removed)."""
    plan, rows = trained_plan(p, (p.ent_a, ["%s%d" % (name, next(_names)) for name in people]))
    removed = {rows[0].id: "本人申请延期"} if remove_first else {}
    exam = exams.create_exam_plan(p.inst_a.id, plan.id,
                                  exam_data(p.inst_a, name="删除测试考核%d" % next(_names), removed=removed),
                                  user=p.inst_a_user)
    return exam, rows


def _walk(p, exam, state):
    path = {"draft": [], "submitted": ["submit"], "accepted": ["submit", "accept"],
            "approved": ["submit", "accept", "approve"], "rejected": ["submit", "accept", "reject"],
            "withdrawn": ["submit", "withdraw"]}[state]
    for action in path:
        user = p.inst_a_user if action in ("submit", "withdraw") else p.city
        review.move(exam, action, user=user, opinion="考场安排不合理" if action == "reject" else None)


def snapshot(exam_id):
    """Everything a delete touches, as the database holds it now (None when the exam plan is gone)."""
    db.session.expire_all()
    exam = db.session.get(ExamPlan, exam_id)
    links = sorted(db.session.execute(select(exam_plan_examiner.c.staff_id)
                                      .where(exam_plan_examiner.c.exam_plan_id == exam_id)).scalars())
    candidates = sorted(db.session.execute(
        select(ExamCandidate.enrollment_id, ExamCandidate.removed, ExamCandidate.ticket_no)
        .where(ExamCandidate.exam_plan_id == exam_id)).all())
    enrollments = sorted(db.session.execute(
        select(Enrollment.id, Enrollment.exam_plan_name, Enrollment.exam_status)
        .where(Enrollment.exam_plan_id == exam_id)).all())
    records = db.session.query(ReviewRecord).filter_by(object_type="exam_plan", object_id=exam_id).count()
    deletes = db.session.query(AuditLog).filter_by(action="delete", object_type="exam_plan", object_id=exam_id).count()
    state = None if exam is None else (exam.review_state, exam.review_version, exam.review_opinion, exam.name)
    return {"exam": state, "examiners": links, "candidates": candidates, "enrollments": enrollments,
            "records": records, "deletes": deletes}


def test_a_draft_is_deleted_with_its_examiner_links_and_examinees_and_frees_the_enrollees(personas):
    p = personas
    exam, people = _exam(p, remove_first=True)
    other, other_people = _exam(p)  # shares the same 考评员: its links must stay
    before = snapshot(exam.id)
    assert len(before["examiners"]) == 3 and len(before["candidates"]) == 3 and len(before["enrollments"]) == 2
    other_before = snapshot(other.id)
    staff_count = db.session.query(Staff).count()
    exam_id, name = exam.id, exam.name

    exams.delete_exam_plan(exam, user=p.inst_a_user)

    after = snapshot(exam_id)
    assert after["exam"] is None
    assert after["examiners"] == [] and after["candidates"] == [] and after["enrollments"] == []
    for enrollment in people:
        row = db.session.get(Enrollment, enrollment.id)
        assert (row.exam_plan_id, row.exam_plan_name, row.exam_status) == (None, None, "未上报")
    assert snapshot(other.id) == other_before
    assert db.session.query(Staff).count() == staff_count  # the examiners themselves stay
    log = db.session.query(AuditLog).filter_by(action="delete", object_type="exam_plan", object_id=exam_id).one()
    assert log.username == p.inst_a_user.username and log.object_label == name
    assert str(examiners(p.inst_a)[0]) in log.changes and name in log.changes
    # the freed enrollees can sit another exam plan of the same training plan
    again = exams.create_exam_plan(p.inst_a.id, people[0].plan_id, exam_data(p.inst_a, name="重新安排的考核"),
                                   user=p.inst_a_user)
    assert sorted(c.enrollment_id for c in again.candidates) == sorted(e.id for e in people)


@pytest.mark.parametrize("state, message", [
    ("submitted", "只能删除未上报的考核计划（当前状态：未受理）"),
    ("accepted", "只能删除未上报的考核计划（当前状态：已受理）"),
    ("approved", "只能删除未上报的考核计划（当前状态：审核通过）"),
    ("rejected", "只能删除未上报的考核计划（当前状态：审核不通过）"),
    ("withdrawn", "该考核计划已上报过，有审核记录，不能删除"),
])
def test_anything_but_a_never_submitted_draft_is_refused_and_kept(personas, state, message):
    p = personas
    exam, _people = _exam(p)
    _walk(p, exam, state)
    before = snapshot(exam.id)
    assert exams.delete_refusal(exam) == message
    with pytest.raises(ServiceError) as refused:
        exams.delete_exam_plan(db.session.get(ExamPlan, exam.id), user=p.inst_a_user)
    assert refused.value.message == message
    assert snapshot(exam.id) == before


def test_a_cancelled_institution_cannot_delete(personas):
    p = personas
    exam, _people = _exam(p)
    before = snapshot(exam.id)
    p.inst_a.status = "cancelled"
    db.session.commit()
    with pytest.raises(ServiceError, match="培训机构已注销，不能删除考核计划"):
        exams.delete_exam_plan(db.session.get(ExamPlan, exam.id), user=p.inst_a_user)
    assert snapshot(exam.id) == before


def _submit_behind_the_back(exam_id, *, with_record):
    """Another request's 上报, committed on its own connection after `_load` (the object here is stale)."""
    now = datetime.datetime.now().replace(microsecond=0)
    with db.engine.begin() as conn:
        conn.execute(text("UPDATE exam_plan SET review_state = 'submitted', review_version = 1, submitted_at = :now "
                          "WHERE id = :id"), {"id": exam_id, "now": now})
        if with_record:
            conn.execute(text("INSERT INTO review_record (object_type, object_id, action, from_state, to_state, "
                              "actor_name, at) VALUES ('exam_plan', :id, 'submit', 'draft', 'submitted', '他人', :now)"),
                         {"id": exam_id, "now": now})


@pytest.mark.parametrize("with_record", [True, False])
def test_a_stale_delete_after_a_concurrent_submit_changes_nothing(personas, with_record):
    p = personas
    exam, _people = _exam(p)
    _submit_behind_the_back(exam.id, with_record=with_record)
    before = snapshot(exam.id)
    assert before["exam"][:2] == ("submitted", 1)
    stale = _as_the_page_saw_it(exam.id)
    with pytest.raises(ServiceError) as refused:
        exams.delete_exam_plan(stale, user=p.inst_a_user)
    assert "不能删除" in refused.value.message
    if not with_record:  # only the conditional claim on (draft, version 0) can see it
        assert "已上报或已被他人处理" in refused.value.message
    assert snapshot(exam.id) == before


def _as_the_page_saw_it(exam_id):
    """The exam plan as loaded before the 上报: 未上报, version 0 (in memory only, not in the database)."""
    from sqlalchemy.orm.attributes import set_committed_value

    db.session.expire_all()
    exam = db.session.get(ExamPlan, exam_id)
    set_committed_value(exam, "review_state", "draft")
    set_committed_value(exam, "review_version", 0)
    return exam


def test_results_hanging_off_an_exam_plan_block_its_deletion(personas):
    """Scores exist only after approval; should one hang off a draft anyway, nothing is orphaned or lost."""
    p = personas
    exam, people = _exam(p)
    db.session.add(Score(exam_plan_id=exam.id, enrollment_id=people[0].id, theory_score=80, practical_score=80,
                         absent=False, passed=True))
    db.session.commit()
    before = snapshot(exam.id)
    with pytest.raises(ServiceError, match="已有成绩或证书"):
        exams.delete_exam_plan(db.session.get(ExamPlan, exam.id), user=p.inst_a_user)
    assert snapshot(exam.id) == before
    assert db.session.query(Score).filter_by(exam_plan_id=exam.id).count() == 1
