"""Reads of programmes' figures that pages, the API and the daily job share."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import DecimalField, F, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce

from core.business_date import business_date_get
from core.money import ZERO, money, ratio
from origination.models import Batch, BatchRow, CreditLimit, Loan
from partners.models import Program, User
from partners.scoping import filter_by_subtree, is_anchor_operator, visible_farmers, visible_programs
from partners.services.margin import margin_balance
from risk.models import TradeRecord

NPL_CLASSES = (Loan.Classification.SUBSTANDARD, Loan.Classification.DOUBTFUL, Loan.Classification.LOSS)


@dataclass(frozen=True)
class ProgramFigures:
    total_cap: Decimal
    outstanding_principal: Decimal
    npl_principal: Decimal
    approved_limits: Decimal
    margin_balance: Decimal
    margin_required: Decimal

    @property
    def npl_ratio(self) -> Decimal:
        return ratio(self.npl_principal, self.outstanding_principal)

    @property
    def headroom(self) -> Decimal:
        """Room left under the programme's total cap for new approvals."""
        return max(ZERO, self.total_cap - self.approved_limits)

    @property
    def margin_shortfall(self) -> Decimal:
        return max(ZERO, self.margin_required - self.margin_balance)


def program_outstanding(program_id: int) -> tuple[Decimal, Decimal]:
    """(outstanding principal, NPL principal) of the programme's active loans."""
    totals = Loan.objects.filter(program_id=program_id, status=Loan.Status.ACTIVE).aggregate(
        outstanding=Sum("principal_outstanding"),
        npl=Sum("principal_outstanding", filter=Q(classification__in=NPL_CLASSES)),
    )
    return money(totals["outstanding"] or ZERO), money(totals["npl"] or ZERO)


def program_approved_limits(program_id: int) -> Decimal:
    """Sum of approved limits that have not expired on the business date."""
    total = CreditLimit.objects.filter(
        program_id=program_id, status=CreditLimit.Status.ACTIVE, expires_on__gt=business_date_get()
    ).aggregate(total=Sum("amount"))["total"]
    return money(total or ZERO)


def program_figures(program: Program) -> ProgramFigures:
    outstanding, npl = program_outstanding(program.pk)
    return ProgramFigures(
        total_cap=program.total_cap,
        outstanding_principal=outstanding,
        npl_principal=npl,
        approved_limits=program_approved_limits(program.pk),
        margin_balance=margin_balance(program.pk),
        margin_required=money(program.margin_ratio * outstanding),
    )


def visible_batches(user: User) -> QuerySet[Batch]:
    return Batch.objects.filter(program__in=visible_programs(user))


def visible_batch_rows(user: User, batch: Batch) -> QuerySet[BatchRow]:
    """The rows of a batch the user may see (the batch itself is in his reach).

    Staff see the rows of farmers in their subtree, like every farmer list (a programme managed above an
    outlet brings farmers of other outlets in one list); an anchor operator sees every row of his own
    enterprise's list.
    """
    rows = BatchRow.objects.filter(batch=batch)
    if is_anchor_operator(user):
        return rows
    return filter_by_subtree(rows, user, "farmer__org_node")


def sees_provider_figures(user: User) -> bool:
    """Whether the user may see the provider's verified figures and the outcome of cross-validation.

    An anchor operator sees his own declared figures and the decision only: the verified orders, the
    match and the computed limit would let him tune what he declares to the programme's tolerance.
    """
    return not is_anchor_operator(user)


def shown_decision(user: User, row: BatchRow) -> str:
    """A row's decision as the user may see it: to an anchor operator it stays pending until the batch is
    approved (only a mismatch is decided row by row before that, so an early decision would tell the match).
    """
    if sees_provider_figures(user) or row.batch.status == Batch.Status.APPROVED:
        return row.decision
    return BatchRow.Decision.PENDING


def limits_with_available(queryset: QuerySet[CreditLimit]) -> QuerySet[CreditLimit]:
    """Each limit with ``outstanding`` (principal of its active loans) and ``available`` (revolving)."""
    outstanding = Coalesce(
        Sum("loans__principal_outstanding", filter=Q(loans__status=Loan.Status.ACTIVE)),
        Value(ZERO),
        output_field=DecimalField(max_digits=18, decimal_places=2),
    )
    return queryset.annotate(outstanding=outstanding).annotate(available=F("amount") - F("outstanding"))


def visible_limits(user: User) -> QuerySet[CreditLimit]:
    if is_anchor_operator(user):
        return CreditLimit.objects.filter(program__in=visible_programs(user))
    return CreditLimit.objects.filter(program__in=visible_programs(user), farmer__in=visible_farmers(user))


def row_trades(row: BatchRow) -> QuerySet[TradeRecord]:
    """The provider records a row's verified figure was built from (window, anchor, snapshot)."""
    if row.window_start is None or row.window_end is None:
        return TradeRecord.objects.none()
    return TradeRecord.objects.filter(
        anchor_id=row.batch.program.anchor_id,
        id_hash=row.id_hash,
        order_date__range=(row.window_start, row.window_end),
        id__lte=row.batch.trade_snapshot_id or 0,
    ).order_by("order_date", "id")


def monthly_totals(trades: QuerySet[TradeRecord], start: dt.date, end: dt.date) -> list[tuple[str, Decimal]]:
    """Verified orders per calendar month of the window, months without orders included (for the chart)."""
    totals: dict[str, Decimal] = {}
    month = start.replace(day=1)
    while month <= end:
        totals[f"{month:%Y-%m}"] = ZERO
        month = (month + dt.timedelta(days=32)).replace(day=1)
    for day, amount in trades.values_list("order_date", "amount"):
        totals[f"{day:%Y-%m}"] += amount
    return list(totals.items())


def visible_loans(user: User) -> QuerySet[Loan]:
    if is_anchor_operator(user):
        return Loan.objects.filter(program__in=visible_programs(user))
    return filter_by_subtree(Loan.objects.all(), user)


@dataclass(frozen=True)
class ProgramHealth:
    overdue_interest: Decimal
    overdue_principal: Decimal
    compensated: Decimal
    shadow_delinquent_principal: Decimal
    classification_mix: dict[str, Decimal]
    loans: int

    @property
    def gross_delinquency(self) -> Decimal:
        """What the borrowers failed to pay on time, whoever then paid it: overdue plus compensated."""
        return self.overdue_interest + self.overdue_principal + self.compensated


def program_health(program: Program) -> ProgramHealth:
    active = Loan.objects.filter(program=program, status=Loan.Status.ACTIVE)
    totals = active.aggregate(
        overdue_interest=Sum("interest_overdue"),
        overdue_principal=Sum("principal_overdue"),
        compensated=Sum("compensated"),
        shadow=Sum("principal_outstanding", filter=Q(shadow_oldest_due_date__isnull=False)),
    )
    mix = {
        row["classification"]: money(row["total"] or ZERO)
        for row in active.values("classification").annotate(total=Sum("principal_outstanding"))
    }
    return ProgramHealth(
        overdue_interest=money(totals["overdue_interest"] or ZERO),
        overdue_principal=money(totals["overdue_principal"] or ZERO),
        compensated=money(totals["compensated"] or ZERO),
        shadow_delinquent_principal=money(totals["shadow"] or ZERO),
        classification_mix={c.value: mix.get(c.value, ZERO) for c in Loan.Classification},
        loans=active.count(),
    )
