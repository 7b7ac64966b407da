from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from stdnum.cn import ric, uscc

from core.identifiers import (
    InvalidValue,
    ResidentId,
    known_region_codes,
    normalize_text,
    parse_amount,
    parse_date,
    parse_score,
    validate_mobile,
    validate_resident_id,
    validate_uscc,
)

TODAY = date(2027, 3, 1)
VALID_USCC = "91350100M000100Y43"


def make_resident_id(region: str, born: str, sequence: str = "123") -> str:
    """An 18-digit number with the right check digit (stdnum ignores the last character)."""
    body = region + born + sequence
    return body + ric.calc_check_digit(body + "0")


def make_uscc(first_17: str) -> str:
    return first_17 + uscc.calc_check_digit(first_17)


def code_of(func, *args, **kwargs) -> str:
    with pytest.raises(InvalidValue) as caught:
        func(*args, **kwargs)
    assert caught.value.detail  # always a sentence for people
    return caught.value.code


# --- normalize_text -------------------------------------------------------------------


def test_normalize_text_turns_full_width_ascii_and_ideographic_spaces_into_half_width():
    assert normalize_text("\u3000１２０万，ＡＢＣ－ｘ\u3000") == "120万,ABC-x"


def test_normalize_text_strips_surrounding_whitespace_and_keeps_chinese_text():
    assert normalize_text("  王伟 \t\n") == "王伟"


# --- unified social credit code -------------------------------------------------------


def test_a_real_unified_social_credit_code_is_accepted():
    assert validate_uscc(VALID_USCC) == VALID_USCC


def test_a_unified_social_credit_code_is_upper_cased_and_half_width():
    assert validate_uscc(" 91350100m000100y43 ") == VALID_USCC
    assert validate_uscc("９１３５０１００Ｍ０００１００Ｙ４３") == VALID_USCC


@pytest.mark.parametrize("wrong", ["0", "1", "2", "A", "L", "Y"])
def test_a_unified_social_credit_code_with_a_wrong_check_character_is_refused(wrong):
    code = VALID_USCC[:17] + wrong
    assert code_of(validate_uscc, code) == "invalid_uscc"


@pytest.mark.parametrize("first", ["Y", "N", "A"])
def test_a_code_registered_by_a_letter_authority_is_accepted_although_stdnum_refuses_it(first):
    code = make_uscc(first + "1350100M000100Y4")
    assert not uscc.is_valid(code)  # the reason for checking the pattern ourselves
    assert validate_uscc(code) == code


@pytest.mark.parametrize(
    "value",
    [
        "",
        VALID_USCC[:17],  # too short
        VALID_USCC + "0",  # too long
        "B1350100M000100Y43",  # B is not a registration authority
        "913501A0M000100Y43",  # the region part is digits only
        "91350100M00010OY43",  # O is not in the alphabet
        "91350100M00010IY43",  # nor I
        "91350100M000100S43",  # nor S
    ],
)
def test_a_unified_social_credit_code_of_the_wrong_shape_is_refused(value):
    assert code_of(validate_uscc, value) == "invalid_uscc"


# --- resident ID ----------------------------------------------------------------------


def test_a_valid_resident_id_gives_its_birth_date_region_and_sex():
    assert validate_resident_id("511521197008191967", today=TODAY) == ResidentId(
        number="511521197008191967", birth_date=date(1970, 8, 19), region_code="511521", sex="F"
    )
    assert validate_resident_id(make_resident_id("510122", "19850304", "011"), today=TODAY).sex == "M"


def test_a_resident_id_ending_in_a_lower_case_x_comes_back_upper_case():
    number = next(n for seq in range(1000) if (n := make_resident_id("510122", "19850304", f"{seq:03d}")).endswith("X"))
    assert validate_resident_id(f" {number.lower()} ", today=TODAY).number == number
    assert validate_resident_id(number.translate(str.maketrans("0123456789X", "０１２３４５６７８９Ｘ")), today=TODAY)


def test_the_business_date_is_a_required_keyword_argument():
    with pytest.raises(TypeError):
        validate_resident_id("511521197008191967")  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        validate_resident_id("511521197008191967", TODAY)  # type: ignore[misc]


@pytest.mark.parametrize(
    "value",
    [
        "",
        "51152119700819196",
        "5115211970081919670",
        "51152170081919",
        "51152119700819196Y",
        "X11521197008191967",
    ],
)
def test_a_resident_id_of_the_wrong_shape_is_refused(value):
    assert code_of(validate_resident_id, value, today=TODAY) == "invalid_id_format"


def test_a_resident_id_with_a_wrong_check_digit_is_refused():
    assert code_of(validate_resident_id, "511521197008191968", today=TODAY) == "invalid_id_checksum"


@pytest.mark.parametrize(
    "born",
    [
        "19700230",  # no 30 February
        "19701301",  # no month 13
        "19700000",
        "20270302",  # after the business date
        "18991231",  # before 1900
    ],
)
def test_a_resident_id_without_a_real_past_birth_date_is_refused(born):
    number = make_resident_id("510122", born)
    assert code_of(validate_resident_id, number, today=TODAY) == "invalid_birth_date"


def test_a_birth_on_the_business_date_or_on_29_february_is_accepted():
    assert validate_resident_id(make_resident_id("510122", "20270301"), today=TODAY).birth_date == TODAY
    assert validate_resident_id(make_resident_id("510122", "20000229"), today=TODAY)


def test_a_resident_id_with_an_unknown_region_code_is_refused():
    assert code_of(validate_resident_id, make_resident_id("990101", "19800101"), today=TODAY) == ("unknown_region_code")


@pytest.mark.parametrize(
    ("region", "born"),
    [
        ("110112", "19800101"),  # Tongzhou district: code issued in 1997, after the birth
        ("110103", "20150101"),  # Chongwen district: code retired in 2010
    ],
)
def test_a_known_region_code_is_accepted_whatever_the_birth_year(region, born):
    number = make_resident_id(region, born)
    assert not ric.is_valid(number)  # the reason for not using stdnum's validate
    assert validate_resident_id(number, today=TODAY).region_code == region


def test_the_known_region_codes_are_every_six_digit_code_of_stdnums_table():
    codes = known_region_codes()
    assert len(codes) > 3000
    assert {"110000", "110101", "510122", "513821"} <= codes
    assert all(len(code) == 6 and code.isdigit() for code in codes)


def test_an_error_detail_never_repeats_the_identity_number():
    number = "511521197008191968"
    with pytest.raises(InvalidValue) as caught:
        validate_resident_id(number, today=TODAY)
    assert number not in caught.value.detail
    assert number not in str(caught.value)


# --- mobile -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        "13812345678",
        " 138 1234 5678 ",
        "138-1234-5678",
        "+86 138 1234 5678",
        "+8613812345678",
        "008613812345678",
        "86-13812345678",
        "１３８１２３４５６７８",
        "＋８６\u3000１３８１２３４５６７８",
    ],
)
def test_a_mainland_mobile_number_is_read_without_separators_or_country_code(value):
    assert validate_mobile(value) == "13812345678"


@pytest.mark.parametrize(
    "value",
    [
        "",
        "1381234567",
        "138123456789",
        "12812345678",
        "23812345678",
        "028-12345678",
        "+85213812345678",
        "abc",
    ],
)
def test_anything_but_a_mainland_mobile_number_is_refused(value):
    assert code_of(validate_mobile, value) == "invalid_phone"


# --- amounts ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1200000", "1200000.00"),
        ("1,200,000.00", "1200000.00"),
        ("120万", "1200000.00"),
        ("12.5万", "125000.00"),
        ("120万元", "1200000.00"),
        ("１２０万", "1200000.00"),
        ("１，２００", "1200.00"),
        ("１２００．５", "1200.50"),
        ("  1200000  ", "1200000.00"),
        ("1200000元", "1200000.00"),
        ("¥1,200", "1200.00"),
        ("￥1200.5", "1200.50"),
        ("120 万", "1200000.00"),
        ("0", "0.00"),
        ("-0", "0.00"),
        ("0.005", "0.01"),  # half-up to the fen
        ("0.004", "0.00"),
        ("1.23456万", "12345.60"),
        ("0.000001万", "0.01"),
        ("007", "7.00"),
    ],
)
def test_amounts_are_read_the_way_anchors_type_them(text, expected):
    result = parse_amount(text)
    assert result == Decimal(expected)
    assert str(result) == expected  # always two decimals


@pytest.mark.parametrize("text", ["-1", "-1,200.00", "－１２０万", "¥-5", "-¥5"])
def test_a_negative_amount_is_refused_as_negative(text):
    assert code_of(parse_amount, text) == "negative_amount"


@pytest.mark.parametrize(
    "text",
    [
        "",
        "  ",
        "abc",
        "1,20",
        "12,00,000",
        "1.2.3",
        "1e6",
        "NaN",
        "Infinity",
        "万",
        "1万万",
        ".5",
        "5.",
        "--5",
    ],
)
def test_an_unreadable_amount_is_refused(text):
    assert code_of(parse_amount, text) == "invalid_amount"


@pytest.mark.parametrize("text", ["1" * 40, "10000000000000000", "1000000000000万", "9999999999999999.995"])
def test_an_amount_a_money_column_cannot_hold_is_too_large(text):
    """NUMERIC(18, 2): sixteen digits before the point, after the rounding to the fen."""
    assert code_of(parse_amount, text) == "amount_too_large"


def test_the_largest_amount_a_money_column_holds_is_read():
    assert parse_amount("9999999999999999.99") == Decimal("9999999999999999.99")


@given(st.decimals(min_value=0, max_value=10**12, places=2))
def test_an_amount_written_with_thousands_separators_reads_back_exactly(value):
    assert parse_amount(f"{value:,.2f}") == value
    assert parse_amount(f"{value}") == value


@given(st.integers(min_value=0, max_value=10**8), st.integers(min_value=0, max_value=9999))
def test_an_amount_in_wan_is_ten_thousand_yuan(wan, fraction):
    assert parse_amount(f"{wan}.{fraction:04d}万") == Decimal(f"{wan}{fraction:04d}.00")


# --- scores -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("85", "85.00"),
        ("85.0", "85.00"),
        ("0", "0.00"),
        ("100", "100.00"),
        ("１００", "100.00"),
        ("75.5", "75.50"),
        ("75.55", "75.55"),
        ("７５．５", "75.50"),
        ("75.500", "75.50"),
        ("100.00", "100.00"),
    ],
)
def test_a_score_is_a_number_from_zero_to_one_hundred_with_up_to_two_decimals(text, expected):
    assert str(parse_score(text)) == expected


@pytest.mark.parametrize(
    "text", ["", "101", "100.01", "-1", "-0.5", "75.555", "75.505", "85.", ".5", "eighty", "1000", "85分"]
)
def test_any_other_score_is_refused(text):
    assert code_of(parse_score, text) == "invalid_score"


# --- dates ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "2027-02-13",
        "2027/2/13",
        "2027/02/13",
        "20270213",
        "2027-02-13 00:00:00",
        "2027-02-13 14:30",
        "2027-02-13T14:30:05",
        "2027.2.13",
        "2027年2月13日",
        "２０２７－０２－１３",
    ],
)
def test_dates_are_read_in_the_usual_spellings(text):
    assert parse_date(text) == date(2027, 2, 13)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "2027-02-30",
        "2027-13-01",
        "2027-2/13",
        "13/02/2027",
        "2027-02-13 25:00:00",
        "0000-01-01",
        "tomorrow",
    ],
)
def test_anything_but_a_real_date_is_refused(text):
    assert code_of(parse_date, text) == "invalid_date"
