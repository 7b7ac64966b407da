"""Audit scenarios of the SMS campaigns (短信营销): templates, campaigns made and decided, opt-outs."""

from __future__ import annotations

from core.audit import AuditAction
from tests.core.audit_scenarios import Act, World, scenario, users

BODY = "{farmer_name}您好，您的可用额度为{limit_room}元。"


def _campaign(world: World):  # type: ignore[no-untyped-def]
    from campaigns.services import campaign_create, sms_template_create
    from origination.models import WhitelistEntry

    limit = world["limit"]
    WhitelistEntry.objects.get_or_create(
        credit_limit=limit, defaults={"program": limit.program, "farmer": limit.farmer, "added_on": limit.approved_on}
    )
    template = sms_template_create(name="额度提醒", body=BODY, actor=users(world)["manager"])
    return campaign_create(name="春季营销", template=template, actor=users(world)["manager"])


@scenario(AuditAction.SMS_TEMPLATE_CREATE)
def _sms_template_create(world: World) -> Act:
    from campaigns.services import sms_template_create

    return lambda: sms_template_create(name="额度提醒", body=BODY, actor=users(world)["manager"])


@scenario(AuditAction.SMS_CAMPAIGN_CREATE)
def _sms_campaign_create(world: World) -> Act:
    from campaigns.services import campaign_create, sms_template_create

    template = sms_template_create(name="额度提醒", body=BODY, actor=users(world)["manager"])
    return lambda: campaign_create(name="春季营销", template=template, actor=users(world)["manager"])


@scenario(AuditAction.SMS_CAMPAIGN_APPROVE)
def _sms_campaign_approve(world: World) -> Act:
    from campaigns.services import campaign_approve

    campaign = _campaign(world)
    return lambda: campaign_approve(campaign=campaign, actor=users(world)["leader"])


@scenario(AuditAction.SMS_CAMPAIGN_REJECT)
def _sms_campaign_reject(world: World) -> Act:
    from campaigns.services import campaign_reject

    campaign = _campaign(world)
    return lambda: campaign_reject(campaign=campaign, actor=users(world)["leader"], reason="措辞需修改")


@scenario(AuditAction.SMS_OPT_OUT)
def _sms_opt_out(world: World) -> Act:
    from campaigns.models import OptOut
    from campaigns.services import opt_out_record

    return lambda: opt_out_record(phone="13900000001", source=OptOut.Source.GATEWAY)
