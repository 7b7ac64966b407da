"""The campaign pages in Chinese: make a campaign, preview, the maker cannot approve, a second person does,
the progress and the messages with masked phones, templates and opt-outs; bad input a clear error."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from campaigns.models import Campaign, Message, OptOut, SmsTemplate
from campaigns.services import sms_template_create
from tests.campaigns.world import phone_of, whitelisted

pytestmark = pytest.mark.django_db

BODY = "{farmer_name}您好，您的可用额度为{limit_room}元，详询{outlet_phone}。"


def client_of(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_a_campaign_from_the_form_to_its_messages(users):
    whitelisted(users, 3)
    template = sms_template_create(name="额度提醒", body=BODY, actor=users["manager"])
    maker = client_of(users["manager"])
    assert 'data-testid="campaigns"' in maker.get(reverse("campaign-list")).content.decode()
    made = maker.post(reverse("campaign-new"), {"name": "春季营销", "template": template.pk})
    campaign = Campaign.objects.get()
    assert made.status_code == 302 and made["Location"] == reverse("campaign-detail", args=[campaign.pk])

    page = maker.get(reverse("campaign-detail", args=[campaign.pk])).content.decode()
    assert 'data-testid="preview-to-send">3<' in page and "回复T退订" in page
    assert 'data-testid="campaign-approve"' not in page  # the maker sees no approve button
    refused = maker.post(reverse("campaign-decide", args=[campaign.pk]), {"decision": "approve"})
    assert refused.status_code == 403
    assert not Message.objects.exists()

    checker = client_of(users["leader"])
    assert (
        'data-testid="campaign-approve"' in checker.get(reverse("campaign-detail", args=[campaign.pk])).content.decode()
    )
    checker.post(reverse("campaign-decide", args=[campaign.pk]), {"decision": "approve"})
    assert Message.objects.filter(campaign=campaign).count() == 3

    listed = checker.get(reverse("campaign-messages", args=[campaign.pk])).content.decode()
    for message in Message.objects.all():
        assert message.phone not in listed
    assert "****" in listed


def test_reject_needs_a_reason_and_then_keeps_it(users):
    whitelisted(users, 1)
    template = sms_template_create(name="t", body=BODY, actor=users["manager"])
    client_of(users["manager"]).post(reverse("campaign-new"), {"name": "c", "template": template.pk})
    campaign = Campaign.objects.get()
    checker = client_of(users["leader"])
    checker.post(reverse("campaign-decide", args=[campaign.pk]), {"decision": "reject", "reason": ""})
    assert Campaign.objects.get().status == Campaign.Status.PENDING_APPROVAL
    checker.post(reverse("campaign-decide", args=[campaign.pk]), {"decision": "reject", "reason": "措辞需修改"})
    assert Campaign.objects.get().reject_reason == "措辞需修改"


def test_bad_input_is_shown_on_the_form(users):
    client = client_of(users["manager"])
    answer = client.post(reverse("campaign-templates"), {"name": "坏", "body": "您好{id_number}"})
    assert answer.status_code == 200 and "is-invalid" in answer.content.decode()
    assert not SmsTemplate.objects.exists()
    template = sms_template_create(name="t", body=BODY, actor=users["manager"])
    wrong = client.post(
        reverse("campaign-new"), {"name": "c", "template": template.pk, "min_amount": "9000", "max_amount": "10"}
    )
    content = wrong.content.decode()
    assert wrong.status_code == 200 and ("is-invalid" in content or "alert-danger" in content)
    assert not Campaign.objects.exists()


def test_templates_show_a_sample_and_opt_outs_are_recorded_masked(users):
    client = client_of(users["manager"])
    client.post(reverse("campaign-templates"), {"name": "额度提醒", "body": BODY})
    page = client.get(reverse("campaign-templates")).content.decode()
    assert "【中国工商银行】张三您好" in page
    client.post(reverse("campaign-opt-outs"), {"phone": phone_of(7)})
    assert OptOut.objects.filter(phone=phone_of(7), source=OptOut.Source.STAFF).exists()
    listed = client.get(reverse("campaign-opt-outs")).content.decode()
    assert phone_of(7) not in listed and "****" in listed
    bad = client.post(reverse("campaign-opt-outs"), {"phone": "12345678901"})
    assert bad.status_code == 200 and "is-invalid" in bad.content.decode()


def test_another_subtree_does_not_see_the_campaign(users):
    whitelisted(users, 1)
    template = sms_template_create(name="t", body=BODY, actor=users["manager"])
    client_of(users["manager"]).post(reverse("campaign-new"), {"name": "c", "template": template.pk})
    campaign = Campaign.objects.get()
    assert client_of(users["manager_b"]).get(reverse("campaign-detail", args=[campaign.pk])).status_code == 404
