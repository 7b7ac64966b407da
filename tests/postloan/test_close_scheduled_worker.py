"""The scheduled close through a real Celery worker and a real Redis broker: two schedules fire at once (two
beats), one closes every due day, the other starts nothing; the chunks run on the same worker's other thread."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from decimal import Decimal

import pytest
import redis
from celery import Celery
from django.utils import timezone

from core.business_date import business_date_get
from origination.services.drawdown import loan_disburse
from postloan.models import DayClose, DayCloseStep
from tests.factories import make_lending_world
from tests.processes import database_url, redis_or_skip, stop_and_read

QUIET = ["--without-gossip", "--without-mingle", "--loglevel=INFO"]
_BASE_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/14")
# The next database of the same Redis: tests/test_celery_worker.py flushes the base one and its worker would
# take this test's tasks when both run at once on two xdist workers.
REDIS_URL = _BASE_URL.rsplit("/", 1)[0] + f"/{(int(_BASE_URL.rsplit('/', 1)[1] or 0) + 1) % 16}"


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_two_schedules_at_once_close_the_due_days_once(users):
    redis_or_skip(REDIS_URL)
    # given: a book whose business date is two days behind the calendar (days missed while nothing ran)
    today = timezone.localdate()
    start = today - dt.timedelta(days=2)
    _program, _farmer, limit = make_lending_world(users, on=start)
    loan_disburse(credit_limit=limit, amount=Decimal("100000.00"), term_months=3, actor=users["manager"])
    redis.Redis.from_url(REDIS_URL).flushdb()
    env = {
        **os.environ,
        "CELERY_BROKER_URL": REDIS_URL,
        "DATABASE_URL": database_url(),
        "COB_TIME": "00:00",  # whatever the hour of the test, today's close is due
        "COB_STALL_SECONDS": "5",
    }
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool=threads", "--concurrency=2", *QUIET],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    client = Celery("test-client", broker=REDIS_URL, backend=REDIS_URL, set_as_current=False)
    try:
        # when: two beats send the close at the same moment
        first = client.send_task("postloan.close_scheduled")
        second = client.send_task("postloan.close_scheduled")
        results = [first.get(timeout=240), second.get(timeout=240)]
    finally:
        output = stop_and_read(worker)
    # then: one closed the three due days in order, the other started nothing
    days = [start.isoformat(), (start + dt.timedelta(days=1)).isoformat(), today.isoformat()]
    assert sorted(results, key=len) == [[], days], output[-3000:]
    assert business_date_get() == today + dt.timedelta(days=1)
    assert list(DayClose.objects.order_by("day").values_list("trigger", "status")) == [("schedule", "done")] * 3
    # each chunk was done once (its record is unique) and went through the broker as a task
    assert DayCloseStep.objects.filter(day=start, step="settlement").count() == 1
    assert "postloan.cob_chunk" in output
