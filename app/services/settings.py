"""System settings: the configurable rules of the SPEC, with defaults kept here and values in the DB."""
import re

from sqlalchemy import bindparam, select

from app.extensions import db
from app.models import SystemSetting
from app.services import ServiceError

# key → (default, description, validator regex matched against the whole value)
DEFAULTS = {
    "institution_code_rule": ("33{city:02d}{serial:03d}", "机构代码规则：33 + 城市序号(01-11) + 3位流水号", r".*\{serial.*"),
    "certificate_number_rule": ("{yy:02d}{institution_code}{trade_code}{serial:05d}",
                                "证书编号规则：2位年份 + 机构代码(7位) + 工种代码(3位) + 5位流水号", r".*\{serial.*"),
    "min_safety_teachers": ("2", "安全生产知识培训师资最少人数", r"\d{1,3}"),
    "min_theory_teachers_per_trade": ("1", "每工种职业理论知识培训师资最少人数", r"\d{1,3}"),
    "min_examiners_per_specialty": ("8", "每专业考评员最少人数", r"\d{1,3}"),
    "min_examiners_per_exam_plan": ("3", "每个考核计划考评员最少人数", r"\d{1,3}"),
    "default_pass_line": ("60", "成绩合格线（理论与实操均须达到）", r"\d{1,3}(\.\d{1,2})?"),
    "upload_max_mb": ("10", "上传文件大小上限（MB）", r"\d{1,3}"),
    "score_import_max_rows": ("5000", "成绩导入最大行数", r"\d{1,6}"),
    "worker_import_max_rows": ("2000", "学员批量导入最大行数", r"\d{1,6}"),
    "export_sync_max_rows": ("5000", "超过该行数的导出转为后台任务", r"\d{1,7}"),
    "plan_editable_fields_after_approval": ("无", "审核通过后培训机构仍可修改的培训计划字段（字段名，逗号分隔，如 location,contact_person,contact_phone；填“无”表示不可修改）",
                                            r"无|(name|trade_code|skill_level|training_type|capacity|fee|hours|enroll_start|enroll_end|train_start|train_end|location|contact_person|contact_phone)([,，]\s*(name|trade_code|skill_level|training_type|capacity|fee|hours|enroll_start|enroll_end|train_start|train_end|location|contact_person|contact_phone))*"),
}

# Numeric settings: inclusive (minimum, maximum).
LIMITS = {
    "min_safety_teachers": (0, 999),
    "min_theory_teachers_per_trade": (0, 999),
    "min_examiners_per_specialty": (0, 999),
    "min_examiners_per_exam_plan": (1, 999),
    "default_pass_line": (0, 100),
    "upload_max_mb": (1, 60),  # below the hard MAX_CONTENT_LENGTH ceiling (64 MB)
    "score_import_max_rows": (1, 999999),
    "worker_import_max_rows": (1, 999999),
    "export_sync_max_rows": (1, 9999999),
}

# Rule settings: the placeholders a rule may use, with sample values to try it on.
RULE_SAMPLES = {
    "institution_code_rule": {"city": 1, "serial": 1},
    "certificate_number_rule": {"yy": 26, "institution_code": "3301001", "trade_code": "010", "serial": 1},
}


# One column by a statement built once: loading the whole row through session.get cost 0.35 ms of CPU on every
# 报名人员查询 page (it reads export_sync_max_rows), this 0.2 ms. Still read on every call: a setting changed in
# 系统设置 applies from the next request in every process. An ORM select, so pending changes are flushed first.
_VALUE = select(SystemSetting.value).where(SystemSetting.key == bindparam("key"))


def get_setting(key):
    """The value of a setting as a string (the default when not stored)."""
    value = db.session.execute(_VALUE, {"key": key}).scalar()
    return value if value is not None else DEFAULTS[key][0]


def get_int(key):
    return int(get_setting(key))


def validate_setting(key, value):
    """Raise ServiceError (Chinese message) when a value does not fit its setting."""
    if key not in DEFAULTS:
        raise ServiceError("未知的系统参数：%s" % key)
    description = DEFAULTS[key][1]
    if value is None or not value.strip():
        raise ServiceError("请填写参数“%s”的值" % description, field="value")
    if value != value.strip() or not re.fullmatch(DEFAULTS[key][2], value):
        raise ServiceError("参数“%s”的值“%s”格式不正确" % (description, value), field="value")
    if key in LIMITS:
        low, high = LIMITS[key]
        if not low <= float(value) <= high:
            raise ServiceError("参数“%s”的值应在 %s 到 %s 之间" % (description, low, high), field="value")
    if key in RULE_SAMPLES:
        try:
            value.format(**RULE_SAMPLES[key])
            value.split("{serial")[0].format(**RULE_SAMPLES[key])
        except (KeyError, IndexError, ValueError):
            raise ServiceError("参数“%s”的值“%s”格式不正确，可用的占位符：%s"
                               % (description, value, "、".join("{%s}" % name for name in RULE_SAMPLES[key])),
                               field="value")


def ensure_defaults():
    """Insert any missing setting rows with their defaults (no commit)."""
    for key, (value, description, _pattern) in DEFAULTS.items():
        if db.session.get(SystemSetting, key) is None:
            db.session.add(SystemSetting(key=key, value=value, description=description))
