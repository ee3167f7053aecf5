"""System settings: the configurable rules of the SPEC, with defaults kept here and values in the DB."""
import re

from app.extensions import db
from app.models import SystemSetting
from app.services import ServiceError

# key → (default, description, validator regex)
DEFAULTS = {
    "institution_code_rule": ("33{city:02d}{serial:03d}", "机构代码规则：33 + 城市序号(01-11) + 3位流水号", r".*\{serial"),
    "certificate_number_rule": ("{yy:02d}{institution_code}{trade_code}{serial:05d}",
                                "证书编号规则：2位年份 + 机构代码(7位) + 工种代码(3位) + 5位流水号", r".*\{serial"),
    "min_safety_teachers": ("2", "安全生产知识培训师资最少人数", r"^\d{1,3}$"),
    "min_theory_teachers_per_trade": ("1", "每工种职业理论知识培训师资最少人数", r"^\d{1,3}$"),
    "min_examiners_per_specialty": ("8", "每专业考评员最少人数", r"^\d{1,3}$"),
    "min_examiners_per_exam_plan": ("3", "每个考核计划考评员最少人数", r"^\d{1,3}$"),
    "default_pass_line": ("60", "成绩合格线（理论与实操均须达到）", r"^\d{1,3}(\.\d{1,2})?$"),
    "upload_max_mb": ("10", "上传文件大小上限（MB）", r"^\d{1,3}$"),
    "score_import_max_rows": ("5000", "成绩导入最大行数", r"^\d{1,6}$"),
    "export_sync_max_rows": ("5000", "超过该行数的导出转为后台任务", r"^\d{1,7}$"),
}


def get_setting(key):
    """The value of a setting as a string (the default when not stored)."""
    row = db.session.get(SystemSetting, key)
    return row.value if row is not None else DEFAULTS[key][0]


def get_int(key):
    return int(get_setting(key))


def validate_setting(key, value):
    """Raise ServiceError when a value does not fit its setting."""
    if key not in DEFAULTS:
        raise ServiceError("未知的系统参数：%s" % key)
    if not re.match(DEFAULTS[key][2], value or ""):
        raise ServiceError("参数“%s”的值“%s”格式不正确" % (DEFAULTS[key][1], value))


def ensure_defaults():
    """Insert any missing setting rows with their defaults (no commit)."""
    for key, (value, description, _pattern) in DEFAULTS.items():
        if db.session.get(SystemSetting, key) is None:
            db.session.add(SystemSetting(key=key, value=value, description=description))
