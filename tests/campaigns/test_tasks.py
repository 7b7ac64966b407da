"""The sending tasks (ids in, one call each) and the pacing that keeps to the gateway's rate."""

from __future__ import annotations

import pytest

from campaigns.models import Campaign, Message
from campaigns.sending import Pacer
from campaigns.services import campaign_approve, campaign_create, sms_template_create
from campaigns.tasks import campaign_send_task, campaigns_send_due
from tests.campaigns.world import whitelisted


@pytest.mark.django_db
def test_beat_sends_the_campaigns_with_messages_waiting(users, gateway):
    whitelisted(users, 3)
    template = sms_template_create(name="t", body="{farmer_name}您好", actor=users["manager"])
    campaign = campaign_create(name="c", template=template, actor=users["manager"])
    campaign_approve(campaign=campaign, actor=users["leader"])  # its task waits for the commit: not run here
    assert Message.objects.filter(status=Message.Status.PENDING).count() == 3

    assert campaigns_send_due() == 1  # tasks run in process without a broker
    assert Message.objects.filter(status=Message.Status.SENT).count() == 3
    assert len(gateway.delivered) == 3
    assert Campaign.objects.get(pk=campaign.pk).status == Campaign.Status.DONE
    assert campaigns_send_due() == 0
    assert campaign_send_task(campaign.pk)["sent"] == 0  # a task delivered again sends nothing twice
    assert set(gateway.requests_per_key.values()) == {1}


def test_the_pacer_spaces_calls_by_the_rate():
    now = [100.0]
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    pacer = Pacer(10, sleep=sleep, clock=lambda: now[0])
    for _ in range(5):
        pacer.wait()
    assert slept == pytest.approx([0.1, 0.1, 0.1, 0.1])  # the first at once, then a tenth of a second apart
    now[0] += 5.0  # idle for a while: no debt is carried, the next call goes at once
    pacer.wait()
    assert len(slept) == 4
