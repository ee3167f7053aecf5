"""Progress statuses, dictionary labels, 机构代码 allocation and display formatting."""
import datetime

import pytest

from app.extensions import db
from app.models import SystemSetting
from app.services import ServiceError
from app.services.institutions import allocate_institution_code
from app.views.base import display_value
from tests import factories


def test_plan_progress_follows_the_enrollment_window(personas):
    p = personas
    plan = factories.training_plan(p.inst_a, state="approved", owner=p.inst_a_user, reviewer=p.city)
    assert plan.progress(plan.enroll_start) == "报名中"
    assert plan.progress(plan.enroll_end) == "报名中"
    assert plan.progress(plan.enroll_end + datetime.timedelta(days=1)) == "培训结束"
    draft = factories.training_plan(p.inst_a, state="draft")
    assert draft.progress(draft.enroll_start) is None


def test_dictionary_labels_show_on_records(personas):
    plan = factories.training_plan(personas.inst_a, trade="020")
    assert (plan.trade_label, plan.skill_level_label, plan.training_type_label) == ("钢筋工", "五级/初级工", "初训")


def test_institution_codes_follow_the_rule_and_never_repeat(ctx):
    # 杭州 is city 01, 丽水 city 11; serials are per city and only move forward.
    first = allocate_institution_code("330106")
    second = allocate_institution_code("330110")
    lishui = allocate_institution_code("331102")
    assert (first, second) == ("3301001", "3301002")
    assert lishui == "3311001"
    db.session.commit()
    assert allocate_institution_code("330106") == "3301003"


def test_institution_code_rule_is_a_setting(ctx):
    db.session.merge(SystemSetting(key="institution_code_rule", value="ZJ{city:02d}-{serial:04d}", description="x"))
    db.session.commit()
    assert allocate_institution_code("330206") == "ZJ02-0001"


def test_institution_code_needs_a_region(ctx):
    with pytest.raises(ServiceError, match="请选择机构所在地区"):
        allocate_institution_code("")


def test_display_value_reads_as_chinese_operators_expect(app):
    with app.test_request_context("/"):
        assert display_value(None) == ""
        assert display_value(True) == "是" and display_value(False) == "否"
        assert display_value(datetime.datetime(2026, 11, 28, 14, 5, 9)) == "2026-11-28 14:05"
        assert display_value(datetime.date(2026, 11, 28)) == "2026-11-28"
