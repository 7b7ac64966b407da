"""When the close of business runs by itself: beat starts it at ``COB_TIME`` and a watch raises an alert when
a close failed or is unfinished ``COB_ALERT_AFTER_MINUTES`` after that time.

The wall clock enters here and only here, as an argument: the schedule's job is to compare the calendar
with the business date. Everything it starts works on the business date.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings

from core.business_date import business_date_get
from postloan.close_alerts import close_late_alert
from postloan.close_lock import close_lock
from postloan.cob import Dispatch, close_business_days, close_day
from postloan.models import DayClose
from postloan.models_close import OperationsAlert


def cob_time() -> dt.time:
    hour, minute = settings.COB_TIME.split(":")
    return dt.time(int(hour), int(minute))


def close_due_day(now: dt.datetime) -> dt.date:
    """The last calendar day whose close time has come, at local time ``now``."""
    return now.date() if now.time() >= cob_time() else now.date() - dt.timedelta(days=1)


def close_due_days(due: dt.date, *, dispatch: Dispatch, trigger: str) -> list[DayClose]:
    """Close every business day up to and including ``due``, in order; nothing when the business date is
    already after it (a bank that closed ahead of the calendar, or a day closed by hand)."""
    with close_lock():
        if business_date_get() > due:
            return []
        return close_business_days(to=due + dt.timedelta(days=1), dispatch=dispatch, trigger=trigger)


def close_resume(due: dt.date, *, dispatch: Dispatch, trigger: str) -> list[DayClose]:
    """Finish the close that stopped (whatever its day), then every day that is due."""
    with close_lock():
        closed = []
        day = business_date_get()
        if DayClose.objects.filter(day=day).exclude(status=DayClose.Status.DONE).exists():
            closed.append(close_day(day, dispatch, trigger))
        return closed + close_due_days(due, dispatch=dispatch, trigger=trigger)


def close_watch(now: dt.datetime) -> OperationsAlert | None:
    """At local time ``now``: the alert for a due day still open an alert-delay after its close time."""
    due = close_due_day(now)
    deadline = dt.datetime.combine(due, cob_time(), tzinfo=now.tzinfo) + dt.timedelta(
        minutes=settings.COB_ALERT_AFTER_MINUTES
    )
    day = business_date_get()
    if now < deadline or day > due:
        return None
    return close_late_alert(day)
