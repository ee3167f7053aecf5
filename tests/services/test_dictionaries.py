"""数据字典 services: items/label, DictSelectField, 工种↔专业 helpers, seed facts, regions and settings."""
import csv
import os

import pytest
from flask import g
from werkzeug.datastructures import MultiDict
from wtforms import Form
from wtforms.validators import DataRequired

from app.extensions import db
from app.models import DictItem, DictType, Region, SystemSetting
from app.seed import DATA_DIR, DICTIONARIES, seed_all
from app.services import ServiceError, dictionaries
from app.services.dictionaries import (
    DictSelectField, has_item, items, label, specialty_of_trade, trade_specialties, trades_of_specialty,
)
from app.services.regions import county_choices, level_of_code, parent_code_of, region_choices
from app.services.settings import DEFAULTS, get_int, validate_setting


def _csv(name):
    with open(os.path.join(DATA_DIR, name), encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _item(type_code, value):
    return (db.session.query(DictItem).join(DictType)
            .filter(DictType.code == type_code, DictItem.value == value).one())


def _options(html):
    """[(value, text)] of the <option>s of a rendered select."""
    import re

    return re.findall(r'<option[^>]*value="([^"]*)"[^>]*>([^<]*)</option>', html)


class PlanForm(Form):
    skill_level = DictSelectField("技能等级", dict_type="skill_level",
                                  validators=[DataRequired(message="请选择技能等级")])


class Record:
    """Stands for a stored record whose field holds a dictionary value."""

    def __init__(self, skill_level):
        self.skill_level = skill_level


# --- items() and label() ---------------------------------------------------------------------------

def test_items_are_enabled_ones_in_order_and_include_keeps_a_disabled_value(ctx):
    assert items("training_type") == [("initial", "初训"), ("retrain", "复训")]
    _item("training_type", "retrain").enabled = False
    _item("training_type", "initial").sort_order = 5
    db.session.flush()
    assert items("training_type") == [("initial", "初训")]
    # sort_order decides the order (retrain 1 now comes before initial 5)
    assert items("training_type", include="retrain") == [("retrain", "复训"), ("initial", "初训")]
    assert items("training_type", include=["retrain", None]) == [("retrain", "复训"), ("initial", "初训")]
    assert items("no_such_type") == []


def test_label_shows_disabled_items_and_falls_back_to_the_raw_value(ctx):
    _item("education", "primary").enabled = False
    db.session.flush()
    assert label("education", "primary") == "小学"
    assert label("education", "unknown") == "unknown"
    assert label("education", None) == ""
    assert has_item("education", "primary") and not has_item("education", "primary", enabled_only=True)


def test_label_cache_is_per_request_and_cleared_when_an_item_changes(app):
    with app.test_request_context("/"):
        assert label("education", "college") == "大专"
        item = _item("education", "college")
        item.label = "大学专科"
        db.session.flush()  # the mapper event clears the request's cache
        assert label("education", "college") == "大学专科"
        db.session.add(DictItem(type_id=item.type_id, value="doctor", label="博士", sort_order=9))
        db.session.flush()
        assert label("education", "doctor") == "博士"
        # A write done elsewhere (another connection) is picked up after clear_cache().
        assert label("education", "junior") == "初中"
        db.session.execute(DictItem.__table__.update().where(DictItem.id == _item("education", "junior").id)
                           .values(label="初级中学"))
        assert label("education", "junior") == "初中"
        dictionaries.clear_cache()
        assert label("education", "junior") == "初级中学"
        db.session.rollback()


# --- DictSelectField -------------------------------------------------------------------------------

def test_dict_select_field_offers_enabled_items_read_at_render_time(app):
    with app.test_request_context("/"):
        form = PlanForm()
        assert _options(form.skill_level())[0] == ("", "请选择")
        assert [value for value, _ in _options(form.skill_level())] == ["", "5", "4", "3", "2", "1"]
        _item("skill_level", "1").enabled = False
        db.session.add(DictItem(type_id=_item("skill_level", "5").type_id, value="0", label="专项能力", sort_order=9))
        db.session.flush()
        # The same form class, rendered again: no restart, the lookup is read afresh.
        assert [value for value, _ in _options(PlanForm().skill_level())] == ["", "5", "4", "3", "2", "0"]
        db.session.rollback()


def test_a_disabled_value_stays_selectable_for_the_record_that_has_it_only(app):
    with app.test_request_context("/"):
        _item("skill_level", "1").enabled = False
        db.session.flush()
        old = PlanForm(obj=Record("1"))
        rendered = old.skill_level()
        assert ("1", "一级/高级技师") in _options(rendered)
        assert 'selected value="1"' in rendered or 'value="1" selected' in rendered
        assert "1" not in [value for value, _ in _options(PlanForm().skill_level())]
        assert "1" not in [value for value, _ in _options(PlanForm(obj=Record("3")).skill_level())]

        # Saving: the old record keeps its value; a new record cannot pick it.
        assert PlanForm(MultiDict({"skill_level": "1"}), obj=Record("1")).validate()
        new = PlanForm(MultiDict({"skill_level": "1"}))
        assert not new.validate()
        assert new.errors["skill_level"] == ["所选项不存在或已停用，请重新选择"]
        other = PlanForm(MultiDict({"skill_level": "1"}), obj=Record("3"))
        assert not other.validate()
        assert PlanForm(MultiDict({"skill_level": "4"})).validate()
        blank = PlanForm(MultiDict({"skill_level": ""}))
        assert not blank.validate() and blank.errors["skill_level"] == ["请选择技能等级"]
        assert blank.skill_level.data is None
        db.session.rollback()


def test_on_a_fab_edit_post_the_edited_records_disabled_value_stays_valid(app, personas):
    """FAB rebuilds the edit form from request.form only; the field finds the record via the view."""
    class TradeGroupForm(Form):
        group_value = DictSelectField("专业", dict_type="specialty")

    _item("specialty", "园林").enabled = False
    db.session.commit()
    garden_trade = db.session.query(DictItem).join(DictType).filter(
        DictType.code == "trade", DictItem.group_value == "园林").first()
    civil_trade = _item("trade", "010")
    for trade, valid in ((garden_trade, True), (civil_trade, False)):
        with app.test_request_context("/dictitemview/edit/%d" % trade.id, method="POST",
                                      data={"group_value": "园林"}):
            g.user = personas.admin
            from flask import request

            form = TradeGroupForm(request.form)
            assert form.validate() is valid
            assert ("园林" in [value for value, _ in _options(form.group_value())]) is valid


# --- 工种 and 专业 --------------------------------------------------------------------------------

def test_trade_and_specialty_helpers(ctx):
    assert specialty_of_trade("020") == "土建"
    assert specialty_of_trade("999") is None and specialty_of_trade(None) is None
    civil = trades_of_specialty("土建")
    assert "010" in civil and "020" in civil and len(civil) == 23
    assert trades_of_specialty("不存在") == []
    _item("trade", "020").enabled = False
    db.session.flush()
    assert "020" not in trades_of_specialty("土建")
    assert "020" in trades_of_specialty("土建", enabled_only=False)
    assert specialty_of_trade("020") == "土建"  # old records keep their 专业
    assert trade_specialties(["010", "020", "999"]) == {"010": "土建", "020": "土建"}
    assert trade_specialties([]) == {}
    assert len(trade_specialties()) == 93


# --- seed -------------------------------------------------------------------------------------------

def test_seed_has_the_93_trades_with_their_3_digit_codes_grouped_by_existing_specialties(ctx):
    rows = _csv("trades.csv")
    assert len(rows) == 93
    trades = {i.value: i for i in db.session.query(DictItem).join(DictType).filter(DictType.code == "trade")}
    assert sorted(trades) == sorted(r["code"] for r in rows)
    assert all(len(code) == 3 and code.isdigit() for code in trades)
    specialties = {value for value, _ in items("specialty")}
    assert specialties == {r["specialty"] for r in rows}
    for row in rows:
        item = trades[row["code"]]
        assert item.label == row["name"]
        assert item.group_value == row["specialty"] and item.group_value in specialties
        assert item.parent_value == (row["parent_code"] or None)
        assert item.parent_value is None or item.parent_value in trades
    assert items("specialty")[-1] == ("其他", "其他")


def test_seed_types_regions_and_settings_and_seeding_twice_changes_nothing(ctx):
    assert {t.code for t in db.session.query(DictType)} >= set(DICTIONARIES)
    for code in DICTIONARIES:
        assert items(code), code
    regions = db.session.query(Region).all()
    assert len(regions) == 102
    assert sorted(r.level for r in regions).count("province") == 1
    assert [r.level for r in regions].count("city") == 11
    assert [r.level for r in regions].count("county") == 90
    for region in regions:
        assert region.level == level_of_code(region.code)
        assert region.parent_code == parent_code_of(region.code)
    assert db.session.query(SystemSetting).count() == len(DEFAULTS)
    counts = (db.session.query(DictItem).count(), db.session.query(Region).count())
    _item("education", "college").label = "大学专科"  # an admin's edit survives a re-seed
    db.session.commit()
    seed_all()
    assert (db.session.query(DictItem).count(), db.session.query(Region).count()) == counts
    assert label("education", "college") == "大学专科"


# --- 行政区划 ---------------------------------------------------------------------------------------

def test_county_choices_for_a_jurisdiction(ctx):
    hangzhou = county_choices("3301")
    assert len(hangzhou) == 13
    assert ("330106", "杭州市西湖区") in hangzhou
    assert county_choices("330100") == hangzhou  # a department's region code works too
    assert county_choices("330106") == [("330106", "杭州市西湖区")]
    assert len(county_choices("33")) == len(county_choices()) == 90
    assert all(code[4:] != "00" for code, _ in county_choices())
    db.session.get(Region, "330106").selectable = False
    db.session.flush()
    assert "330106" not in dict(county_choices("3301"))
    assert "330106" in dict(county_choices("3301", selectable_only=False))
    choices = dict(region_choices())
    assert len(choices) == 102 and choices["330000"] == "浙江省" and choices["330100"] == "杭州市"


# --- 系统设置 ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("key,value", [
    ("min_examiners_per_specialty", "abc"), ("min_examiners_per_specialty", "8\n"),
    ("min_examiners_per_specialty", ""), ("min_examiners_per_specialty", "-1"),
    ("min_examiners_per_exam_plan", "0"), ("default_pass_line", "101"), ("upload_max_mb", "0"),
    ("institution_code_rule", "33{city:02d}"), ("institution_code_rule", "33{town}{serial:03d}"),
    ("certificate_number_rule", "{serial:05d}{"), ("no_such_key", "1"),
])
def test_invalid_setting_values_are_refused_in_chinese(ctx, key, value):
    with pytest.raises(ServiceError) as refused:
        validate_setting(key, value)
    assert "参数" in refused.value.message


@pytest.mark.parametrize("key,value", [
    ("min_examiners_per_specialty", "10"), ("default_pass_line", "59.5"), ("min_safety_teachers", "0"),
    ("institution_code_rule", "33{city:02d}{serial:03d}"),
    ("certificate_number_rule", "{yy:02d}{institution_code}{trade_code}{serial:06d}"),
])
def test_valid_setting_values_pass(ctx, key, value):
    validate_setting(key, value)


def test_settings_fall_back_to_defaults(ctx):
    db.session.delete(db.session.get(SystemSetting, "min_examiners_per_specialty"))
    db.session.flush()
    assert get_int("min_examiners_per_specialty") == 8
