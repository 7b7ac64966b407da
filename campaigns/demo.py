"""The demo's SMS campaigns: a template, a campaign approved and sent through the log backend with its
receipts, a second waiting for approval, and one opt-out. Idempotent: nothing is made twice."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from campaigns.models import Campaign, Message, OptOut, SmsTemplate
from campaigns.selectors import campaign_audience
from campaigns.sending import SHANGHAI, campaign_send
from campaigns.services import (
    campaign_approve,
    campaign_create,
    opt_out_record,
    receipts_apply,
    sms_template_create,
)
from origination.sms import LogSmsBackend
from partners.models import User

TEMPLATE = (
    "{farmer_name}您好！您在{programme}的预授信额度尚可用{limit_room}元，随借随还。"
    "可到{outlet}或致电客户经理{outlet_phone}办理，请勿向任何人透露验证码。"
)
SENT_NAME = "春季补栏额度提醒"
WAITING_NAME = "夏季饲料采购提醒"


def demo_campaigns_ensure() -> None:
    """Seed the campaigns once (the demo's users and whitelist must exist)."""
    if Campaign.objects.filter(name=SENT_NAME).exists():
        return
    manager = User.objects.filter(username="manager").first()
    leader = User.objects.filter(username="leader").first()
    if manager is None or leader is None:
        return
    with transaction.atomic():
        template = sms_template_create(name="额度可用提醒", body=TEMPLATE, actor=manager)
        campaign = campaign_create(name=SENT_NAME, template=template, actor=manager)
        phones = list(campaign_audience(campaign).values_list("farmer__phone", flat=True)[:1])
        first_phone = phones[0] if phones else None
        if first_phone and not OptOut.objects.filter(phone=first_phone).exists():
            opt_out_record(phone=first_phone, source=OptOut.Source.GATEWAY)
        campaign_approve(campaign=campaign, actor=leader)
    # Sent by the log backend at ten in the morning (outside quiet hours whatever the hour of the seeding).
    morning = timezone.now().astimezone(SHANGHAI).replace(hour=10, minute=0, second=0, microsecond=0)
    campaign_send(campaign.pk, backend=LogSmsBackend(), now=lambda: morning)
    sent = list(Message.objects.filter(campaign=campaign, status=Message.Status.SENT).order_by("id"))
    receipts = [
        {"message_id": m.gateway_message_id, "status": "failed" if i % 7 == 3 else "delivered", "error": "空号"}
        for i, m in enumerate(sent)
    ]
    receipts_apply(receipts, now=morning + dt.timedelta(minutes=2))
    if not SmsTemplate.objects.filter(name="饲料采购提醒").exists():
        summer = sms_template_create(
            name="饲料采购提醒",
            body="{farmer_name}您好！{anchor}合作养殖户可用{programme}额度采购饲料，可用额度{limit_room}元。",
            actor=manager,
        )
        campaign_create(name=WAITING_NAME, template=summer, actor=manager)
