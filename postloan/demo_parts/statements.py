"""The demo's monthly statements: each month the demo's book has closed, as the beat would have written them."""

from __future__ import annotations

import datetime as dt

from core.business_date import business_date_get
from postloan.demo import DEMO_START
from postloan.statements import previous_month, statements_write_month


def demo_statements_ensure() -> int:
    """The statements of March to the month before the business date's; those written before are kept."""
    written, month, last = 0, DEMO_START.replace(day=1), previous_month(business_date_get())
    while month <= last:
        written += statements_write_month(month)
        month = (month.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return written
