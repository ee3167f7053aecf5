"""Every legal and illegal move of the review engine, through services.review, with its records."""
import pytest

from app.extensions import db
from app.models import ReviewRecord
from app.services import ServiceError, review
from tests import factories

ALL_ACTIONS = ["submit", "withdraw", "accept", "approve", "reject"]
LEGAL = {
    "draft": {"submit": "submitted"},
    "submitted": {"withdraw": "draft", "accept": "accepted"},
    "accepted": {"approve": "approved", "reject": "rejected"},
    "approved": {},
    "rejected": {"submit": "submitted"},
}
OWNER_ACTIONS = {"submit", "withdraw"}


def _records(document):
    return db.session.query(ReviewRecord).filter_by(object_id=document.id, object_type="training_plan").count()


@pytest.mark.parametrize("state", sorted(LEGAL))
@pytest.mark.parametrize("action", ALL_ACTIONS)
def test_every_move_from_every_state(personas, state, action):
    p = personas
    plan = factories.training_plan(p.inst_a, state=state, owner=p.inst_a_user, reviewer=p.city)
    before = _records(plan)
    actor = p.inst_a_user if action in OWNER_ACTIONS else p.city
    if action in LEGAL[state]:
        review.move(plan, action, user=actor, opinion="意见" if action == "reject" else None)
        db.session.expire_all()
        assert plan.review_state == LEGAL[state][action]
        assert _records(plan) == before + 1
        last = db.session.query(ReviewRecord).order_by(ReviewRecord.id.desc()).first()
        assert (last.action, last.from_state, last.to_state, last.actor_id) == (
            action, state, LEGAL[state][action], actor.id)
    else:
        with pytest.raises(ServiceError) as refused:
            review.move(plan, action, user=actor)
        assert "不能执行" in refused.value.message
        db.session.expire_all()
        assert plan.review_state == state
        assert _records(plan) == before


@pytest.mark.parametrize("action", ["accept", "approve", "reject"])
def test_owner_cannot_review(personas, action):
    p = personas
    plan = factories.training_plan(p.inst_a, state="accepted", owner=p.inst_a_user, reviewer=p.city)
    with pytest.raises(ServiceError, match="无权"):
        review.move(plan, action, user=p.inst_a_user, opinion="x")


@pytest.mark.parametrize("who", ["province", "county", "other_city", "inst_b_user", "ent_a_user", "admin"])
def test_only_the_department_that_set_the_institution_up_reviews(personas, who):
    p = personas
    plan = factories.training_plan(p.inst_a, state="submitted", owner=p.inst_a_user, reviewer=p.city)
    with pytest.raises(ServiceError, match="无权"):
        review.move(plan, "accept", user=getattr(p, who))
    db.session.expire_all()
    assert plan.review_state == "submitted"


def test_reviewer_cannot_submit_or_withdraw(personas):
    p = personas
    plan = factories.training_plan(p.inst_a, state="draft", owner=p.inst_a_user, reviewer=p.city)
    with pytest.raises(ServiceError, match="无权"):
        review.move(plan, "submit", user=p.city)


def test_reject_needs_an_opinion_and_shows_it(personas):
    p = personas
    plan = factories.training_plan(p.inst_a, state="accepted", owner=p.inst_a_user, reviewer=p.city)
    with pytest.raises(ServiceError, match="必须填写审核意见"):
        review.move(plan, "reject", user=p.city, opinion="   ")
    review.move(plan, "reject", user=p.city, opinion="学时不足")
    db.session.expire_all()
    assert (plan.review_state, plan.review_opinion) == ("rejected", "学时不足")
    review.move(plan, "submit", user=p.inst_a_user)
    db.session.expire_all()
    assert plan.review_opinion is None and plan.review_state == "submitted"


def test_stale_form_is_refused(personas):
    p = personas
    plan = factories.training_plan(p.inst_a, state="submitted", owner=p.inst_a_user, reviewer=p.city)
    seen_version = plan.review_version
    review.move(plan, "withdraw", user=p.inst_a_user)
    review.move(plan, "submit", user=p.inst_a_user)
    # Same state as when the reviewer loaded the page, but the document moved meanwhile.
    with pytest.raises(ServiceError, match="已被他人处理"):
        review.move(plan, "accept", user=p.city, expected_version=seen_version)


def test_double_click_writes_one_record(personas):
    p = personas
    plan = factories.training_plan(p.inst_a, state="accepted", owner=p.inst_a_user, reviewer=p.city)
    version = plan.review_version
    review.move(plan, "approve", user=p.city, expected_version=version)
    with pytest.raises(ServiceError):
        review.move(plan, "approve", user=p.city, expected_version=version)
    assert db.session.query(ReviewRecord).filter_by(
        object_type="training_plan", object_id=plan.id, action="approve").count() == 1


def test_cancelled_institution_cannot_submit(personas):
    p = personas
    plan = factories.training_plan(p.inst_a, state="draft")
    p.inst_a.status = "cancelled"
    db.session.commit()
    with pytest.raises(ServiceError, match="已注销"):
        review.move(plan, "submit", user=p.inst_a_user)


def test_enterprise_qualification_uses_the_engine_with_implicit_accept(personas):
    p = personas
    ent, user = factories.enterprise("杭州新注册建筑有限公司", "330106", "new_ent")
    review.move(ent, "submit", user=user)
    # 西湖区 has its own department: the city may not review, the county may.
    with pytest.raises(ServiceError, match="无权"):
        review.move(ent, "approve", user=p.city)
    records = review.move(ent, "reject", user=p.county, opinion="营业执照不清晰")
    assert [r.action for r in records] == ["accept", "reject"]
    review.move(ent, "submit", user=user)
    review.move(ent, "approve", user=p.county)
    db.session.expire_all()
    assert ent.review_state == "approved"


def test_enterprise_without_county_department_goes_to_the_city(personas):
    p = personas
    ent, user = factories.enterprise("杭州余杭建筑劳务有限公司", "330110", "yh_ent")
    review.move(ent, "submit", user=user)
    with pytest.raises(ServiceError):
        review.move(ent, "approve", user=p.province)
    review.move(ent, "approve", user=p.city)
    ent2, user2 = factories.enterprise("温州鹿城市政工程有限公司", "330302", "wz_ent")
    review.move(ent2, "submit", user=user2)
    review.move(ent2, "approve", user=p.province)


def test_records_timeline_has_durations(personas):
    p = personas
    plan = factories.training_plan(p.inst_a, state="approved", owner=p.inst_a_user, reviewer=p.city)
    timeline = review.records_of(plan)
    assert [item["record"].action for item in timeline] == ["submit", "accept", "approve"]
    assert timeline[-1]["stayed"] is None and timeline[0]["stayed"] is not None
    assert review.format_duration(__import__("datetime").timedelta(days=2, hours=3)) == "2天3小时"


@pytest.mark.parametrize("kind", ["exam_plan", "score_report"])
def test_exam_plans_and_score_reports_share_the_engine(personas, kind):
    p = personas
    plan = factories.training_plan(p.inst_a, state="approved", owner=p.inst_a_user, reviewer=p.city)
    exam = factories.exam_plan(plan, state="approved" if kind == "score_report" else "draft",
                               owner=p.inst_a_user, reviewer=p.city)
    document = factories.score_report(exam) if kind == "score_report" else exam
    review.move(document, "submit", user=p.inst_a_user)
    review.move(document, "accept", user=p.city)
    with pytest.raises(ServiceError):
        review.move(document, "withdraw", user=p.inst_a_user)
    review.move(document, "approve", user=p.city)
    db.session.expire_all()
    assert document.review_state == "approved"
