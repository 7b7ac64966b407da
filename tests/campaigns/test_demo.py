"""The demo's campaigns: one sent through the log backend with its receipts, one waiting; made once."""

from __future__ import annotations

import pytest

from campaigns.demo import SENT_NAME, WAITING_NAME, demo_campaigns_ensure
from campaigns.models import Campaign, Message
from campaigns.selectors import campaign_progress
from tests.campaigns.world import whitelisted

pytestmark = pytest.mark.django_db


def test_the_demo_campaigns_are_made_once(users):
    whitelisted(users, 8)
    demo_campaigns_ensure()
    demo_campaigns_ensure()
    sent = Campaign.objects.get(name=SENT_NAME)
    assert sent.status == Campaign.Status.DONE and sent.decided_by == users["leader"]
    progress = campaign_progress(sent)
    assert progress["total"] == 8 and progress["opted_out"] == 1 and progress["pending"] == 0
    assert progress["delivered"] > 0 and progress["delivered"] + progress["failed"] == 7
    assert Message.objects.filter(campaign=sent, gateway_message_id__startswith="log:").count() == 7
    assert Campaign.objects.get(name=WAITING_NAME).status == Campaign.Status.PENDING_APPROVAL
    assert Campaign.objects.count() == 2
