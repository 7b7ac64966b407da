"""Against real processes: the gateway posts its receipts and replies to our live server, and a sender killed
with SIGKILL mid-campaign leaves every farmer messaged exactly once after the run is taken up again."""

from __future__ import annotations

import datetime as dt
import multiprocessing
import os
import signal
import time

import pytest
from django.db import connections
from django.utils import timezone

from campaigns.models import Campaign, Message, OptOut
from campaigns.selectors import campaign_progress
from campaigns.sending import SEND_BATCH, campaign_send
from campaigns.services import campaign_approve, campaign_create, sms_template_create
from origination.models import Notification
from origination.outbox import notifications_send_pending
from origination.sms import HttpSmsBackend
from tests.campaigns.world import phone_of, whitelisted

pytestmark = pytest.mark.django_db(transaction=True)


def approved_campaign(users, count):
    whitelisted(users, count)
    template = sms_template_create(
        name="额度提醒", body="{farmer_name}您好，可用额度{limit_room}元。", actor=users["manager"]
    )
    # Approval queues the sending task, which runs in process here (no broker): a start time an hour away
    # keeps it from sending, so that the test sends by its own hand.
    later = timezone.now() + dt.timedelta(hours=1)
    campaign = campaign_create(name="春季营销", template=template, actor=users["manager"], send_after=later)
    campaign = campaign_approve(campaign=campaign, actor=users["leader"])
    assert not gateway_requests_made(campaign)
    Campaign.objects.filter(pk=campaign.pk).update(send_after=None)
    return campaign


def gateway_requests_made(campaign):
    return Message.objects.filter(campaign=campaign).exclude(status=Message.Status.PENDING).exists()


def test_receipts_and_replies_posted_back_by_the_gateway_update_the_messages(users, gateway, live_server):
    campaign = approved_campaign(users, 4)
    campaign_send(campaign.pk)
    note = Notification.objects.create(
        idempotency_key="notice-1", recipient=phone_of(9), template="drawdown", text="【银行】您的额度已批准"
    )
    notifications_send_pending()
    note.refresh_from_db()
    assert note.status == Notification.Status.SENT and note.provider_message_id == gateway.delivered["notice-1"]

    failed_key = Message.objects.filter(campaign=campaign).order_by("id").first().idempotency_key
    callback = f"{live_server.url}/api/v1/sms-gateway/receipts/"
    body = {
        "receipts": gateway.receipts(failed={failed_key, "notice-1"}),
        "replies": [{"from": phone_of(3), "text": "t"}],
    }

    status, answer = gateway.post_back(callback, body)
    assert status == 200, answer
    assert answer == {"applied": 4, "unknown": 1, "notifications_failed": 1, "opted_out": 1}
    progress = campaign_progress(campaign)
    assert progress["delivered"] == 3 and progress["failed"] == 1
    assert Message.objects.get(idempotency_key=failed_key).last_error == "空号"
    note.refresh_from_db()
    assert note.status == Notification.Status.FAILED
    assert OptOut.objects.filter(phone=phone_of(3), source=OptOut.Source.GATEWAY).exists()

    # the same callback again changes nothing
    status, again = gateway.post_back(callback, body)
    assert status == 200 and again == {"applied": 0, "unknown": 1, "notifications_failed": 0, "opted_out": 0}
    assert campaign_progress(campaign) == progress

    # a callback signed with another key is refused and applies nothing
    status, refused = gateway.post_back(callback, {"replies": [{"from": phone_of(2), "text": "T"}]}, key="forged")
    assert status == 401 and refused["code"] == "bad_signature"
    assert not OptOut.objects.filter(phone=phone_of(2)).exists()


def _send_in_child(campaign_id: int, url: str, key: str) -> None:
    connections.close_all()  # the parent's sockets are not ours: open our own
    campaign_send(campaign_id, backend=HttpSmsBackend(url, key))
    os._exit(0)


def test_a_sender_killed_mid_campaign_leaves_every_farmer_messaged_once(users, gateway):
    count = 3 * SEND_BATCH + 7
    campaign = approved_campaign(users, count)
    gateway.delay = 0.01
    connections.close_all()
    child = multiprocessing.get_context("fork").Process(
        target=_send_in_child, args=(campaign.pk, gateway.url, gateway.key)
    )
    child.start()
    deadline = time.monotonic() + 60
    while len(gateway.requests) < SEND_BATCH + SEND_BATCH // 2 and time.monotonic() < deadline:
        time.sleep(0.005)
    os.kill(child.pid, signal.SIGKILL)  # in the middle of its second batch
    child.join()
    assert child.exitcode == -signal.SIGKILL
    in_flight = {key for key, n in gateway.requests_per_key.items()}
    committed = Message.objects.filter(campaign=campaign, status=Message.Status.SENT).count()
    assert 0 < committed < count  # the first batch was committed, the rest not

    # the run is taken up again (beat's send_due, or the task redelivered): the same rows, the same keys
    deadline = time.monotonic() + 30
    result = campaign_send(campaign.pk, backend=HttpSmsBackend(gateway.url, gateway.key))
    while result.busy and time.monotonic() < deadline:  # the dead sender's session lock is being let go
        time.sleep(0.1)
        result = campaign_send(campaign.pk, backend=HttpSmsBackend(gateway.url, gateway.key))
    assert result.done

    messages = list(Message.objects.filter(campaign=campaign))
    assert len(messages) == count and {m.status for m in messages} == {Message.Status.SENT}
    # every farmer reached the gateway's handset side once: one delivery per key, with the id we stored
    assert len(gateway.delivered) == count
    assert all(gateway.delivered[m.idempotency_key] == m.gateway_message_id for m in messages)
    # only the batch in flight at the kill was asked for twice, and the gateway dropped those repeats
    repeated = {key for key, n in gateway.requests_per_key.items() if n > 1}
    assert repeated <= in_flight and len(repeated) <= SEND_BATCH
    assert max(gateway.requests_per_key.values()) == 2
    assert Campaign.objects.get(pk=campaign.pk).status == Campaign.Status.DONE
