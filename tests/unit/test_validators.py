"""Unit tests for app.validators (身份证号, 统一社会信用代码, mobile numbers)."""

from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from werkzeug.datastructures import MultiDict
from wtforms import Form, StringField
from wtforms.validators import ValidationError

from app.validators import (
    ID_PROVINCE_CODES,
    USCC_CHARSET,
    IdNumber,
    Mobile,
    Uscc,
    _t,
    check_id_number,
    check_mobile,
    check_uscc,
    id_check_char,
    id_number_birth_date,
    id_number_gender,
    mask_id_number,
    normalize_id_number,
    uscc_check_char,
)

TODAY = date(2026, 11, 28)

MSG_ID_REQUIRED = "请填写身份证号"
MSG_ID_LENGTH = "身份证号应为18位"
MSG_ID_CHARS = "身份证号含有非法字符"
MSG_ID_SPACES = "身份证号中间不能有空格，请删除空格后重新填写"
MSG_ID_CHECKSUM = "身份证号校验位错误"
MSG_ID_BIRTH = "身份证号中的出生日期无效"
MSG_ID_AGE = "身份证号中的年龄不在16至70周岁之间"
MSG_ID_PROVINCE = "身份证号中的省份代码无效"
MSG_USCC_REQUIRED = "请填写统一社会信用代码"
MSG_USCC_LENGTH = "统一社会信用代码应为18位"
MSG_USCC_CHARS = "统一社会信用代码含有非法字符"
MSG_USCC_CHECKSUM = "统一社会信用代码校验位错误"
MSG_MOBILE_REQUIRED = "请填写手机号"
MSG_MOBILE_FORMAT = "手机号格式不正确（应为11位，以13-19开头）"


def make_id(area="330106", birth="19900307", seq="123"):
    """Build an 18-digit ID with a correct check character."""
    first17 = area + birth + seq
    return first17 + id_check_char(first17)


def wrong_check(correct):
    """Return a check character different from correct."""
    return "0" if correct != "0" else "1"


# --- check characters against published values ---------------------------------------------


def ref_id_check_char(first17):
    """Independent ISO 7064 MOD 11-2 oracle: weights 2^(17-i) mod 11, check = (12 - sum) mod 11."""
    total = sum(int(c) * pow(2, 17 - i, 11) for i, c in enumerate(first17))
    r = (12 - total % 11) % 11
    return "X" if r == 10 else str(r)


def ref_uscc_check_char(first17):
    """Independent GB 32100 oracle: weights 3^i mod 31 over the 31-character alphabet."""
    alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    total = sum(alphabet.index(c) * pow(3, i, 31) for i, c in enumerate(first17.upper()))
    return alphabet[-total % 31]


# one ID per possible check character (0-9, X), pinned from the oracle above
ID_VECTORS = [
    "330106198501010001", "330106198501020007", "330106198501030002", "330106198501040008",
    "330106198501050003", "330106198501060009", "330106198501070004", "33010619850108000X",
    "330106198501090005", "330106198501180000", "330106198501190006",
]

# one USCC per possible check character (all 31), pinned from the oracle above
USCC_VECTORS = [
    "91330106MA20000150", "91330106MA20000251", "91330106MA20000062", "91330106MA20000163",
    "91330106MA20000264", "91330106MA20000075", "91330106MA20000176", "91330106MA20000277",
    "91330106MA20000088", "91330106MA20000189", "91330106MA2000028A", "91330106MA2000009B",
    "91330106MA2000019C", "91330106MA2000029D", "91330106MA2000039E", "91330106MA2000000F",
    "91330106MA2000010G", "91330106MA2000020H", "91330106MA2000001J", "91330106MA2000011K",
    "91330106MA2000021L", "91330106MA2000002M", "91330106MA2000012N", "91330106MA2000022P",
    "91330106MA2000003Q", "91330106MA2000013R", "91330106MA2000023T", "91330106MA2000004U",
    "91330106MA2000014W", "91330106MA2000024X", "91330106MA2000005Y",
]


def test_vectors_cover_every_check_char():
    assert sorted(v[17] for v in ID_VECTORS) == sorted("0123456789X")
    assert sorted(v[17] for v in USCC_VECTORS) == sorted(USCC_CHARSET)


@pytest.mark.parametrize("value", ID_VECTORS)
def test_id_known_answer_vectors(value):
    assert id_check_char(value[:17]) == value[17]
    assert check_id_number(value, today=TODAY) is None


@pytest.mark.parametrize("value", USCC_VECTORS)
def test_uscc_known_answer_vectors(value):
    assert uscc_check_char(value[:17]) == value[17]
    assert check_uscc(value) is None


def test_oracles_agree_with_published_samples():
    assert ref_id_check_char("11010519491231002") == "X"
    assert ref_uscc_check_char("91350100M000100Y4") == "3"


def test_id_check_char_published_sample():
    assert id_check_char("11010519491231002") == "X"


def test_uscc_check_char_published_sample():
    assert uscc_check_char("91350100M000100Y4") == "3"
    assert uscc_check_char("91350100m000100y4") == "3"


@pytest.mark.parametrize("bad", ["1234567890123456", "123456789012345678", "1234567890123456X", None])
def test_id_check_char_rejects_bad_input(bad):
    with pytest.raises(ValueError):
        id_check_char(bad)


@pytest.mark.parametrize("bad", ["91350100M000100Y", "91350100M000100I4", "91350100M000100Y43"])
def test_uscc_check_char_rejects_bad_input(bad):
    with pytest.raises(ValueError):
        uscc_check_char(bad)


# --- 身份证号 --------------------------------------------------------------------------------


def test_valid_id_accepted():
    assert check_id_number(make_id(), today=TODAY) is None


def test_published_sample_id_checksum_ok_but_too_old():
    value = "11010519491231002X"
    assert id_check_char(value[:17]) == value[17]
    assert check_id_number(value, today=TODAY) == MSG_ID_AGE
    # the same ID was acceptable when its holder was of working age
    assert check_id_number(value, today=date(2010, 1, 1)) is None


def test_published_sample_id_default_today_rejected_for_age():
    # born 1949: over 70 for any "today" from 2020 onwards
    assert check_id_number("11010519491231002X") == MSG_ID_AGE


def test_lowercase_x_accepted_and_normalised():
    value = "11010519491231002x"
    assert check_id_number(value, today=date(2010, 1, 1)) is None
    assert normalize_id_number(value) == "11010519491231002X"
    assert normalize_id_number("  " + value + "\n") == "11010519491231002X"


def test_abolished_area_code_330103_accepted():
    value = make_id(area="330103", birth="19850615", seq="042")
    assert check_id_number(value, today=TODAY) is None


def test_unknown_area_within_known_province_accepted():
    # area digits are not checked against any table (e.g. newly created districts)
    assert check_id_number(make_id(area="339999"), today=TODAY) is None


@pytest.mark.parametrize("value", [None, "", "   "])
def test_id_required(value):
    assert check_id_number(value, today=TODAY) == MSG_ID_REQUIRED


@pytest.mark.parametrize("value", ["33010619900307123", "3301061990030712345", "330106900307123"])
def test_id_wrong_length(value):
    assert check_id_number(value, today=TODAY) == MSG_ID_LENGTH


@pytest.mark.parametrize(
    "value",
    [
        "33010619900307A234",  # letter in the body
        "3301061990030712Y4",
        "33010619900307123Y",  # check char neither digit nor X
        "X30106199003071234",
        "３30106199003071234",  # full-width digit
    ],
)
def test_id_illegal_characters(value):
    assert check_id_number(value, today=TODAY) == MSG_ID_CHARS


@pytest.mark.parametrize("value", ["33010619900307 234", "330106 19900307123 4", "330106\u300019900307123"])
def test_spaces_inside_an_id_number_are_named(value):
    """Not "应为18位" / "非法字符": the true reason, whatever the length with the spaces."""
    assert check_id_number(value, today=TODAY) == MSG_ID_SPACES


def test_id_checksum_error():
    good = make_id()
    bad = good[:17] + wrong_check(good[17])
    assert check_id_number(bad, today=TODAY) == MSG_ID_CHECKSUM


def test_id_checksum_error_x_instead_of_digit():
    good = make_id()
    assert good[17] != "X"
    assert check_id_number(good[:17] + "X", today=TODAY) == MSG_ID_CHECKSUM


@pytest.mark.parametrize("birth", ["19900230", "19901301", "19900001", "19900100", "19890229", "00000101"])
def test_id_invalid_birth_date(birth):
    assert check_id_number(make_id(birth=birth), today=TODAY) == MSG_ID_BIRTH


def test_id_leap_day_birth_accepted():
    assert check_id_number(make_id(birth="19880229"), today=TODAY) is None


def test_id_future_birth_date_rejected():
    assert check_id_number(make_id(birth="20270101"), today=TODAY) == MSG_ID_BIRTH


@pytest.mark.parametrize("province", ["00", "10", "16", "20", "30", "39", "47", "55", "60", "70", "72", "84", "91", "99"])
def test_id_invalid_province(province):
    assert check_id_number(make_id(area=province + "0106"), today=TODAY) == MSG_ID_PROVINCE


@pytest.mark.parametrize("province", ["11", "33", "46", "65", "71", "81", "82", "83"])
def test_id_known_provinces_accepted(province):
    assert check_id_number(make_id(area=province + "0106"), today=TODAY) is None


@pytest.mark.parametrize(
    "birth, expected",
    [
        ("20101128", None),  # turns 16 today
        ("20101129", MSG_ID_AGE),  # turns 16 tomorrow
        ("19551129", None),  # 70, turns 71 tomorrow
        ("19551128", MSG_ID_AGE),  # turns 71 today
        ("20200101", MSG_ID_AGE),
        ("19300101", MSG_ID_AGE),
    ],
)
def test_id_age_boundaries(birth, expected):
    assert check_id_number(make_id(birth=birth), today=TODAY) == expected


def test_id_birth_date_and_gender():
    value = make_id(birth="19900307", seq="124")
    assert id_number_birth_date(value) == date(1990, 3, 7)
    assert id_number_gender(value) == "女"  # 17th digit 4 is even
    assert id_number_gender(make_id(seq="123")) == "男"  # 17th digit 3 is odd
    assert id_number_gender(make_id(seq="120")) == "女"  # 0 counts as even
    assert id_number_gender("11010519491231002x") == "女"


def test_id_birth_date_invalid_raises():
    with pytest.raises(ValueError):
        id_number_birth_date(make_id(birth="19900230"))
    with pytest.raises(ValueError):
        id_number_birth_date("123")


# --- masking ---------------------------------------------------------------------------------


def test_mask_id_number():
    assert mask_id_number("330106199003071234") == "330106********1234"
    assert mask_id_number("11010519491231002x") == "110105********002X"


@pytest.mark.parametrize("value", [None, ""])
def test_mask_empty(value):
    assert mask_id_number(value) == ""


def test_mask_short_values_do_not_leak():
    assert mask_id_number("1234") == "****"
    masked = mask_id_number("330106900307123")  # 15-digit legacy number
    assert masked == "330106*****7123"
    assert "900307" not in masked


# --- 统一社会信用代码 ----------------------------------------------------------------------------


def test_published_sample_uscc_valid():
    assert check_uscc("91350100M000100Y43") is None


def test_uscc_lowercase_accepted():
    assert check_uscc("91350100m000100y43") is None
    assert check_uscc(" 91350100M000100Y43 ") is None


def test_built_uscc_valid():
    first17 = "91330106MA2AB3CD4"
    assert check_uscc(first17 + uscc_check_char(first17)) is None


@pytest.mark.parametrize("value", [None, "", "  "])
def test_uscc_required(value):
    assert check_uscc(value) == MSG_USCC_REQUIRED


@pytest.mark.parametrize("value", ["91350100M000100Y4", "91350100M000100Y433"])
def test_uscc_wrong_length(value):
    assert check_uscc(value) == MSG_USCC_LENGTH


@pytest.mark.parametrize("ch", ["I", "O", "Z", "S", "V", "-", "*"])
def test_uscc_illegal_characters(ch):
    assert check_uscc("91350100M000100" + ch + "43") == MSG_USCC_CHARS


def test_uscc_checksum_error():
    assert check_uscc("91350100M000100Y44") == MSG_USCC_CHECKSUM
    assert check_uscc("91350100M000100Y34") == MSG_USCC_CHECKSUM


# --- 手机号 ----------------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["13012345678", "19999999999", "15800001111", " 13912345678 "])
def test_mobile_valid(value):
    assert check_mobile(value) is None


@pytest.mark.parametrize(
    "value",
    ["12012345678", "10012345678", "1301234567", "130123456789", "23012345678", "1301234567a", "+8613012345678",
     "130 1234 5678", "１3012345678", "13012345678\n0"],
)
def test_mobile_invalid(value):
    assert check_mobile(value) == MSG_MOBILE_FORMAT


@pytest.mark.parametrize("value", [None, "", " "])
def test_mobile_required(value):
    assert check_mobile(value) == MSG_MOBILE_REQUIRED


# --- translation helper ----------------------------------------------------------------------


def test_t_outside_app_context_returns_msgid():
    assert _t(MSG_ID_AGE) == MSG_ID_AGE


def test_t_in_app_context_without_babel_falls_back():
    flask = pytest.importorskip("flask")
    app = flask.Flask(__name__)
    with app.test_request_context():
        assert check_mobile("123") == MSG_MOBILE_FORMAT


# --- WTForms validators ----------------------------------------------------------------------


class PersonForm(Form):
    id_number = StringField(validators=[IdNumber(today=TODAY)])
    uscc = StringField(validators=[Uscc()])
    mobile = StringField(validators=[Mobile()])


def test_form_valid_and_normalised():
    first17 = "11010519941231002"
    form = PersonForm(
        MultiDict(
            {
                "id_number": " " + (first17 + id_check_char(first17)).lower() + " ",
                "uscc": "91350100m000100y43",
                "mobile": " 13912345678 ",
            }
        )
    )
    assert form.validate(), form.errors
    assert form.id_number.data == (first17 + id_check_char(first17)).upper()
    assert form.uscc.data == "91350100M000100Y43"
    assert form.mobile.data == "13912345678"


def test_form_empty_fields_skipped():
    form = PersonForm(MultiDict({"id_number": "", "uscc": "", "mobile": ""}))
    assert form.validate(), form.errors


def test_form_errors_carry_messages():
    form = PersonForm(MultiDict({"id_number": "11010519491231002X", "uscc": "91350100M000100Y44", "mobile": "12345"}))
    assert not form.validate()
    assert form.errors["id_number"] == [MSG_ID_AGE]
    assert form.errors["uscc"] == [MSG_USCC_CHECKSUM]
    assert form.errors["mobile"] == [MSG_MOBILE_FORMAT]


def test_validator_raises_validation_error_and_custom_message():
    class Field:
        data = "33010619900307123"

    with pytest.raises(ValidationError) as exc:
        IdNumber(today=TODAY)(None, Field())
    assert str(exc.value) == MSG_ID_LENGTH
    with pytest.raises(ValidationError) as exc:
        IdNumber(message="自定义")(None, Field())
    assert str(exc.value) == "自定义"


# --- property tests --------------------------------------------------------------------------

EARLIEST_BIRTH = date(TODAY.year - 71, TODAY.month, TODAY.day) + timedelta(days=1)  # age 70
LATEST_BIRTH = date(TODAY.year - 16, TODAY.month, TODAY.day)  # age 16

@st.composite
def id_first17(draw):
    """Draw the first 17 digits of an ID with a known province and a birth date in working age."""
    province = draw(st.sampled_from(sorted(ID_PROVINCE_CODES)))
    area = draw(st.text(alphabet="0123456789", min_size=4, max_size=4))
    birth = draw(st.dates(min_value=EARLIEST_BIRTH, max_value=LATEST_BIRTH))
    seq = draw(st.text(alphabet="0123456789", min_size=3, max_size=3))
    return province + area + birth.strftime("%Y%m%d") + seq


@settings(max_examples=300, deadline=None)
@given(id_first17())
def test_property_id_check_char_validates_and_others_fail(first17):
    correct = id_check_char(first17)
    assert correct == ref_id_check_char(first17)
    assert check_id_number(first17 + correct, today=TODAY) is None
    assert check_id_number(first17 + correct.lower(), today=TODAY) is None
    for other in "0123456789X":
        if other != correct:
            assert check_id_number(first17 + other, today=TODAY) == MSG_ID_CHECKSUM


@settings(max_examples=300, deadline=None)
@given(id_first17(), st.integers(min_value=0, max_value=16), st.integers(min_value=1, max_value=9))
def test_property_id_single_digit_change_detected(first17, pos, delta):
    value = first17 + id_check_char(first17)
    changed = value[:pos] + str((int(value[pos]) + delta) % 10) + value[pos + 1:]
    assert check_id_number(changed, today=TODAY) is not None


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=USCC_CHARSET, min_size=17, max_size=17))
def test_property_uscc_check_char_validates_and_others_fail(first17):
    correct = uscc_check_char(first17)
    assert correct == ref_uscc_check_char(first17)
    assert check_uscc(first17 + correct) is None
    assert check_uscc((first17 + correct).lower()) is None
    for other in USCC_CHARSET:
        if other != correct:
            assert check_uscc(first17 + other) == MSG_USCC_CHECKSUM


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="0123456789", min_size=17, max_size=17), st.sampled_from("0123456789Xx"))
def test_property_mask_keeps_length_18(first17, last):
    value = first17 + last
    masked = mask_id_number(value)
    assert len(masked) == 18
    assert masked[:6] == value[:6]
    assert masked[-4:] == value[-4:].upper()
    assert masked[6:14] == "*" * 8
