"""A campaign from its template to the receipts: preview, maker-checker, exclusions, sending, callbacks."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from campaigns.models import Campaign, Message, OptOut
from campaigns.selectors import campaign_preview, campaign_progress, campaign_reach
from campaigns.sending import campaign_send, is_quiet, quiet_ends
from campaigns.services import (
    campaign_approve,
    campaign_create,
    campaign_reject,
    opt_out_record,
    sms_template_create,
)
from core.errors import DomainError
from tests.campaigns.world import phone_of, whitelisted

pytestmark = pytest.mark.django_db

BODY = "{farmer_name}您好！您在{programme}的可用额度为{limit_room}元，可到{outlet}办理，电话{outlet_phone}。"


def make_campaign(users, **filters):
    template = sms_template_create(name="额度提醒", body=BODY, actor=users["manager"])
    return campaign_create(name="春季营销", template=template, actor=users["manager"], **filters)


def test_the_preview_counts_after_exclusions_and_shows_the_first_messages_masked(users, settings):
    settings.SMS_MARKETING_CAP = 1
    _program, farmers = whitelisted(users, 5)
    opt_out_record(phone=phone_of(1), source=OptOut.Source.STAFF, actor=users["manager"])
    earlier = make_campaign(users)
    Message.objects.create(
        campaign=earlier,
        farmer=farmers[2],
        phone=phone_of(2),
        text="x",
        idempotency_key="old",
        status=Message.Status.DELIVERED,
        sent_at=timezone.now() - dt.timedelta(days=3),
    )
    campaign = make_campaign(users)

    preview = campaign_preview(campaign)

    assert (preview.audience, preview.opted_out, preview.capped, preview.to_send) == (5, 1, 1, 3)
    first = preview.samples[0]
    assert "****" in first["phone"] and first["text"].startswith("【中国工商银行】")
    assert first["text"].endswith("回复T退订") and "95588" in first["text"]
    assert all(phone_of(1)[-4:] not in s["phone"] or "****" in s["phone"] for s in preview.samples)


def test_the_audience_follows_the_filters(users):
    _program, _farmers = whitelisted(users, 4, amounts=["", "20000", "60000", "90000"])
    campaign = make_campaign(users, min_amount=50_000, max_amount=95_000)
    # the first farmer's limit is 100,000: outside; 60,000 and 90,000 inside
    assert campaign_preview(campaign).audience == 2


def test_the_maker_cannot_approve_and_a_second_person_can(users):
    whitelisted(users, 3)
    campaign = make_campaign(users)
    with pytest.raises(DomainError) as refused:
        campaign_approve(campaign=campaign, actor=users["manager"])
    assert refused.value.code in {"maker_checker", "permission_denied"}
    approved = campaign_approve(campaign=campaign, actor=users["leader"])
    assert approved.status == Campaign.Status.SENDING
    assert Message.objects.filter(campaign=campaign).count() == 3
    with pytest.raises(DomainError) as again:
        campaign_approve(campaign=campaign, actor=users["admin"])
    assert again.value.code == "invalid_status"


def test_the_maker_cannot_approve_even_as_a_branch_manager(users):
    whitelisted(users, 2)
    template = sms_template_create(name="t", body=BODY, actor=users["leader"])
    campaign = campaign_create(name="c", template=template, actor=users["leader"])
    with pytest.raises(DomainError) as refused:
        campaign_approve(campaign=campaign, actor=users["leader"])
    assert refused.value.code == "maker_checker"
    assert not Message.objects.filter(campaign=campaign).exists()


def test_a_rejected_campaign_sends_nothing_and_needs_a_reason(users):
    whitelisted(users, 2)
    campaign = make_campaign(users)
    with pytest.raises(DomainError) as no_reason:
        campaign_reject(campaign=campaign, actor=users["leader"], reason=" ")
    assert no_reason.value.code == "reason_required"
    rejected = campaign_reject(campaign=campaign, actor=users["leader"], reason="措辞需修改")
    assert rejected.status == Campaign.Status.REJECTED
    assert not Message.objects.filter(campaign=campaign).exists()


def test_a_template_with_an_unknown_variable_is_refused(users):
    with pytest.raises(DomainError) as refused:
        sms_template_create(name="坏模板", body="您好{id_number}", actor=users["manager"])
    assert refused.value.code == "invalid_template"


def test_sent_through_the_gateway_once_each_with_its_id_and_exclusions_kept(users, gateway, settings):
    settings.SMS_MARKETING_CAP = 1
    _program, _farmers = whitelisted(users, 6)
    opt_out_record(phone=phone_of(1), source=OptOut.Source.STAFF, actor=users["manager"])
    campaign = make_campaign(users)
    campaign_approve(campaign=campaign, actor=users["leader"])
    # an opt-out that came after the approval is honoured at sending
    opt_out_record(phone=phone_of(2), source=OptOut.Source.GATEWAY)

    result = campaign_send(campaign.pk)

    assert result.done and result.sent == 4
    progress = campaign_progress(campaign)
    assert progress["sent"] == 4 and progress["opted_out"] == 2 and progress["pending"] == 0
    sent = Message.objects.filter(campaign=campaign, status=Message.Status.SENT)
    assert {m.gateway_message_id for m in sent} == {gateway.delivered[m.idempotency_key] for m in sent}
    assert set(gateway.requests_per_key.values()) == {1}
    assert {r["to"] for r in gateway.requests}.isdisjoint({phone_of(1), phone_of(2)})
    assert Campaign.objects.get(pk=campaign.pk).status == Campaign.Status.DONE

    # a second campaign: every farmer is now at the cap of 1 a month
    second = make_campaign(users)
    campaign_approve(campaign=second, actor=users["leader"])
    assert campaign_progress(second)["capped"] == 4
    assert campaign_send(second.pk).sent == 0


def test_a_gateway_down_leaves_the_messages_waiting_for_the_next_run(users, gateway):
    whitelisted(users, 3)
    campaign = make_campaign(users)
    campaign_approve(campaign=campaign, actor=users["leader"])
    gateway.fail_next = 100
    from origination.sms import HttpSmsBackend

    down = campaign_send(campaign.pk, backend=HttpSmsBackend(gateway.url, gateway.key, tries=2, backoff=0.01))
    assert down.gateway_down and down.sent == 0
    assert campaign_progress(campaign)["pending"] == 3
    gateway.fail_next = 0
    assert campaign_send(campaign.pk).sent == 3


def test_quiet_hours_keep_messages_waiting(users, gateway, settings):
    settings.SMS_QUIET_HOURS = "21:00-08:00"
    whitelisted(users, 2)
    campaign = make_campaign(users)
    campaign_approve(campaign=campaign, actor=users["leader"])
    night = dt.datetime(2027, 6, 1, 23, 30, tzinfo=dt.UTC) - dt.timedelta(hours=8)  # 23:30 in Shanghai
    result = campaign_send(campaign.pk, now=lambda: night)
    assert result.quiet and result.sent == 0 and gateway.requests == []
    assert quiet_ends(night).hour == 8
    day = night + dt.timedelta(hours=10)  # 09:30 in Shanghai
    assert not is_quiet(day)
    assert campaign_send(campaign.pk, now=lambda: day).sent == 2


def test_a_campaign_waits_for_its_start_time(users, gateway):
    whitelisted(users, 2)
    campaign = make_campaign(users, send_after=timezone.now() + dt.timedelta(hours=2))
    campaign_approve(campaign=campaign, actor=users["leader"])
    assert campaign_send(campaign.pk).sent == 0
    assert campaign_progress(campaign)["pending"] == 2


def test_one_message_per_farmer_per_campaign_is_a_database_rule(users):
    from django.db import IntegrityError, transaction

    _program, farmers = whitelisted(users, 1)
    campaign = make_campaign(users)
    campaign_approve(campaign=campaign, actor=users["leader"])
    with pytest.raises(IntegrityError), transaction.atomic():
        Message.objects.create(campaign=campaign, farmer=farmers[0], phone="13900000000", text="x", idempotency_key="x")


def test_campaign_reach_counts_messaged_and_delivered_farmers(users, gateway):
    _program, _farmers = whitelisted(users, 3)
    campaign = make_campaign(users)
    campaign_approve(campaign=campaign, actor=users["leader"])
    campaign_send(campaign.pk)
    first = Message.objects.filter(campaign=campaign).order_by("id").first()
    Message.objects.filter(pk=first.pk).update(status=Message.Status.DELIVERED)
    reach = campaign_reach([campaign.pk])
    assert reach[campaign.pk]["messaged"] == 3 and reach[campaign.pk]["delivered"] == 1
    only = campaign_reach([campaign.pk], farmer_ids=[first.farmer_id])
    assert only[campaign.pk]["messaged"] == 1 and only[campaign.pk]["delivered_farmers"] == {first.farmer_id}


def test_a_wrong_gateway_key_fails_no_message(users, gateway, settings):
    whitelisted(users, 2)
    campaign = make_campaign(users)
    campaign_approve(campaign=campaign, actor=users["leader"])
    settings.SMS_GATEWAY_KEY = "not-the-gateways-key"
    result = campaign_send(campaign.pk)
    assert result.gateway_down and result.failed == 0
    assert campaign_progress(campaign)["pending"] == 2
    settings.SMS_GATEWAY_KEY = gateway.key
    assert campaign_send(campaign.pk).sent == 2


def test_a_number_the_gateway_refuses_fails_that_message_only(users, gateway):
    whitelisted(users, 3)
    campaign = make_campaign(users)
    campaign_approve(campaign=campaign, actor=users["leader"])
    gateway.reject_next = 1
    result = campaign_send(campaign.pk)
    assert (result.failed, result.sent, result.done) == (1, 2, True)
    failed = Message.objects.get(campaign=campaign, status=Message.Status.FAILED)
    assert "400" in failed.last_error and failed.attempts == 1
