"""Reads of the campaigns: a campaign's audience, its preview and progress, and its reach for the funnel."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db.models import Count, F, Q, QuerySet
from django.utils import timezone

from campaigns.models import Campaign, Message, OptOut
from campaigns.rendering import render
from core.business_date import business_date_get
from core.masking import mask_phone
from origination.figures import limit_outstanding_expression, limits_in_force
from origination.models import WhitelistEntry
from partners.models import User
from partners.scoping import filter_by_subtree

# A message counts against the farmer's marketing cap once it has gone to the gateway.
CAP_COUNTED = (Message.Status.SENT, Message.Status.DELIVERED, Message.Status.FAILED)
AUDIENCE_FIELDS = (
    "farmer_id",
    "farmer__name",
    "farmer__phone",
    "program__name",
    "program__anchor__name",
    "farmer__org_node__name",
    "farmer__account_manager__phone",
    "room",
)


def visible_campaigns(user: User) -> QuerySet[Campaign]:
    """Campaigns made at a node of the user's subtree, with their template and people."""
    return filter_by_subtree(Campaign.objects.all(), user).select_related(
        "template", "created_by", "decided_by", "org_node", "program", "anchor"
    )


def campaign_audience(campaign: Campaign, day: dt.date | None = None) -> QuerySet[WhitelistEntry]:
    """The whitelist entries a campaign speaks to, one per farmer (his largest limit in force).

    Whitelisted farmers under the campaign's node whose limit is in force on ``day`` (the business date),
    narrowed by the campaign's programme, anchor and limit range. Each row carries the values of the
    template's variables (``AUDIENCE_FIELDS``; ``room`` is the limit less its loans' principal).
    """
    day = day or business_date_get()
    entries = WhitelistEntry.objects.filter(
        limits_in_force(day, prefix="credit_limit"), farmer__org_node__path__startswith=campaign.org_node.path
    )
    if campaign.program_id is not None:
        entries = entries.filter(program_id=campaign.program_id)
    if campaign.anchor_id is not None:
        entries = entries.filter(program__anchor_id=campaign.anchor_id)
    if campaign.min_amount is not None:
        entries = entries.filter(credit_limit__amount__gte=campaign.min_amount)
    if campaign.max_amount is not None:
        entries = entries.filter(credit_limit__amount__lte=campaign.max_amount)
    return entries.order_by("farmer_id", "-credit_limit__amount", "id").distinct("farmer_id")


def audience_rows(campaign: Campaign, day: dt.date | None = None) -> QuerySet[Any]:
    """The audience as value rows (``AUDIENCE_FIELDS``), ready to render."""
    return (
        campaign_audience(campaign, day)
        .annotate(room=F("credit_limit__amount") - limit_outstanding_expression("credit_limit_id"))
        .values_list(*AUDIENCE_FIELDS)
    )


def message_values(row: tuple[Any, ...]) -> dict[str, object]:
    """The template's variables of one audience row."""
    _farmer_id, name, _phone, programme, anchor, outlet, manager_phone, room = row
    return {
        "farmer_name": name,
        "limit_room": f"{max(room, 0):,.2f}",
        "programme": programme,
        "anchor": anchor,
        "outlet": outlet,
        "outlet_phone": manager_phone or "95588",
    }


def message_text(campaign: Campaign, row: tuple[Any, ...]) -> str:
    return render(campaign.template.body, message_values(row), sender=settings.SMS_SENDER_NAME)


def cap_since(now: dt.datetime | None = None) -> dt.datetime:
    """The start of the marketing cap's window (``SMS_MARKETING_CAP_DAYS`` back from now)."""
    return (now or timezone.now()) - dt.timedelta(days=settings.SMS_MARKETING_CAP_DAYS)


def capped_farmers(farmer_ids: Iterable[int] | None = None, now: dt.datetime | None = None) -> QuerySet[Any]:
    """Ids of the farmers who had ``SMS_MARKETING_CAP`` marketing messages or more within the window."""
    sent = Message.objects.filter(status__in=CAP_COUNTED, sent_at__gte=cap_since(now))
    if farmer_ids is not None:
        sent = sent.filter(farmer_id__in=list(farmer_ids))
    return (
        sent.order_by()
        .values("farmer_id")
        .annotate(n=Count("id"))
        .filter(n__gte=settings.SMS_MARKETING_CAP)
        .values("farmer_id")
    )


@dataclass
class Preview:
    """What a campaign would send now: how many, who is left out and why, and its first messages."""

    audience: int
    opted_out: int
    capped: int
    samples: list[dict[str, str]] = field(default_factory=list)

    @property
    def to_send(self) -> int:
        return self.audience - self.opted_out - self.capped

    def as_dict(self) -> dict[str, Any]:
        return {
            "audience": self.audience,
            "opted_out": self.opted_out,
            "capped": self.capped,
            "to_send": self.to_send,
            "samples": self.samples,
        }


def campaign_preview(campaign: Campaign, sample: int = 5) -> Preview:
    """The count after exclusions (opt-outs, then the cap) and the first ``sample`` messages, phones masked."""
    audience = campaign_audience(campaign)
    farmer_ids = audience.values("farmer_id")
    opted = OptOut.objects.filter(phone__in=audience.values("farmer__phone")).values("phone")
    total = WhitelistEntry.objects.filter(pk__in=audience.values("pk")).count()
    opted_out = WhitelistEntry.objects.filter(pk__in=audience.values("pk"), farmer__phone__in=opted).count()
    capped = (
        WhitelistEntry.objects.filter(pk__in=audience.values("pk"), farmer_id__in=capped_farmers())
        .exclude(farmer__phone__in=opted)
        .count()
        if Message.objects.filter(farmer_id__in=farmer_ids).exists()
        else 0
    )
    samples = [
        {"phone": mask_phone(row[2]), "text": message_text(campaign, row)}
        for row in audience_rows(campaign).exclude(farmer__phone__in=opted)[:sample]
    ]
    return Preview(audience=total, opted_out=opted_out, capped=capped, samples=samples)


PROGRESS_KEYS = tuple(Message.Status.values)


def campaign_progress(campaign: Campaign) -> dict[str, int]:
    """Messages of the campaign by status (every status present, 0 when none), and ``total``."""
    counts = dict.fromkeys(PROGRESS_KEYS, 0)
    for row in Message.objects.filter(campaign=campaign).order_by().values("status").annotate(n=Count("id")):
        counts[row["status"]] = row["n"]
    counts["total"] = sum(counts[key] for key in PROGRESS_KEYS)
    return counts


def campaign_reach(
    campaign_ids: Iterable[int] | None = None, *, farmer_ids: Iterable[int] | None = None
) -> dict[int, dict[str, Any]]:
    """Per campaign, the farmers it messaged and those it reached: the funnel's "contacted by SMS".

    Returns ``{campaign_id: {"name", "messaged", "delivered", "messaged_farmers", "delivered_farmers"}}``
    for the campaigns given (every campaign when ``None``), counting only ``farmer_ids`` when given (an
    outlet's or a person's list). A farmer is *messaged* when his message went to the gateway (sent,
    delivered, or failed on the handset) and *delivered* when the gateway's receipt said so; opted-out and
    capped farmers were not messaged. ``messaged_farmers`` and ``delivered_farmers`` are sets of farmer ids,
    so a caller may join them with its own lists (a farmer has at most one message per campaign).
    """
    messages = Message.objects.filter(status__in=CAP_COUNTED)
    campaigns = Campaign.objects.all()
    if campaign_ids is not None:
        ids = list(campaign_ids)
        messages = messages.filter(campaign_id__in=ids)
        campaigns = campaigns.filter(pk__in=ids)
    if farmer_ids is not None:
        messages = messages.filter(farmer_id__in=list(farmer_ids))
    reach: dict[int, dict[str, Any]] = {
        pk: {"name": name, "messaged": 0, "delivered": 0, "messaged_farmers": set(), "delivered_farmers": set()}
        for pk, name in campaigns.values_list("pk", "name")
    }
    for campaign_id, farmer_id, status in messages.values_list("campaign_id", "farmer_id", "status").iterator():
        entry = reach[campaign_id]
        entry["messaged_farmers"].add(farmer_id)
        if status == Message.Status.DELIVERED:
            entry["delivered_farmers"].add(farmer_id)
    for entry in reach.values():
        entry["messaged"] = len(entry["messaged_farmers"])
        entry["delivered"] = len(entry["delivered_farmers"])
    return reach


def pending_campaigns() -> QuerySet[Campaign]:
    """Approved campaigns with messages waiting, whose start time has come."""
    now = timezone.now()
    return (
        Campaign.objects.filter(status=Campaign.Status.SENDING)
        .filter(Q(send_after__isnull=True) | Q(send_after__lte=now))
        .filter(messages__status=Message.Status.PENDING)
        .distinct()
    )
