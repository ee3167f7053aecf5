"""Validators for 身份证号 (GB 11643), 统一社会信用代码 (GB 32100) and mobile numbers, with WTForms wrappers."""

from __future__ import annotations

import re
from datetime import date
from typing import Optional

from wtforms.validators import ValidationError

__all__ = [
    "check_id_number",
    "normalize_id_number",
    "id_number_birth_date",
    "id_number_gender",
    "id_check_char",
    "mask_id_number",
    "check_uscc",
    "normalize_uscc",
    "uscc_check_char",
    "check_mobile",
    "is_phone",
    "PHONE_PATTERN",
    "PHONE_MESSAGE",
    "normalize_mobile",
    "IdNumber",
    "Uscc",
    "Mobile",
    "ID_PROVINCE_CODES",
    "USCC_CHARSET",
]


def N_(msg: str) -> str:
    """Mark a message for extraction by pybabel (a default keyword) without translating it."""
    return msg


def _t(msg: str) -> str:
    """Translate msg with flask_babel, or return it unchanged outside a configured Flask app."""
    try:
        from flask_babel import gettext as _

        return _(msg)
    except (RuntimeError, KeyError, AttributeError):
        return msg


# --- messages (Chinese msgids) -------------------------------------------------------------

MSG_ID_REQUIRED = N_("请填写身份证号")
MSG_ID_LENGTH = N_("身份证号应为18位")
MSG_ID_SPACES = N_("身份证号中间不能有空格，请删除空格后重新填写")
MSG_ID_CHARS = N_("身份证号含有非法字符")
MSG_ID_CHECKSUM = N_("身份证号校验位错误")
MSG_ID_BIRTH_DATE = N_("身份证号中的出生日期无效")
MSG_ID_AGE = N_("身份证号中的年龄不在16至70周岁之间")
MSG_ID_PROVINCE = N_("身份证号中的省份代码无效")

MSG_USCC_REQUIRED = N_("请填写统一社会信用代码")
MSG_USCC_LENGTH = N_("统一社会信用代码应为18位")
MSG_USCC_CHARS = N_("统一社会信用代码含有非法字符")
MSG_USCC_CHECKSUM = N_("统一社会信用代码校验位错误")

MSG_MOBILE_REQUIRED = N_("请填写手机号")
MSG_MOBILE_FORMAT = N_("手机号格式不正确（应为11位，以13-19开头）")

# --- 身份证号 (GB 11643-1999) -------------------------------------------------------------

ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK_CHARS = "10X98765432"
ID_PROVINCE_CODES = frozenset(
    {
        "11", "12", "13", "14", "15",
        "21", "22", "23",
        "31", "32", "33", "34", "35", "36", "37",
        "41", "42", "43", "44", "45", "46",
        "50", "51", "52", "53", "54",
        "61", "62", "63", "64", "65",
        "71", "81", "82", "83",
    }
)
ID_MIN_AGE = 16
ID_MAX_AGE = 70

_ID_RE = re.compile(r"[0-9]{17}[0-9X]")
_DIGITS17_RE = re.compile(r"[0-9]{17}")


def _is_blank(value) -> bool:
    """Return True when value is None or only whitespace."""
    return value is None or str(value).strip() == ""


def normalize_id_number(value) -> str:
    """Return the ID number stripped of surrounding whitespace and upper-cased ('' for None)."""
    if value is None:
        return ""
    return str(value).strip().upper()


def id_check_char(first17: str) -> str:
    """Return the GB 11643 check character for the first 17 digits of an ID number."""
    if not isinstance(first17, str) or not _DIGITS17_RE.fullmatch(first17):
        raise ValueError("first17 must be exactly 17 ASCII digits")
    total = sum(int(c) * w for c, w in zip(first17, ID_WEIGHTS))
    return ID_CHECK_CHARS[total % 11]


def id_number_birth_date(value) -> date:
    """Return the birth date encoded in an 18-digit ID number (ValueError if not a real date)."""
    v = normalize_id_number(value)
    if len(v) != 18 or not _DIGITS17_RE.fullmatch(v[:17]):
        raise ValueError("not an 18-digit ID number")
    return date(int(v[6:10]), int(v[10:12]), int(v[12:14]))


def id_number_gender(value) -> str:
    """Return "男" when the 17th digit is odd, otherwise "女"."""
    v = normalize_id_number(value)
    if len(v) != 18 or not v[16].isdigit() or not v[16].isascii():
        raise ValueError("not an 18-digit ID number")
    return "男" if int(v[16]) % 2 == 1 else "女"


def _age_on(birth: date, today: date) -> int:
    """Return completed years of age on today for someone born on birth."""
    return today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))


def check_id_number(value, today: Optional[date] = None) -> Optional[str]:
    """Return a (translated) Chinese error message for an invalid 身份证号, or None if valid."""
    if _is_blank(value):
        return _t(MSG_ID_REQUIRED)
    v = normalize_id_number(value)
    if any(c.isspace() for c in v):
        return _t(MSG_ID_SPACES)
    if len(v) != 18:
        return _t(MSG_ID_LENGTH)
    if not _ID_RE.fullmatch(v):
        return _t(MSG_ID_CHARS)
    if id_check_char(v[:17]) != v[17]:
        return _t(MSG_ID_CHECKSUM)
    if v[:2] not in ID_PROVINCE_CODES:
        return _t(MSG_ID_PROVINCE)
    if today is None:
        today = date.today()
    try:
        birth = id_number_birth_date(v)
    except ValueError:
        return _t(MSG_ID_BIRTH_DATE)
    if birth > today:
        return _t(MSG_ID_BIRTH_DATE)
    if not ID_MIN_AGE <= _age_on(birth, today) <= ID_MAX_AGE:
        return _t(MSG_ID_AGE)
    return None


def mask_mobile(value) -> str:
    """Mask a mobile number keeping the first 3 and last 4 digits ("138****5678")."""
    v = (value or "").strip()
    if len(v) <= 7:
        return "*" * len(v)
    return v[:3] + "*" * (len(v) - 7) + v[-4:]


def mask_id_number(value) -> str:
    """Mask an ID number keeping the first 6 and last 4 characters ("330106********1234")."""
    v = normalize_id_number(value)
    if not v:
        return ""
    if len(v) <= 10:
        return "*" * len(v)
    return v[:6] + "*" * (len(v) - 10) + v[-4:]


# --- 统一社会信用代码 (GB 32100-2015) -----------------------------------------------------

USCC_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_USCC_VALUES = {c: i for i, c in enumerate(USCC_CHARSET)}


def normalize_uscc(value) -> str:
    """Return the USCC stripped of surrounding whitespace and upper-cased ('' for None)."""
    if value is None:
        return ""
    return str(value).strip().upper()


def uscc_check_char(first17: str) -> str:
    """Return the GB 32100 check character for the first 17 characters of a USCC."""
    if not isinstance(first17, str) or len(first17) != 17:
        raise ValueError("first17 must be exactly 17 characters")
    s = first17.upper()
    if any(c not in _USCC_VALUES for c in s):
        raise ValueError("first17 contains characters outside the USCC charset")
    total = sum(_USCC_VALUES[c] * w for c, w in zip(s, USCC_WEIGHTS))
    return USCC_CHARSET[(31 - total % 31) % 31]


def check_uscc(value) -> Optional[str]:
    """Return a (translated) Chinese error message for an invalid 统一社会信用代码, or None if valid."""
    if _is_blank(value):
        return _t(MSG_USCC_REQUIRED)
    v = normalize_uscc(value)
    if len(v) != 18:
        return _t(MSG_USCC_LENGTH)
    if any(c not in _USCC_VALUES for c in v):
        return _t(MSG_USCC_CHARS)
    if uscc_check_char(v[:17]) != v[17]:
        return _t(MSG_USCC_CHECKSUM)
    return None


# --- 手机号 ----------------------------------------------------------------------------------

_MOBILE_RE = re.compile(r"1[3-9][0-9]{9}")


def normalize_mobile(value) -> str:
    """Return the mobile number stripped of surrounding whitespace ('' for None)."""
    if value is None:
        return ""
    return str(value).strip()


# 联系电话: an 11-digit mobile, or area code + number with an optional extension (0571-87654321, 057187654321-8).
PHONE_PATTERN = re.compile(r"^(1[3-9]\d{9}|0\d{2,3}-?\d{7,8}(-\d{1,6})?)$")
PHONE_MESSAGE = "联系电话应为11位手机号或区号+号码，如 0571-87654321"


def is_phone(value) -> bool:
    """Whether `value` is a 联系电话 (PHONE_PATTERN)."""
    return bool(PHONE_PATTERN.match(value or ""))


def check_mobile(value) -> Optional[str]:
    """Return a (translated) Chinese error message for an invalid mainland mobile number, or None."""
    if _is_blank(value):
        return _t(MSG_MOBILE_REQUIRED)
    if not _MOBILE_RE.fullmatch(normalize_mobile(value)):
        return _t(MSG_MOBILE_FORMAT)
    return None


# --- WTForms validators ---------------------------------------------------------------------


class _NormalizingValidator:
    """Base WTForms validator: skip empty data, normalise field.data, raise on a check error."""

    normalize = staticmethod(lambda value: value)

    def __init__(self, message: Optional[str] = None):
        """Optionally override the error message shown to the user."""
        self.message = message

    def check(self, value) -> Optional[str]:
        """Return an error message for value, or None."""
        raise NotImplementedError

    def __call__(self, form, field):
        """Validate field.data in place; empty data is left to DataRequired/Optional."""
        if _is_blank(field.data):
            return
        field.data = self.normalize(field.data)
        error = self.check(field.data)
        if error is not None:
            raise ValidationError(self.message or error)


class IdNumber(_NormalizingValidator):
    """WTForms validator for an 18-digit 身份证号 (GB 11643)."""

    normalize = staticmethod(normalize_id_number)

    def __init__(self, message: Optional[str] = None, today: Optional[date] = None):
        """Optionally override the message and freeze "today" for the age check."""
        super().__init__(message)
        self.today = today

    def check(self, value) -> Optional[str]:
        """Return an error message for value, or None."""
        return check_id_number(value, today=self.today)


class Uscc(_NormalizingValidator):
    """WTForms validator for an 18-character 统一社会信用代码 (GB 32100)."""

    normalize = staticmethod(normalize_uscc)

    def check(self, value) -> Optional[str]:
        """Return an error message for value, or None."""
        return check_uscc(value)


class Mobile(_NormalizingValidator):
    """WTForms validator for a mainland mobile number 1[3-9]xxxxxxxxx."""

    normalize = staticmethod(normalize_mobile)

    def check(self, value) -> Optional[str]:
        """Return an error message for value, or None."""
        return check_mobile(value)
