"""The close runs by itself: due days, catch-up, nothing ahead of the calendar, one close at a time, failures
recorded and alerted, and the watch on a close that runs late."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import psycopg2
import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import connection

from core.business_date import business_date_get, business_date_set
from core.error_codes import ErrorCode
from core.errors import DomainError
from origination.models import Notification
from origination.services.drawdown import loan_disburse
from postloan import cob
from postloan.close_lock import CLOSE_LOCK_KEY, close_running_elsewhere
from postloan.close_schedule import close_due_day, close_due_days, close_resume, close_watch
from postloan.models import DayClose, DayCloseStep
from postloan.models_close import DayCloseStepRun, OperationsAlert
from tests.factories import make_lending_world
from tests.postloan.close_helpers import step_failing

D = dt.date
SHANGHAI = ZoneInfo("Asia/Shanghai")


def _at(day: dt.date, hhmm: str) -> dt.datetime:
    hour, minute = (int(part) for part in hhmm.split(":"))
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=SHANGHAI)


@pytest.fixture
def lending(users):
    _program, _farmer, limit = make_lending_world(users, on=D(2027, 3, 5))
    loan_disburse(credit_limit=limit, amount=Decimal("100000.00"), term_months=3, actor=users["manager"])
    return limit


@pytest.fixture
def other_session_holds_the_lock():
    """A second database session (another beat or worker) holding the close's lock."""
    params = connection.get_connection_params()
    other = psycopg2.connect(**{k: v for k, v in params.items() if k != "cursor_factory"})
    other.autocommit = True
    with other.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_lock(%s)", [CLOSE_LOCK_KEY])
    yield
    other.close()


@pytest.mark.parametrize(
    ("now", "due"),
    [("22:59", D(2027, 3, 9)), ("23:00", D(2027, 3, 10)), ("23:30", D(2027, 3, 10)), ("00:10", D(2027, 3, 9))],
)
def test_the_due_day_is_today_from_cob_time_on_and_yesterday_before(now, due):
    assert settings.COB_TIME == "23:00"
    assert close_due_day(_at(D(2027, 3, 10), now)) == due


def test_the_beat_schedule_closes_at_cob_time_in_shanghai():
    schedule = settings.CELERY_BEAT_SCHEDULE["close-of-business"]
    assert schedule["task"] == "postloan.close_scheduled"
    assert schedule["schedule"].hour == {23} and schedule["schedule"].minute == {0}
    assert settings.CELERY_TIMEZONE == "Asia/Shanghai"


def test_missed_days_are_caught_up_in_order_up_to_and_including_the_due_day(lending):
    closed = close_due_days(D(2027, 3, 8), dispatch=cob._inline, trigger=DayClose.Trigger.SCHEDULE)
    assert [record.day for record in closed] == [D(2027, 3, 5), D(2027, 3, 6), D(2027, 3, 7), D(2027, 3, 8)]
    assert business_date_get() == D(2027, 3, 9)
    assert set(DayClose.objects.values_list("trigger", flat=True)) == {DayClose.Trigger.SCHEDULE}
    # every step of every day has its run with its plan, finished
    assert DayCloseStepRun.objects.filter(finished_at__isnull=True).count() == 0
    assert DayCloseStepRun.objects.count() == 4 * len(cob.STEPS)
    # the next run the same evening finds nothing due
    assert close_due_days(D(2027, 3, 8), dispatch=cob._inline, trigger=DayClose.Trigger.SCHEDULE) == []


def test_nothing_is_closed_when_the_business_date_is_ahead_of_the_calendar(lending):
    business_date_set(new_date=D(2027, 3, 12), backwards_allowed=False)
    assert close_due_days(D(2027, 3, 10), dispatch=cob._inline, trigger=DayClose.Trigger.SCHEDULE) == []
    assert business_date_get() == D(2027, 3, 12)
    assert not DayClose.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_a_close_is_refused_while_another_session_holds_the_lock(lending, other_session_holds_the_lock):
    assert close_running_elsewhere()
    with pytest.raises(DomainError) as refused:
        cob.close_business_days()
    assert refused.value.code == ErrorCode.CLOSE_RUNNING
    with pytest.raises(CommandError, match="close_running"):
        call_command("close_business_day")
    with pytest.raises(DomainError):
        close_due_days(D(2027, 3, 7), dispatch=cob._inline, trigger=DayClose.Trigger.SCHEDULE)
    assert business_date_get() == D(2027, 3, 5)
    assert not DayClose.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_the_lock_is_free_again_after_a_close_and_after_a_failed_one(lending):
    cob.close_business_days()
    assert not close_running_elsewhere()
    with step_failing("breaker", RuntimeError("breaker broke")):
        cob.close_business_days()
    assert not close_running_elsewhere()
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()")
        assert cursor.fetchone()[0] == 0


def test_a_failed_step_is_recorded_alerted_and_resumed_where_it_stopped(users, lending):
    users["admin"].phone = "13800000001"
    users["admin"].save(update_fields=["phone"])
    with step_failing("breaker", RuntimeError("breaker broke")):
        cob.close_business_days()
    close = DayClose.objects.get(day=D(2027, 3, 5))
    assert close.status == DayClose.Status.FAILED
    assert close.error_step == "breaker" and close.error_chunk == 0
    assert "breaker broke" in close.error
    assert business_date_get() == D(2027, 3, 5)
    alert = OperationsAlert.objects.get()
    assert (alert.kind, alert.day, alert.cleared_at) == (OperationsAlert.Kind.CLOSE_FAILED, D(2027, 3, 5), None)
    message = Notification.objects.get(template="ops_close_failed")
    assert message.recipient == "13800000001" and "2027-03-05" in message.text
    settlement_chunks = DayCloseStep.objects.filter(day=D(2027, 3, 5), step="settlement").count()
    # resumed: the steps done before the failure are not run again, the close finishes, the alert clears
    closed = close_resume(D(2027, 3, 4), dispatch=cob._inline, trigger=DayClose.Trigger.CONSOLE)
    assert [record.day for record in closed] == [D(2027, 3, 5)]
    close.refresh_from_db()
    assert (close.status, close.attempts, close.trigger) == (DayClose.Status.DONE, 2, DayClose.Trigger.CONSOLE)
    assert DayCloseStep.objects.filter(day=D(2027, 3, 5), step="settlement").count() == settlement_chunks
    assert business_date_get() == D(2027, 3, 6)
    alert.refresh_from_db()
    assert alert.cleared_at is not None


def test_a_failed_chunk_is_recorded_with_its_number(lending):
    with step_failing("classification", ValueError("bad row")):
        cob.close_business_days()
    close = DayClose.objects.get()
    assert (close.status, close.error_step, close.error_chunk) == (DayClose.Status.FAILED, "classification", 0)
    assert close.error == "ValueError: bad row"


def test_a_resumed_step_runs_the_plan_fixed_at_its_first_start(lending):
    with step_failing("classification", ValueError("bad row")):
        cob.close_business_days()
    run = DayCloseStepRun.objects.get(step="classification")
    DayCloseStepRun.objects.filter(pk=run.pk).update(plan=[[0, run.plan[0][1], run.plan[0][2]], [1, 10**9, 10**9]])
    cob.close_business_days()
    assert sorted(DayCloseStep.objects.filter(step="classification").values_list("chunk", flat=True)) == [0, 1]


def test_the_watch_alerts_once_when_the_close_is_late_and_not_after_it_is_done(users, lending):
    users["admin"].phone = "13800000001"
    users["admin"].save(update_fields=["phone"])
    business_date_set(new_date=D(2027, 3, 10), backwards_allowed=False)
    assert close_watch(_at(D(2027, 3, 10), "23:59")) is None  # within the hour after 23:00
    alert = close_watch(_at(D(2027, 3, 11), "00:01"))
    assert alert is not None and (alert.kind, alert.day) == (OperationsAlert.Kind.CLOSE_LATE, D(2027, 3, 10))
    assert close_watch(_at(D(2027, 3, 11), "00:06")) == alert
    assert Notification.objects.filter(template="ops_close_late").count() == 1
    cob.close_business_days()
    alert.refresh_from_db()
    assert alert.cleared_at is not None
    assert close_watch(_at(D(2027, 3, 11), "00:11")) is None
