"""Scalar validators for what people type: identity numbers, phones, amounts, dates.

Every function is pure: it reads no clock, no settings and no database, and
either returns the value in its canonical form or raises ``InvalidValue``
with a stable snake_case ``code``. ``core.tabular`` applies the same rules to
whole columns at once (falling back to these functions for unusual values,
and tested against them), so that a value gets the same verdict in a form and
in an uploaded file.

Error details never repeat the value itself: identity and phone numbers are
personal information, and the caller already knows which field it passed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import cache
from typing import Literal

from django.utils.translation import gettext as _
from stdnum import numdb
from stdnum.cn import ric, uscc

from core.error_codes import ErrorCode

__all__ = [
    "AMOUNT_LIMIT",
    "EARLIEST_BIRTH_DATE",
    "EARLIEST_DATE",
    "InvalidValue",
    "ResidentId",
    "known_region_codes",
    "normalize_text",
    "parse_amount",
    "parse_date",
    "parse_score",
    "validate_mobile",
    "validate_resident_id",
    "validate_uscc",
]

FEN = Decimal("0.01")
# Money columns are NUMERIC(18, 2) (core.models.MoneyField): sixteen digits before the point.
AMOUNT_INTEGER_DIGITS = 16
AMOUNT_LIMIT = Decimal(10) ** AMOUNT_INTEGER_DIGITS
EARLIEST_BIRTH_DATE = date(1900, 1, 1)
EARLIEST_DATE = date(1900, 1, 1)  # no date a file carries (an order, an event, an opening) is older
SCORE_MAX = 100


class InvalidValue(ValueError):
    """A value that cannot be accepted: ``code`` is stable, ``detail`` is for people."""

    def __init__(self, code: ErrorCode, detail: str) -> None:
        super().__init__(f"{code}: {detail}")
        self.code = code
        self.detail = str(detail)


# --- text -------------------------------------------------------------------

# Full-width ASCII (U+FF01-U+FF5E) sits exactly 0xFEE0 above its half-width
# twin; the ideographic space U+3000 becomes a plain space.
FULL_TO_HALF: dict[int, int] = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)}
FULL_TO_HALF[0x3000] = 0x20


def normalize_text(s: str) -> str:
    """Full-width ASCII and ideographic spaces to half-width, then strip."""
    return s.translate(FULL_TO_HALF).strip()


# --- unified social credit code (统一社会信用代码, GB 32100) -----------------

# Registration authority (digit, A, N or Y), institution category, six digits
# of the registering administration's region, nine characters of the
# organisation code and the check character. The alphabet has no I, O, S, V, Z.
USCC_RE = re.compile(r"[0-9ANY][0-9A-HJ-NPQRTUWXY][0-9]{6}[0-9A-HJ-NPQRTUWXY]{10}")


def validate_uscc(value: str) -> str:
    """Return the code upper-cased, or raise ``invalid_uscc``.

    python-stdnum's ``cn.uscc.validate`` refuses codes that begin with a
    letter (A, N, Y are real registration authorities), so the pattern is
    checked here and only stdnum's check-character function is used.
    """
    code = normalize_text(value).upper()
    if not USCC_RE.fullmatch(code):
        raise InvalidValue(
            ErrorCode.INVALID_USCC,
            _(
                "A unified social credit code has %(length)d characters: digits and capital "
                "letters other than I, O, S, V and Z."
            )
            % {"length": 18},
        )
    if uscc.calc_check_digit(code[:17]) != code[17]:
        raise InvalidValue(
            ErrorCode.INVALID_USCC,
            _("The check character of this unified social credit code is wrong: please check for a typo."),
        )
    return code


# --- resident identity card number (居民身份证号码, GB 11643) ----------------

RESIDENT_ID_RE = re.compile(r"[0-9]{17}[0-9X]")


@dataclass(frozen=True)
class ResidentId:
    number: str  # 18 characters, a final check ``X`` in upper case
    birth_date: date
    region_code: str  # the six-digit administrative code the number was issued under
    sex: Literal["M", "F"]  # the 17th digit: odd for men, even for women


@cache
def known_region_codes() -> frozenset[str]:
    """Every six-digit administrative code in python-stdnum's table, whatever its years.

    A number keeps the code in force when it was first issued, which can be
    later than the birth (or retired since), so any code ever listed is known.
    """
    codes: set[str] = set()

    def walk(prefix: str, entries: list[numdb.PrefixInfo]) -> None:
        for length, low, high, _props, children in entries:
            # The table holds single codes; a range ("low-high") is spelled out all the same.
            for part in (str(n).zfill(length) for n in range(int(low), int(high) + 1)):
                code = prefix + part
                if len(code) == 6:
                    codes.add(code)
                elif len(code) < 6:
                    walk(code, children)

    walk("", numdb.get("cn/loc").prefixes)
    return frozenset(codes)


def validate_resident_id(value: str, *, today: date) -> ResidentId:
    """Check an 18-digit resident ID: format, check digit, birth date, region code.

    ``today`` is the business date: the birth date may not be after it.
    """
    number = normalize_text(value).upper()
    if not RESIDENT_ID_RE.fullmatch(number):
        raise InvalidValue(
            ErrorCode.INVALID_ID_FORMAT,
            _("A resident ID number has %(length)d characters: %(digits)d digits and a final digit or X.")
            % {"length": 18, "digits": 17},
        )
    # stdnum's function ignores the last character of its argument.
    if ric.calc_check_digit(number) != number[17]:
        raise InvalidValue(
            ErrorCode.INVALID_ID_CHECKSUM,
            _("The check digit of this resident ID number is wrong: please check for a typo."),
        )
    try:
        born = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        born = None
    if born is None or born < EARLIEST_BIRTH_DATE or born > today:
        raise InvalidValue(
            ErrorCode.INVALID_BIRTH_DATE,
            _("The birth date in this resident ID number is not a real date between %(start)s and today.")
            % {"start": EARLIEST_BIRTH_DATE.isoformat()},
        )
    region = number[:6]
    if region not in known_region_codes():
        raise InvalidValue(
            ErrorCode.UNKNOWN_REGION_CODE,
            _("The first six digits of this resident ID number are not a known region code."),
        )
    return ResidentId(
        number=number,
        birth_date=born,
        region_code=region,
        sex="M" if int(number[16]) % 2 else "F",
    )


# --- mobile phone -------------------------------------------------------------

PHONE_SEPARATORS_RE = re.compile(r"[\s-]+")
MOBILE_RE = re.compile(r"(?:\+86|0086|86)?(?P<number>1[3-9][0-9]{9})")


def validate_mobile(value: str) -> str:
    """A mainland mobile number as 11 digits, without separators or country code."""
    match = MOBILE_RE.fullmatch(PHONE_SEPARATORS_RE.sub("", normalize_text(value)))
    if not match:
        raise InvalidValue(
            ErrorCode.INVALID_PHONE,
            _("A mainland mobile number has %(length)d digits and begins with 13 to 19.") % {"length": 11},
        )
    return match.group("number")


# --- amounts in yuan -------------------------------------------------------------

AMOUNT_SPACES_RE = re.compile(r"\s+")
# After normalize_text and removing all whitespace. The sign may stand before
# or after the currency sign; thousands separators, when used, group by three.
AMOUNT_RE = re.compile(
    r"(?:(?P<neg>-)[¥￥]?|[¥￥]?(?P<neg2>-)?)"
    r"(?P<int>[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(?:\.(?P<frac>[0-9]+))?"
    r"(?P<wan>万)?元?"
)


def _invalid_amount() -> InvalidValue:
    return InvalidValue(
        ErrorCode.INVALID_AMOUNT,
        _("This is not an amount in yuan: write it like 1200000, 1,200,000.00 or 120万."),
    )


def amount_from_parts(integer: str, fraction: str, wan: bool, negative: bool) -> Decimal:
    """The amount that ``AMOUNT_RE``'s groups describe, rounded half-up to the fen.

    Shared with ``core.tabular`` so that both readers round the same way.
    """
    try:
        # Built from text and scaled by its exponent, so the only rounding is the last one.
        value = Decimal(f"{integer.replace(',', '')}.{fraction or '0'}{'E4' if wan else ''}")
        if negative and value != 0:
            raise InvalidValue(ErrorCode.NEGATIVE_AMOUNT, _("An amount may not be negative."))
        value = value.quantize(FEN, rounding=ROUND_HALF_UP)
    except InvalidOperation:  # more digits than the decimal context holds
        raise _amount_too_large() from None
    if value >= AMOUNT_LIMIT:
        raise _amount_too_large()
    return value


def _amount_too_large() -> InvalidValue:
    return InvalidValue(
        ErrorCode.AMOUNT_TOO_LARGE,
        _("The amount is too large: at most %(digits)d digits before the decimal point.")
        % {"digits": AMOUNT_INTEGER_DIGITS},
    )


def parse_amount(value: str) -> Decimal:
    """``1200000``, ``1,200,000.00``, ``120万``, ``１２０万``, ``¥1,200`` → Decimal to the fen."""
    match = AMOUNT_RE.fullmatch(AMOUNT_SPACES_RE.sub("", normalize_text(value)))
    if not match:
        raise _invalid_amount()
    return amount_from_parts(
        match.group("int"),
        match.group("frac") or "",
        wan=match.group("wan") is not None,
        negative=bool(match.group("neg") or match.group("neg2")),
    )


# --- scores ----------------------------------------------------------------------

# Up to two decimals; zeros after them change nothing (``75.500`` is ``75.50``, ``75.505`` is refused).
SCORE_RE = re.compile(r"(?P<int>[0-9]{1,3})(?:\.(?P<frac>[0-9]{1,2})0*)?")


def parse_score(value: str) -> Decimal:
    """A scorecard score: a number from 0 to 100 with up to two decimals (``85``, ``75.5``) → Decimal to 0.01."""
    match = SCORE_RE.fullmatch(normalize_text(value))
    score = Decimal(f"{match.group('int')}.{(match.group('frac') or '').ljust(2, '0')}") if match else None
    if score is None or score > SCORE_MAX:
        raise InvalidValue(
            ErrorCode.INVALID_SCORE,
            _("A score is a number from 0 to %(max)d with at most two decimals.") % {"max": SCORE_MAX},
        )
    return score


# --- dates -----------------------------------------------------------------------

# 2027-02-13, 2027/2/13, 2027.2.13, 20270213, 2027年2月13日, optionally followed
# by a time of day (as spreadsheets export dates): the time is dropped.
DATE_RE = re.compile(
    r"(?P<y>[0-9]{4})"
    r"(?:(?P<sep>[-/.])(?P<m>[0-9]{1,2})(?P=sep)(?P<d>[0-9]{1,2})"
    r"|(?P<m2>[0-9]{2})(?P<d2>[0-9]{2})"
    r"|年(?P<m3>[0-9]{1,2})月(?P<d3>[0-9]{1,2})日?)"
    r"(?:[ T](?:[01]?[0-9]|2[0-3]):[0-5][0-9](?::[0-5][0-9](?:\.[0-9]{1,6})?)?)?"
)


def _invalid_date() -> InvalidValue:
    return InvalidValue(ErrorCode.INVALID_DATE, _("This is not a date: write it like 2027-02-13."))


def parse_date(value: str) -> date:
    """``2027-02-13``, ``2027/2/13``, ``20270213``, ``2027-02-13 00:00:00`` → date."""
    match = DATE_RE.fullmatch(normalize_text(value))
    if not match:
        raise _invalid_date()
    month = match.group("m") or match.group("m2") or match.group("m3")
    day = match.group("d") or match.group("d2") or match.group("d3")
    try:
        return date(int(match.group("y")), int(month), int(day))
    except ValueError:
        raise _invalid_date() from None
