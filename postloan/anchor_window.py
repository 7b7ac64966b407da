"""The anchor's window (龙头企业视图): what an anchor operator sees of his enterprise on his home page and in the API.

Every figure is read through ``visible_programs`` / ``visible_batches`` of the viewer, which for an anchor
operator are his enterprise's only, so another anchor's numbers are never fetched. Each read is an aggregate
over an index that begins with the programme (limits, loans, demands) or a short list, so a programme of
100,000 farmers costs a few grouped queries, never a row per farmer; the farmers themselves are listed a
page at a time by the credit limits' page (``limit-list``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, Q, QuerySet, Sum
from django.urls import reverse

from core.calendar import month_end
from core.money import ZERO, money
from origination.figures import limits_in_force
from origination.models import AnchorPayment, Batch, BatchRow, CompensationDemand, CreditLimit
from origination.selectors import visible_batches
from partners.models import Program, User
from partners.scoping import visible_anchors, visible_programs
from postloan.models_statements import MonthlyStatement
from postloan.statements import visible_statements

RECENT_BATCHES = 5
DEMANDS_SHOWN = 10
STATEMENTS_SHOWN = 6
PAYMENTS_SHOWN = 5
# Demands still waiting for money, shown line by line: open within the month, or left as a claim after it.
UNSETTLED = (CompensationDemand.Status.OPEN, CompensationDemand.Status.CLAIM)


@dataclass(frozen=True)
class BatchDecisions:
    """A batch and what the bank decided on its rows."""

    batch: Batch
    approved: int
    refused: int
    pending: int
    approved_amount: Decimal

    @property
    def url(self) -> str:
        return reverse("batch-detail", args=[self.batch.pk])


@dataclass(frozen=True)
class DemandTotal:
    """The demands of one status: how many, and their amount (a claim's: what is left on the anchor)."""

    status: str
    label: str
    count: int
    amount: Decimal


@dataclass(frozen=True)
class OpenDemand:
    demand: CompensationDemand

    @property
    def deadline(self) -> dt.date:
        """The anchor compensates within the month the demand was raised in (当月内代偿)."""
        return month_end(self.demand.raised_on)

    @property
    def owed(self) -> Decimal:
        """A claim: what is left on the anchor after the margin; an open demand: what was demanded."""
        demand = self.demand
        return Decimal(demand.unrecovered if demand.status == CompensationDemand.Status.CLAIM else demand.amount)


@dataclass
class AnchorWindow:
    batches: list[BatchDecisions] = field(default_factory=list)
    farmers_with_limits: dict[int, int] = field(default_factory=dict)  # per programme, on the business date
    demand_totals: list[DemandTotal] = field(default_factory=list)
    open_demands: list[OpenDemand] = field(default_factory=list)
    statements: list[MonthlyStatement] = field(default_factory=list)
    payments: list[AnchorPayment] = field(default_factory=list)  # the anchor's own funds, newest first


def recent_batches(user: User) -> list[BatchDecisions]:
    decided = {
        "approved": Count("rows", filter=Q(rows__decision=BatchRow.Decision.APPROVED)),
        "refused": Count("rows", filter=Q(rows__decision=BatchRow.Decision.REFUSED)),
        "pending": Count("rows", filter=Q(rows__decision=BatchRow.Decision.PENDING)),
        "amount": Sum("rows__decided_amount", filter=Q(rows__decision=BatchRow.Decision.APPROVED)),
    }
    latest = visible_batches(user).order_by("-id").values("pk")[:RECENT_BATCHES]  # a subquery: one query in all
    batches = Batch.objects.filter(pk__in=latest).select_related("program").annotate(**decided).order_by("-id")
    return [
        BatchDecisions(b, b.approved, b.refused, b.pending, money(b.amount or ZERO))  # type: ignore[attr-defined]
        for b in batches
    ]


def farmers_with_limits(programs: QuerySet[Program], today: dt.date) -> dict[int, int]:
    """Per programme, the farmers holding a limit in force on ``today``."""
    rows = (
        CreditLimit.objects.filter(limits_in_force(today), program__in=programs)
        .values("program_id")
        .annotate(n=Count("farmer_id", distinct=True))
        .order_by()
    )
    return {row["program_id"]: row["n"] for row in rows}


def demand_totals(programs: QuerySet[Program]) -> list[DemandTotal]:
    """Per status, in the order of ``CompensationDemand.Status``, even a status without a demand."""
    rows = {
        row["status"]: row
        for row in CompensationDemand.objects.filter(program__in=programs)
        .values("status")
        .annotate(n=Count("id"), amount=Sum("amount"), claims=Sum("unrecovered"))
        .order_by()
    }
    totals = []
    for status, label in CompensationDemand.Status.choices:
        row = rows.get(status, {"n": 0, "amount": ZERO, "claims": ZERO})
        amount = row["claims"] if status == CompensationDemand.Status.CLAIM else row["amount"]
        totals.append(DemandTotal(status, str(label), row["n"], money(amount or ZERO)))
    return totals


def open_demands(programs: QuerySet[Program], limit: int = DEMANDS_SHOWN) -> list[OpenDemand]:
    """The oldest demands still unsettled: first to fall due, first shown."""
    # The few oldest are picked among the demands alone, and only they are joined to their loans and farmers.
    oldest = CompensationDemand.objects.filter(program__in=programs, status__in=UNSETTLED).order_by("raised_on", "id")
    demands = (
        CompensationDemand.objects.filter(pk__in=oldest.values("pk")[:limit])
        .select_related("loan__farmer", "program")
        .order_by("raised_on", "id")
    )
    return [OpenDemand(demand) for demand in demands]


def recent_payments(user: User, limit: int = PAYMENTS_SHOWN) -> list[AnchorPayment]:
    """The enterprise's latest payments from its own funds, as bank staff recorded and checked them."""
    return list(AnchorPayment.objects.filter(anchor__in=visible_anchors(user)).order_by("-id")[:limit])


def anchor_window(user: User, today: dt.date) -> AnchorWindow:
    programs = visible_programs(user)
    return AnchorWindow(
        batches=recent_batches(user),
        farmers_with_limits=farmers_with_limits(programs, today),
        demand_totals=demand_totals(programs),
        open_demands=open_demands(programs),
        statements=list(visible_statements(user).select_related("program", "xlsx", "pdf")[:STATEMENTS_SHOWN]),
        payments=recent_payments(user),
    )
