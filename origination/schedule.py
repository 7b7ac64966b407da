"""A loan's calendar, fixed at drawdown: maturity and the 20ths on which interest is settled (按月付息).

Drawdown needs it to check the term against the limit; servicing charges and settles on these dates.
"""

from __future__ import annotations

import calendar
from datetime import date

SETTLEMENT_DAY = 20


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
