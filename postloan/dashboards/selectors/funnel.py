"""The funnel (whitelisted → contacted → reached → drew) on the dashboards: by outlet, person, list, anchor or
kind of list (``distribution.selectors.funnel``), by SMS campaign (``campaigns.selectors.campaign_reach`` joined
with the viewer's list entries), and each outlet's conversion month by month or quarter by quarter."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, Q

from campaigns.models import Campaign
from campaigns.selectors import campaign_reach
from core.calendar import quarter_label, quarter_of
from distribution.models import Stage
from distribution.selectors import FUNNEL_BY, FunnelRow, funnel, visible_entries, with_effective_stage
from partners.models import OrgNode, User

CAMPAIGNS_SHOWN = 20
PERIODS = {"month": 6, "quarter": 4}  # how many periods the conversion over time covers


@dataclass(frozen=True)
class CampaignFunnel:
    """A campaign's farmers on the viewer's lists: messaged by it, delivered, then reached and drawn on the lists."""

    key: int
    label: str
    messaged: int
    delivered: int
    reached: int
    drew: int

    @property
    def conversion(self) -> Decimal | None:
        if not self.messaged:
            return None
        return (Decimal(self.drew) / Decimal(self.messaged)).quantize(Decimal("0.0001"))


@dataclass(frozen=True)
class Period:
    label: str
    start: dt.date
    end: dt.date


@dataclass
class FunnelDashboard:
    by: str
    period: str
    total: FunnelRow | None
    rows: list[FunnelRow]
    campaigns: list[CampaignFunnel]
    periods: list[Period]
    # each outlet's funnel per period (None: no entry joined a list at the outlet in that period)
    trend: list[tuple[str, list[FunnelRow | None]]] = field(default_factory=list)


def _month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def periods_before(today: dt.date, kind: str) -> list[Period]:
    """The last ``PERIODS[kind]`` months or quarters up to the one holding ``today``, oldest first."""
    found: list[Period] = []
    if kind == "quarter":
        start, end = quarter_of(today)
        for _i in range(PERIODS["quarter"]):
            found.append(Period(quarter_label(start), start, end))
            start, end = quarter_of(start - dt.timedelta(days=1))
    else:
        start = _month_start(today)
        for _i in range(PERIODS["month"]):
            following = (start + dt.timedelta(days=32)).replace(day=1)
            found.append(Period(start.strftime("%Y-%m"), start, following - dt.timedelta(days=1)))
            start = _month_start(start - dt.timedelta(days=1))
    return list(reversed(found))


def campaign_funnels(user: User) -> list[CampaignFunnel]:
    """The latest campaigns' farmers on the viewer's lists, messaged → delivered → reached → drew."""
    ids = list(Campaign.objects.order_by("-pk").values_list("pk", flat=True)[:CAMPAIGNS_SHOWN])
    reach = campaign_reach(ids)
    rows = []
    for pk in ids:
        entry = reach.get(pk)
        if entry is None or not entry["messaged"]:
            continue
        entries = with_effective_stage(visible_entries(user).filter(farmer_id__in=entry["messaged_farmers"]))
        counts = entries.order_by().aggregate(
            messaged=Count("farmer_id", distinct=True),
            delivered=Count("farmer_id", distinct=True, filter=Q(farmer_id__in=entry["delivered_farmers"])),
            reached=Count("farmer_id", distinct=True, filter=Q(effective_stage__gte=Stage.REACHED)),
            drew=Count("farmer_id", distinct=True, filter=Q(effective_stage__gte=Stage.DREW)),
        )
        if counts["messaged"]:
            rows.append(CampaignFunnel(pk, str(entry["name"]), **counts))
    return rows


def outlet_trend(user: User, periods: list[Period]) -> list[tuple[str, list[FunnelRow | None]]]:
    """Each outlet's funnel of the entries that joined a list in each period."""
    outlets = dict(OrgNode.objects.filter(kind=OrgNode.Kind.OUTLET).values_list("pk", "name"))
    by_outlet: dict[int, list[FunnelRow | None]] = {}
    for index, period in enumerate(periods):
        for row in funnel(viewer=user, by="node", added_from=period.start, added_to=period.end):
            if isinstance(row.key, int) and row.key in outlets:
                by_outlet.setdefault(row.key, [None] * len(periods))[index] = row
    return sorted(((outlets[pk], cells) for pk, cells in by_outlet.items()), key=lambda item: item[0])


def funnel_dashboard(user: User, by: str, period: str, today: dt.date) -> FunnelDashboard:
    by = by if by in FUNNEL_BY and by != "total" else "node"
    period = period if period in PERIODS else "month"
    total = funnel(viewer=user, by="total")
    periods = periods_before(today, period)
    return FunnelDashboard(
        by=by,
        period=period,
        total=total[0] if total and total[0].whitelisted else None,
        rows=funnel(viewer=user, by=by),  # type: ignore[arg-type]
        campaigns=campaign_funnels(user),
        periods=periods,
        trend=outlet_trend(user, periods),
    )
