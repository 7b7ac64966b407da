"""A loan's calendar, fixed at drawdown: maturity and the 20ths on which interest is settled (按月付息).

Drawdown needs it to check the term against the limit and to show the borrower the schedule before the
money goes out; servicing charges and settles on these dates. The interest charge itself
(``interest_charge``, actual/360 rounded once) lives here, below both, so that the drawdown page's
estimate and servicing's charges are the same formula (origination may not import servicing).
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from core.money import ZERO, money

SETTLEMENT_DAY = 20
DAY_COUNT = Decimal(360)


def interest_charge(principal_days: Decimal, annual_rate: Decimal) -> Decimal:
    """Interest on ``principal_days`` at ``annual_rate``, actual/360, rounded once."""
    if principal_days < 0 or annual_rate < 0:
        raise ValueError("principal-days and rate cannot be negative")
    return money(principal_days * annual_rate / DAY_COUNT)


def add_months(d: date, months: int) -> date:
    """Same calendar day ``months`` later (or earlier), clamped to the month end."""
    index = d.year * 12 + d.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    return date(year, month, min(d.day, calendar.monthrange(year, month)[1]))


def maturity_date(disbursed_on: date, term_months: int) -> date:
    """Maturity is disbursement date + term months (month-end clamped)."""
    if term_months < 1:
        raise ValueError("a term is at least one month")
    return add_months(disbursed_on, term_months)


def settlement_dates(disbursed_on: date, maturity_on: date) -> list[date]:
    """Every 20th from disbursement (inclusive) to maturity (exclusive).

    A 20th that is also the maturity date is not a settlement: the maturity
    charge covers it, so no day is ever charged twice.
    """
    if maturity_on <= disbursed_on:
        raise ValueError("maturity must be after disbursement")
    d = disbursed_on.replace(day=SETTLEMENT_DAY)
    if d < disbursed_on:
        d = add_months(d, 1)
    dates: list[date] = []
    while d < maturity_on:
        dates.append(d)
        d = add_months(d, 1)
    return dates


def terms_within(disbursed_on: date, expires_on: date, max_term_months: int) -> list[int]:
    """The terms a drawdown on ``disbursed_on`` may take: 1 to the programme's maximum, maturing by ``expires_on``."""
    return [n for n in range(1, max_term_months + 1) if maturity_date(disbursed_on, n) <= expires_on]


@dataclass(frozen=True)
class InterestDate:
    """One date interest falls due, the days it covers and the interest charged on it."""

    on: date
    days: int
    interest: Decimal
    maturity: bool = False


@dataclass(frozen=True)
class InterestEstimate:
    """The interest a loan would be charged if its whole principal stayed outstanding to maturity."""

    dates: tuple[InterestDate, ...]

    @property
    def maturity_on(self) -> date:
        return self.dates[-1].on

    @property
    def total(self) -> Decimal:
        return sum((d.interest for d in self.dates), ZERO)


def interest_estimate(amount: Decimal, disbursed_on: date, term_months: int, annual_rate: Decimal) -> InterestEstimate:
    """Each 20th and the maturity with the interest charged on it, the principal never repaid before maturity.

    The days are servicing's: from disbursement (inclusive) to the first 20th (inclusive), then from the day
    after one charge to the next, the maturity date included; each charge is rounded once.
    """
    maturity_on = maturity_date(disbursed_on, term_months)
    dates: list[InterestDate] = []
    after = disbursed_on  # the first day not yet charged
    for on in [*settlement_dates(disbursed_on, maturity_on), maturity_on]:
        days = (on - after).days + 1
        dates.append(InterestDate(on, days, interest_charge(amount * days, annual_rate), on == maturity_on))
        after = date.fromordinal(on.toordinal() + 1)
    return InterestEstimate(tuple(dates))
