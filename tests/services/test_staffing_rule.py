"""The staffing rule blocks 上报 of a plan whose 工种 is not staffed, and says what is missing."""
import pytest

from app.extensions import db
from app.models import Staff, SystemSetting
from app.services import ServiceError, review, staffing
from tests import factories


def test_unstaffed_trade_cannot_be_submitted_and_the_message_lists_the_gaps(personas):
    p = personas
    plan = factories.training_plan(p.inst_a)
    plan.trade_code = "191"  # 抹灰工 (装饰装修): nobody teaches it there, so 新增培训计划 would refuse it
    db.session.commit()
    with pytest.raises(ServiceError) as refused:
        review.move(plan, "submit", user=p.inst_a_user)
    assert "工种“抹灰工”的职业理论知识培训师资不少于1人，现有0人" in refused.value.message
    assert "专业“装饰装修”的考评员不少于8人，现有0人" in refused.value.message
    db.session.expire_all()
    assert plan.review_state == "draft"


def test_meeting_the_rule_unblocks_it(personas):
    p = personas
    plan = factories.training_plan(p.inst_a)
    plan.trade_code = "191"  # 抹灰工 (装饰装修): nobody teaches it there, so 新增培训计划 would refuse it
    db.session.commit()
    db.session.add(Staff(institution_id=p.inst_a.id, name="理论教师", id_number="330106198001011234",
                         category="theory", trade_code="191"))
    for i in range(8):
        db.session.add(Staff(institution_id=p.inst_a.id, name="考评员%d" % i, id_number="3301061980010112%02d" % i,
                             category="examiner", specialty="装饰装修"))
    db.session.commit()
    review.move(plan, "submit", user=p.inst_a_user)
    assert plan.review_state == "submitted"


def test_minimums_are_settings(personas):
    p = personas
    assert staffing.gaps(p.inst_a.id, ["010"]) == []
    db.session.merge(SystemSetting(key="min_safety_teachers", value="3", description="x"))
    db.session.commit()
    assert staffing.gaps(p.inst_a.id, ["010"]) == ["安全生产知识培训师资不少于3人，现有2人"]
