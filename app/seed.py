"""Seed data: regions, dictionaries (工种 with 专业 …) and settings; idempotent."""
import csv
import os

from app.extensions import db
from app.models import DictItem, DictType, Region
from app.services.settings import ensure_defaults

DATA_DIR = os.path.join(os.path.dirname(__file__), "seed_data")

DICTIONARIES = {
    "trade": ("工种", "建筑工人职业技能工种（全国平台3位代码），分组值为所属专业"),
    "specialty": ("专业", "工种所属专业，考评员按专业配备"),
    "skill_level": ("技能等级", None),
    "training_type": ("培训类型", None),
    "education": ("学历", None),
    "institution_type": ("机构类型", None),
    "qualification_category": ("企业资质类别", None),
}
FIXED_ITEMS = {
    "skill_level": [("5", "五级/初级工"), ("4", "四级/中级工"), ("3", "三级/高级工"), ("2", "二级/技师"),
                    ("1", "一级/高级技师")],
    "training_type": [("initial", "初训"), ("retrain", "复训")],
    "education": [("primary", "小学"), ("junior", "初中"), ("senior", "高中/中专"), ("college", "大专"),
                  ("bachelor", "本科"), ("postgraduate", "研究生及以上")],
    "institution_type": [("social_exam", "社会培训考核机构"), ("enterprise_exam", "企业培训考核机构"),
                         ("social", "社会培训机构")],
    "qualification_category": [("general", "施工总承包"), ("specialty", "专业承包"), ("labour", "施工劳务"),
                               ("other", "其他")],
}


def _rows(name):
    with open(os.path.join(DATA_DIR, name), encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def seed_regions():
    """行政区划 of 浙江 (province, 11 cities, 90 county-level units)."""
    existing = {code for (code,) in db.session.query(Region.code)}
    for row in sorted(_rows("zj_regions.csv"), key=lambda r: r["code"]):
        if row["code"] not in existing:
            db.session.add(Region(code=row["code"], name=row["name"], level=row["level"],
                                  parent_code=row["parent_code"] or None, selectable=True))
    db.session.flush()


def _dict_type(code):
    dict_type = db.session.query(DictType).filter_by(code=code).one_or_none()
    if dict_type is None:
        name, description = DICTIONARIES[code]
        dict_type = DictType(code=code, name=name, description=description)
        db.session.add(dict_type)
        db.session.flush()
    return dict_type


def _ensure_item(dict_type, value, label, order, parent=None, group=None):
    exists = db.session.query(DictItem.id).filter_by(type_id=dict_type.id, value=value).first()
    if not exists:
        db.session.add(DictItem(type_id=dict_type.id, value=value, label=label, sort_order=order,
                                enabled=True, parent_value=parent, group_value=group))


def seed_dictionaries():
    """Seed types with their items; the 工种 list comes from the national platform's codes."""
    trades = _rows("trades.csv")
    specialty = _dict_type("specialty")
    # 专业 in the order the national list first uses them, 其他 last; value = label = the name.
    names = sorted(dict.fromkeys(r["specialty"] for r in trades), key=lambda name: name == "其他")
    for order, name in enumerate(names):
        _ensure_item(specialty, name, name, order)
    trade = _dict_type("trade")
    for order, row in enumerate(trades):
        _ensure_item(trade, row["code"], row["name"], order, parent=row["parent_code"] or None, group=row["specialty"])
    for code, items in FIXED_ITEMS.items():
        dict_type = _dict_type(code)
        for order, (value, label) in enumerate(items):
            _ensure_item(dict_type, value, label, order)
    db.session.flush()


def seed_all():
    seed_regions()
    seed_dictionaries()
    ensure_defaults()
    db.session.commit()
