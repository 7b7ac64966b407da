from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.money import floor_to, format_wan, format_yuan, money, ratio


def test_money_rounds_half_up_to_the_fen():
    assert money("2.345") == Decimal("2.35")
    assert money("2.344") == Decimal("2.34")
    assert money("-2.345") == Decimal("-2.35")


def test_money_refuses_floats():
    with pytest.raises(TypeError):
        money(0.1)  # type: ignore[arg-type]


def test_floor_to_a_thousand_rounds_down():
    assert floor_to(Decimal("123999.99"), Decimal(1000)) == Decimal("123000.00")
    assert floor_to(Decimal("999.99"), Decimal(1000)) == Decimal("0.00")


@given(st.decimals(min_value=0, max_value=10**12, places=2))
def test_floor_to_never_exceeds_its_input_and_is_a_whole_unit(value):
    floored = floor_to(value, Decimal(1000))
    assert floored <= value
    assert value - floored < 1000
    assert floored % 1000 == 0


def test_ratio_of_zero_outstanding_is_zero():
    assert ratio(Decimal(5), Decimal(0)) == Decimal("0")
    assert ratio(Decimal(1), Decimal(3)) == Decimal("0.333333")


def test_formats_for_pages():
    assert format_yuan(Decimal("1234567.8")) == "1,234,567.80"
    assert format_wan(Decimal("12345678")) == "1,234.57"
