"""Calendar arithmetic the domain needs: quarters and month ends. Pure functions."""

from __future__ import annotations

import calendar
import datetime as dt


def month_end(day: dt.date) -> dt.date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def is_month_end(day: dt.date) -> bool:
    return day == month_end(day)


def quarter_of(day: dt.date) -> tuple[dt.date, dt.date]:
    """First and last day of the quarter that holds ``day``."""
    first_month = 3 * ((day.month - 1) // 3) + 1
    start = dt.date(day.year, first_month, 1)
    return start, month_end(dt.date(day.year, first_month + 2, 1))


def last_full_quarter(day: dt.date) -> tuple[dt.date, dt.date]:
    """The most recent quarter that ended before ``day``."""
    start, _ = quarter_of(day)
    return quarter_of(start - dt.timedelta(days=1))


def quarter_label(day: dt.date) -> str:
    return f"{day.year}Q{(day.month - 1) // 3 + 1}"
