"""Cross-validation, the pre-credit limit and its look-back window (pure, no database)."""

import calendar
from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from risk.limits import BoundBy, LimitResult, Validation, compute_limit, cross_validate, lookback_window

TEN_PERCENT = Decimal("0.10")
RATIO = Decimal("0.30")
CAP = Decimal("2000000.00")

amounts = st.decimals(min_value=0, max_value=10**9, places=2)
ratios = st.decimals(min_value=0, max_value=2, places=2)
validations = st.sampled_from([Validation.MATCHED, Validation.MISMATCH])


def limit(
    recommended: str,
    verified: str,
    *,
    ratio: Decimal = RATIO,
    cap: Decimal = CAP,
    elsewhere: str = "0",
    validation: Validation = Validation.MATCHED,
) -> LimitResult:
    return compute_limit(
        validation=validation,
        recommended=Decimal(recommended),
        verified_orders=Decimal(verified),
        order_ratio=ratio,
        per_farmer_cap=cap,
        granted_elsewhere=Decimal(elsewhere),
    )


# -- cross-validation ---------------------------------------------------------


def test_no_provider_record_means_no_trade_data_whatever_was_declared():
    outcome = cross_validate(declared=Decimal(1000000), verified=Decimal(0), trade_count=0, tolerance=TEN_PERCENT)
    assert outcome is Validation.NO_TRADE_DATA


def test_a_difference_of_exactly_the_tolerance_still_matches():
    # 10 % of the provider's 1,000,000 is 100,000: declared 1,100,000 and 900,000 are on the edge.
    for declared in ("1100000.00", "900000.00"):
        outcome = cross_validate(
            declared=Decimal(declared), verified=Decimal(1000000), trade_count=12, tolerance=TEN_PERCENT
        )
        assert outcome is Validation.MATCHED


def test_a_fen_beyond_the_tolerance_is_a_mismatch():
    outcome = cross_validate(
        declared=Decimal("1100000.01"), verified=Decimal(1000000), trade_count=12, tolerance=TEN_PERCENT
    )
    assert outcome is Validation.MISMATCH


def test_the_tolerance_is_measured_against_the_provider_figure_not_the_declared_one():
    # |1,000,000 − 909,000| = 91,000: within 10 % of the declared 1,000,000 but not of the verified 909,000.
    outcome = cross_validate(declared=Decimal(1000000), verified=Decimal(909000), trade_count=3, tolerance=TEN_PERCENT)
    assert outcome is Validation.MISMATCH


def test_verified_zero_with_records_matches_only_a_declared_zero():
    assert (
        cross_validate(declared=Decimal(0), verified=Decimal(0), trade_count=1, tolerance=TEN_PERCENT)
        is Validation.MATCHED
    )
    assert (
        cross_validate(declared=Decimal(1), verified=Decimal(0), trade_count=1, tolerance=TEN_PERCENT)
        is Validation.MISMATCH
    )


def test_a_negative_trade_count_or_tolerance_is_refused():
    with pytest.raises(ValueError):
        cross_validate(declared=Decimal(1), verified=Decimal(1), trade_count=-1, tolerance=TEN_PERCENT)
    with pytest.raises(ValueError):
        cross_validate(declared=Decimal(1), verified=Decimal(1), trade_count=1, tolerance=Decimal("-0.1"))


@given(amounts, amounts, st.integers(min_value=1, max_value=10_000), ratios)
def test_cross_validation_is_matched_exactly_when_within_tolerance(declared, verified, count, tolerance):
    outcome = cross_validate(declared=declared, verified=verified, trade_count=count, tolerance=tolerance)
    assert (outcome is Validation.MATCHED) == (abs(declared - verified) <= tolerance * verified)
    assert outcome is not Validation.NO_TRADE_DATA


# -- the limit: worked examples -------------------------------------------------


def test_the_recommendation_binds_when_it_is_the_smallest_term():
    # min(500,000; 30 % × 2,000,000 = 600,000; 2,000,000) = 500,000.
    result = limit("500000.00", "2000000.00")
    assert result == LimitResult(
        amount=Decimal("500000.00"),
        bound_by=BoundBy.RECOMMENDED,
        orders_bound=Decimal("600000.00"),
        cap_room=Decimal("2000000.00"),
    )


def test_the_orders_bind_and_the_limit_is_rounded_down_to_a_thousand():
    # 30 % × 1,234,567.89 = 370,370.367 → orders bound 370,370.37 → limit 370,000.00.
    result = limit("800000.00", "1234567.89")
    assert result.bound_by is BoundBy.ORDERS
    assert result.orders_bound == Decimal("370370.37")
    assert result.amount == Decimal("370000.00")


def test_a_limit_never_exceeds_the_farmer_cap():
    # min(3,000,000; 30 % × 20,000,000 = 6,000,000; 2,000,000) = 2,000,000.
    result = limit("3000000.00", "20000000.00")
    assert result.bound_by is BoundBy.CAP
    assert result.amount == CAP


def test_limits_in_the_anchors_other_programmes_use_up_the_farmer_cap():
    # 2,000,000 cap − 1,500,500 granted elsewhere = 499,500 room → 499,000.
    result = limit("1000000.00", "5000000.00", elsewhere="1500500.00")
    assert result.cap_room == Decimal("499500.00")
    assert result.bound_by is BoundBy.CAP
    assert result.amount == Decimal("499000.00")


def test_a_cap_already_used_up_elsewhere_gives_zero_not_a_negative_room():
    result = limit("1000000.00", "5000000.00", elsewhere="2500000.00")
    assert result.cap_room == Decimal("0.00")
    assert result.amount == Decimal("0.00")
    assert result.bound_by is BoundBy.CAP


def test_a_minimum_below_one_thousand_rounds_down_to_zero_and_still_names_its_term():
    # 30 % × 3,000 = 900 → 0.00, bound by the orders.
    result = limit("500000.00", "3000.00")
    assert result.amount == Decimal("0.00")
    assert result.bound_by is BoundBy.ORDERS


def test_no_trade_data_gives_zero_bound_by_none():
    result = limit("500000.00", "0", validation=Validation.NO_TRADE_DATA)
    assert result.amount == Decimal("0.00")
    assert result.bound_by is BoundBy.NONE


def test_a_mismatch_still_gets_a_limit_from_the_verified_orders_for_review():
    result = limit("500000.00", "1000000.00", validation=Validation.MISMATCH)
    assert result.amount == Decimal("300000.00")
    assert result.bound_by is BoundBy.ORDERS


def test_ties_prefer_recommended_then_orders_then_cap():
    # All three equal 300,000.
    assert limit("300000.00", "1000000.00", cap=Decimal(300000)).bound_by is BoundBy.RECOMMENDED
    # Orders and cap equal at 300,000, recommendation above.
    assert limit("900000.00", "1000000.00", cap=Decimal(300000)).bound_by is BoundBy.ORDERS
    # Recommendation and cap equal, orders above.
    assert limit("300000.00", "9000000.00", cap=Decimal(300000)).bound_by is BoundBy.RECOMMENDED


def test_rounding_to_the_fen_never_lifts_the_limit_above_ratio_times_orders():
    # 5 % × 19,999.90 = 999.995, shown as 1,000.00 but still below 1,000: the limit is 0.00.
    result = limit("5000.00", "19999.90", ratio=Decimal("0.05"))
    assert result.orders_bound == Decimal("1000.00")
    assert result.bound_by is BoundBy.ORDERS
    assert result.amount == Decimal("0.00")


def test_the_amount_has_two_decimal_places():
    assert str(limit("500000", "2000000").amount) == "500000.00"


def test_a_negative_input_is_refused():
    with pytest.raises(ValueError):
        limit("-1", "1000000.00")
    with pytest.raises(ValueError):
        limit("1000", "1000000.00", elsewhere="-1")


# -- the limit: properties --------------------------------------------------------


@given(validations, amounts, amounts, ratios, amounts, amounts)
def test_a_limit_is_never_above_any_of_its_three_bounds(validation, rec, orders, ratio, cap, elsewhere):
    result = compute_limit(
        validation=validation,
        recommended=rec,
        verified_orders=orders,
        order_ratio=ratio,
        per_farmer_cap=cap,
        granted_elsewhere=elsewhere,
    )
    assert result.amount <= rec
    assert result.amount <= ratio * orders
    assert result.amount <= max(cap - elsewhere, Decimal(0))


@given(validations, amounts, amounts, ratios, amounts, amounts)
def test_a_limit_is_never_negative_and_a_whole_thousand(validation, rec, orders, ratio, cap, elsewhere):
    result = compute_limit(
        validation=validation,
        recommended=rec,
        verified_orders=orders,
        order_ratio=ratio,
        per_farmer_cap=cap,
        granted_elsewhere=elsewhere,
    )
    assert result.amount >= 0
    assert result.amount % 1000 == 0
    assert result.amount.as_tuple().exponent == -2


@given(validations, amounts, amounts, ratios, amounts)
def test_a_limit_is_less_than_a_thousand_below_its_binding_term(validation, rec, orders, ratio, cap):
    result = compute_limit(
        validation=validation, recommended=rec, verified_orders=orders, order_ratio=ratio, per_farmer_cap=cap
    )
    binding = {BoundBy.RECOMMENDED: rec, BoundBy.ORDERS: ratio * orders, BoundBy.CAP: result.cap_room}
    assert binding[result.bound_by] == min(binding.values())
    assert binding[result.bound_by] - result.amount < 1000


@given(validations, amounts, amounts, amounts, ratios, amounts)
def test_a_limit_does_not_decrease_when_the_recommendation_grows(validation, a, b, orders, ratio, cap):
    low, high = sorted((a, b))
    common = {
        "validation": validation,
        "verified_orders": orders,
        "order_ratio": ratio,
        "per_farmer_cap": cap,
    }
    assert compute_limit(recommended=low, **common).amount <= compute_limit(recommended=high, **common).amount


@given(validations, amounts, amounts, amounts, ratios, amounts)
def test_a_limit_does_not_decrease_when_verified_orders_grow(validation, a, b, rec, ratio, cap):
    low, high = sorted((a, b))
    common = {"validation": validation, "recommended": rec, "order_ratio": ratio, "per_farmer_cap": cap}
    assert compute_limit(verified_orders=low, **common).amount <= compute_limit(verified_orders=high, **common).amount


@given(validations, amounts, amounts, amounts, amounts, ratios, amounts)
def test_a_limit_does_not_decrease_when_the_cap_grows(validation, a, b, rec, orders, ratio, elsewhere):
    low, high = sorted((a, b))
    common = {
        "validation": validation,
        "recommended": rec,
        "verified_orders": orders,
        "order_ratio": ratio,
        "granted_elsewhere": elsewhere,
    }
    assert compute_limit(per_farmer_cap=low, **common).amount <= compute_limit(per_farmer_cap=high, **common).amount


@given(validations, amounts, amounts, amounts, amounts, ratios, amounts)
def test_a_limit_does_not_increase_when_more_is_granted_elsewhere(validation, a, b, rec, orders, ratio, cap):
    low, high = sorted((a, b))
    common = {
        "validation": validation,
        "recommended": rec,
        "verified_orders": orders,
        "order_ratio": ratio,
        "per_farmer_cap": cap,
    }
    assert (
        compute_limit(granted_elsewhere=low, **common).amount >= compute_limit(granted_elsewhere=high, **common).amount
    )


@given(amounts, amounts, ratios, amounts, amounts)
def test_no_trade_data_always_gives_zero(rec, orders, ratio, cap, elsewhere):
    result = compute_limit(
        validation=Validation.NO_TRADE_DATA,
        recommended=rec,
        verified_orders=orders,
        order_ratio=ratio,
        per_farmer_cap=cap,
        granted_elsewhere=elsewhere,
    )
    assert result.amount == Decimal("0.00")
    assert result.bound_by is BoundBy.NONE


# -- the look-back window -----------------------------------------------------------


def test_the_window_is_the_twelve_months_before_submission():
    assert lookback_window(date(2027, 6, 15), 12) == (date(2026, 6, 15), date(2027, 6, 14))


def test_a_leap_day_submission_starts_the_window_at_the_end_of_february():
    assert lookback_window(date(2028, 2, 29), 12) == (date(2027, 2, 28), date(2028, 2, 28))


def test_a_window_from_the_31st_clamps_to_a_shorter_month():
    assert lookback_window(date(2027, 3, 31), 1) == (date(2027, 2, 28), date(2027, 3, 30))


def test_a_window_crosses_the_new_year():
    assert lookback_window(date(2027, 1, 1), 12) == (date(2026, 1, 1), date(2026, 12, 31))
    assert lookback_window(date(2027, 2, 10), 3) == (date(2026, 11, 10), date(2027, 2, 9))


def test_a_window_of_no_months_is_refused():
    with pytest.raises(ValueError):
        lookback_window(date(2027, 6, 15), 0)


@given(st.dates(min_value=date(2001, 1, 1), max_value=date(2099, 12, 31)), st.integers(1, 36))
def test_a_window_ends_the_day_before_submission_and_spans_at_most_the_months(submitted, months):
    start, end = lookback_window(submitted, months)
    assert (submitted - end).days == 1
    assert start <= end
    # The start is in the month `months` earlier, on the same day or that month's last day.
    assert (submitted.year * 12 + submitted.month) - (start.year * 12 + start.month) == months
    assert start.day == min(submitted.day, calendar.monthrange(start.year, start.month)[1])
