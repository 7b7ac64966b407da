"""A real Celery worker process, a real Redis broker, a real database read."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys

import pytest
import redis
from celery import Celery

from core.business_date import business_date_set
from tests.processes import database_url, redis_or_skip, stop_and_read

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/14")


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_worker_process_runs_a_task_and_returns_its_result():
    redis_or_skip(REDIS_URL)
    # given: a business date committed where the worker can read it
    business_date_set(new_date=dt.date(2027, 3, 15), backwards_allowed=True)
    redis.Redis.from_url(REDIS_URL).flushdb()
    env = {**os.environ, "CELERY_BROKER_URL": REDIS_URL, "DATABASE_URL": database_url()}
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "--pool=solo",
            "--concurrency=1",
            "--without-gossip",
            "--without-mingle",
            "--loglevel=INFO",
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    # Not the current app: shared tasks (the close's chunks) would follow it to Redis in later tests of
    # this process and wait for a worker that is gone.
    client = Celery("test-client", broker=REDIS_URL, backend=REDIS_URL, set_as_current=False)
    try:
        # when: the task is sent by name through the broker
        result = client.send_task("core.business_date_read")
        # then: the worker answers with the date it read from the database
        assert result.get(timeout=90) == "2027-03-15"
    finally:
        output = stop_and_read(worker)
    assert "core.business_date_read" in output
