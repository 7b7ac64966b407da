"""Reads that pages and the API share, scoped to the viewer (the book's figures are ``origination.figures``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal

from django.db.models import Max, QuerySet

from core.error_codes import ErrorCode
from core.identifiers import normalize_text
from core.masking import pii_hash
from core.money import ZERO
from origination.models import Batch, BatchRow, BatchRowError, CreditLimit, Loan, WhitelistEntry
from partners.models import User
from partners.scoping import filter_by_subtree, is_anchor_operator, visible_farmers, visible_programs
from risk.models import ProviderDelivery, TradeRecord


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


def visible_limits(user: User) -> QuerySet[CreditLimit]:
    if is_anchor_operator(user):
        return CreditLimit.objects.filter(program__in=visible_programs(user))
    return CreditLimit.objects.filter(program__in=visible_programs(user), farmer__in=visible_farmers(user))


def visible_whitelist(user: User) -> QuerySet[WhitelistEntry]:
    """白名单 entries the user may see, scoped as the limits they come from: an anchor operator his own
    programmes' entries, staff those of the programmes in their reach and of the farmers in their subtree."""
    entries = WhitelistEntry.objects.filter(program__in=visible_programs(user))
    if is_anchor_operator(user):
        return entries
    return filter_by_subtree(entries, user, "farmer__org_node")


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


def blocking_batches(batch: Batch, errors: Iterable[BatchRowError]) -> dict[int, int]:
    """For each row refused as already recommended: the earlier batch of the programme that held the farmer
    (error id → batch id), found by the identity hash of the number the row sent."""
    hashes = {
        error.pk: pii_hash(normalize_text(str(error.original.get("id_number", ""))).upper())
        for error in errors
        if error.code == ErrorCode.ALREADY_RECOMMENDED
    }
    if not hashes:
        return {}
    holders: dict[str, int] = {}
    earlier = BatchRow.objects.filter(
        batch__program_id=batch.program_id, batch_id__lt=batch.pk, id_hash__in=set(hashes.values())
    )
    for id_hash, batch_id in earlier.values_list("id_hash", "batch_id"):
        holders[id_hash] = max(batch_id, holders.get(id_hash, 0))
    return {error_id: holders[h] for error_id, h in hashes.items() if h in holders}


def no_trade_facts(row: BatchRow) -> dict[str, dt.date | None]:
    """Why a row has no trade data: the provider's latest trade delivery for the anchor, and the farmer's
    latest order with the anchor on record (outside the window, or delivered after the batch was processed)."""
    anchor_id = row.batch.program.anchor_id
    delivered = ProviderDelivery.objects.filter(anchor_id=anchor_id, kind=ProviderDelivery.Kind.TRADES)
    farmer_orders = TradeRecord.objects.filter(anchor_id=anchor_id, id_hash=row.id_hash)
    return {
        "last_delivery": delivered.aggregate(last=Max("business_date"))["last"],
        "farmer_last_order": farmer_orders.aggregate(last=Max("order_date"))["last"],
    }


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
