"""A real Celery worker killed with SIGKILL in the middle of a campaign: the task comes back from Redis to a
second worker, which sends the rest; the gateway shows every farmer delivered once."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import time

import pytest
import redis
from celery import Celery
from django.utils import timezone

from campaigns.models import Campaign, Message
from campaigns.sending import SEND_BATCH
from campaigns.services import campaign_approve, campaign_create, sms_template_create
from tests.campaigns.world import whitelisted
from tests.processes import database_url, redis_or_skip, stop_and_read

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/12")
VISIBILITY = 3  # seconds before a task taken by a dead worker goes back to the queue


def worker(gateway, name: str) -> subprocess.Popen[str]:
    env = {
        **os.environ,
        "CELERY_BROKER_URL": REDIS_URL,
        "DATABASE_URL": database_url(),
        "CELERY_VISIBILITY_TIMEOUT": str(VISIBILITY),
        "SMS_BACKEND": "origination.sms.HttpSmsBackend",
        "SMS_GATEWAY_URL": gateway.url,
        "SMS_GATEWAY_KEY": gateway.key,
        "SMS_GATEWAY_RATE": "10000",
        "SMS_QUIET_HOURS": "00:00-00:00",
    }
    command = [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool=solo", "--concurrency=1"]
    command += ["--without-gossip", "--without-mingle", "--loglevel=INFO", "-n", f"{name}@%h"]
    return subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_send_and_the_task_redelivered_sends_each_farmer_once(users, gateway):
    redis_or_skip(REDIS_URL)
    redis.Redis.from_url(REDIS_URL).flushdb()
    count = 3 * SEND_BATCH + 7
    whitelisted(users, count)
    template = sms_template_create(name="额度提醒", body="{farmer_name}您好", actor=users["manager"])
    later = timezone.now() + dt.timedelta(hours=1)  # approval's own in-process task finds nothing due
    campaign = campaign_create(name="春季营销", template=template, actor=users["manager"], send_after=later)
    campaign_approve(campaign=campaign, actor=users["leader"])
    Campaign.objects.filter(pk=campaign.pk).update(send_after=None)
    gateway.delay = 0.01

    first = worker(gateway, "first")
    client = Celery("test-client", broker=REDIS_URL, set_as_current=False)
    client.conf.broker_transport_options = {"visibility_timeout": VISIBILITY}
    client.send_task("campaigns.send", args=[campaign.pk])
    deadline = time.monotonic() + 90
    while len(gateway.requests) < SEND_BATCH + SEND_BATCH // 2 and time.monotonic() < deadline:
        time.sleep(0.005)
    os.kill(first.pid, signal.SIGKILL)  # mid-batch, the task unacknowledged
    first.communicate(timeout=30)
    requested_before_kill = set(gateway.requests_per_key)
    assert 0 < Message.objects.filter(campaign=campaign, status=Message.Status.SENT).count() < count

    time.sleep(VISIBILITY + 1)  # the dead worker's task is now due back to the queue
    second = worker(gateway, "second")
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if Campaign.objects.get(pk=campaign.pk).status == Campaign.Status.DONE:
                break
            time.sleep(0.2)
    finally:
        output = stop_and_read(second)
    assert Campaign.objects.get(pk=campaign.pk).status == Campaign.Status.DONE, output[-3000:]

    messages = list(Message.objects.filter(campaign=campaign))
    assert {m.status for m in messages} == {Message.Status.SENT}
    assert len(gateway.delivered) == count
    assert all(gateway.delivered[m.idempotency_key] == m.gateway_message_id for m in messages)
    repeated = {key for key, n in gateway.requests_per_key.items() if n > 1}
    assert repeated <= requested_before_kill and len(repeated) <= SEND_BATCH
    assert max(gateway.requests_per_key.values()) <= 2
