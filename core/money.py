"""Money and ratios: always ``Decimal``, rounded half-up to the fen.

Nothing here touches the ORM; every helper is a pure function.
"""

from __future__ import annotations

from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal, InvalidOperation

FEN = Decimal("0.01")
ZERO = Decimal("0.00")
RATIO_PLACES = Decimal("0.000001")


def to_decimal(value: Decimal | int | str) -> Decimal:
    """Exact conversion; floats are refused because they are not exact."""
    if isinstance(value, float):
        raise TypeError("money is never a float")
    try:
        return Decimal(value)
    except InvalidOperation:
        raise ValueError(f"not a number: {value!r}") from None


def money(value: Decimal | int | str) -> Decimal:
    """Round to the fen, half-up (四舍五入), as a bank posts a charge."""
    return to_decimal(value).quantize(FEN, rounding=ROUND_HALF_UP)


def floor_to(value: Decimal, unit: Decimal) -> Decimal:
    """Round down to a whole ``unit`` (e.g. 1,000 yuan for a credit limit)."""
    if unit <= 0:
        raise ValueError("unit must be positive")
    whole = (value / unit).to_integral_value(rounding=ROUND_DOWN)
    return money(whole * unit)


def ratio(numerator: Decimal, denominator: Decimal) -> Decimal:
    """A ratio to six places; zero when the denominator is zero."""
    if denominator == 0:
        return Decimal("0.000000")
    return (numerator / denominator).quantize(RATIO_PLACES, rounding=ROUND_HALF_UP)


def format_yuan(value: Decimal) -> str:
    """``1234567.8`` → ``1,234,567.80`` (for pages and exports)."""
    return f"{money(value):,.2f}"


def format_wan(value: Decimal) -> str:
    """Amount in 万元 with two decimals, the way Chinese dashboards show it."""
    return f"{(to_decimal(value) / Decimal(10000)).quantize(FEN, rounding=ROUND_HALF_UP):,.2f}"
