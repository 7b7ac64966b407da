"""Cross-validation and the pre-credit limit (预授信额度), as pure functions.

The limit rule (预授信额度): ``min(recommended, order_ratio × verified orders,
per-farmer cap)`` rounded down to a whole 1,000 CNY. It lives here, away from
the ORM, so that every figure of a decision can be recomputed and explained
from the snapshot stored with it.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum

from core.money import ZERO, floor_to, money


class Validation(StrEnum):
    """Outcome of comparing the anchor's declared orders with the provider's."""

    MATCHED = "matched"
    MISMATCH = "mismatch"
    NO_TRADE_DATA = "no_trade_data"


class BoundBy(StrEnum):
    """Which term of the ``min`` set the limit, so a person can read why."""

    RECOMMENDED = "recommended"
    ORDERS = "orders"
    CAP = "cap"
    NONE = "none"


@dataclass(frozen=True)
class LimitResult:
    """A limit and the figures it came from (kept in the decision's snapshot)."""

    amount: Decimal
    bound_by: BoundBy
    orders_bound: Decimal  # order_ratio × verified orders, to the fen
    cap_room: Decimal  # per-farmer cap less the farmer's limits elsewhere, never below 0


def cross_validate(*, declared: Decimal, verified: Decimal, trade_count: int, tolerance: Decimal) -> Validation:
    """Compare declared and verified orders; the tolerance is a share of the *verified* figure.

    The provider's figure is the one that counts, so the tolerance is measured
    against it; no provider record at all means the farmer cannot be assessed.
    """
    if trade_count < 0:
        raise ValueError("trade_count cannot be negative")
    if tolerance < 0:
        raise ValueError("tolerance cannot be negative")
    if trade_count == 0:
        return Validation.NO_TRADE_DATA
    if abs(declared - verified) <= tolerance * verified:
        return Validation.MATCHED
    return Validation.MISMATCH


LIMIT_UNIT = Decimal(1000)  # a limit is a whole thousand yuan


def cap_room(per_farmer_cap: Decimal, granted_elsewhere: Decimal) -> Decimal:
    """What the per-farmer cap leaves above the farmer's limits in force elsewhere, never below 0."""
    return money(max(per_farmer_cap - granted_elsewhere, ZERO))


def limit_rounded(value: Decimal, unit: Decimal = LIMIT_UNIT) -> Decimal:
    """A limit's amount: ``value`` rounded down to a whole ``unit``, and 0.00 for nothing."""
    return floor_to(value, unit) if value > 0 else ZERO


def compute_limit(
    *,
    validation: Validation,
    recommended: Decimal,
    verified_orders: Decimal,
    order_ratio: Decimal,
    per_farmer_cap: Decimal,
    granted_elsewhere: Decimal = ZERO,
    unit: Decimal = LIMIT_UNIT,
) -> LimitResult:
    """The limit rule, rounded down to a whole ``unit``.

    ``granted_elsewhere`` is the farmer's other active limits in the anchor's
    other programmes: the per-farmer cap holds across them, so only the room
    left under it counts. On ties the reason prefers the recommendation, then
    the orders, then the cap (the most specific term first). A ``mismatch``
    still gets a figure (from the verified orders only) because a person
    reviews it; ``no_trade_data`` is refused with 0.00.
    """
    for name, value in (
        ("recommended", recommended),
        ("verified_orders", verified_orders),
        ("order_ratio", order_ratio),
        ("per_farmer_cap", per_farmer_cap),
        ("granted_elsewhere", granted_elsewhere),
    ):
        if value < 0:
            raise ValueError(f"{name} cannot be negative")
    exact_orders_bound = order_ratio * verified_orders
    orders_bound = money(exact_orders_bound)
    room = cap_room(per_farmer_cap, granted_elsewhere)
    if validation is Validation.NO_TRADE_DATA:
        return LimitResult(amount=ZERO, bound_by=BoundBy.NONE, orders_bound=orders_bound, cap_room=room)
    # The exact product is compared, not the rounded one, so that rounding to the
    # fen can never lift a limit above ratio × orders (999.995 must not become 1,000).
    # min() keeps the first of equal values, which gives the tie order above.
    value, bound_by = min(
        ((recommended, BoundBy.RECOMMENDED), (exact_orders_bound, BoundBy.ORDERS), (room, BoundBy.CAP)),
        key=lambda term: term[0],
    )
    return LimitResult(amount=limit_rounded(value, unit), bound_by=bound_by, orders_bound=orders_bound, cap_room=room)


def lookback_window(submission_date: date, months: int) -> tuple[date, date]:
    """Inclusive window of verified orders: same day ``months`` earlier to the day before submission.

    When that day does not exist (29 February, the 31st) the window starts on
    the month's last day, so it is never longer than ``months`` months.
    """
    if months < 1:
        raise ValueError("the look-back must be at least one month")
    return _months_earlier(submission_date, months), submission_date - timedelta(days=1)


def _months_earlier(d: date, months: int) -> date:
    """Same calendar day ``months`` earlier, clamped to the month end.

    Kept private here: ``risk`` may not import ``origination`` (layered apps),
    whose ``add_months`` does the same forwards.
    """
    index = d.year * 12 + d.month - 1 - months
    year, month = divmod(index, 12)
    month += 1
    return date(year, month, min(d.day, calendar.monthrange(year, month)[1]))
