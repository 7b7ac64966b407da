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
from tests.processes import database_url

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/14")


def _redis_up() -> bool:
    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_worker_process_runs_a_task_and_returns_its_result():
    if not _redis_up():
        if os.environ.get("CI"):
            pytest.fail(f"Redis is not reachable at {REDIS_URL}")
        pytest.skip("Redis is not running here")
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
        worker.terminate()
        try:
            output, _ = worker.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            worker.kill()
            output, _ = worker.communicate()
    assert "core.business_date_read" in output
