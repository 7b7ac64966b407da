"""Reads for renewal (年审): the live limits that expire soon, and which of them a renewal already holds.

A limit is due for renewal while it is live (active or frozen) and expires within ``RENEWAL_NOTICE_DAYS``
days of the business date; once past ``expires_on`` it lends nothing and is no longer renewed: the farmer
comes back through a recommendation like a new one.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db.models import OuterRef, Q, QuerySet, Subquery

from core.roles import Role
from origination.figures import limit_outstanding_expression
from origination.models import Batch, BatchRow, CreditLimit
from origination.selectors import visible_limits
from partners.models import User

RENEWAL_NOTICE_DAYS = 60


def renewal_window(today: dt.date) -> tuple[dt.date, dt.date]:
    """The expiry dates that make a limit due for renewal: after the business date, at most 60 days on."""
    return today + dt.timedelta(days=1), today + dt.timedelta(days=RENEWAL_NOTICE_DAYS)


def expiring(limits: QuerySet[CreditLimit], today: dt.date) -> QuerySet[CreditLimit]:
    """The live limits among ``limits`` that expire within the renewal window."""
    first, last = renewal_window(today)
    return limits.filter(status__in=CreditLimit.LIVE_STATUSES, expires_on__range=(first, last))


def open_batch_rows_of_farmer(program_ref: str = "program_id", farmer_ref: str = "farmer_id") -> QuerySet[BatchRow]:
    """Rows of open batches of the outer row's programme for its farmer (a recommendation or a renewal
    under way: the farmer is already being assessed)."""
    return BatchRow.objects.filter(
        batch__program_id=OuterRef(program_ref),
        batch__status__in=Batch.OPEN_STATUSES,
        farmer_id=OuterRef(farmer_ref),
    )


def farmers_in_open_batches(program_id: int, farmer_ids: Iterable[int]) -> dict[int, int]:
    """Farmer id → the open batch of the programme that holds him."""
    rows = BatchRow.objects.filter(
        batch__program_id=program_id, batch__status__in=Batch.OPEN_STATUSES, farmer_id__in=list(farmer_ids)
    )
    return dict(rows.values_list("farmer_id", "batch_id"))


def manager_scope(limits: QuerySet[CreditLimit], user: User) -> QuerySet[CreditLimit]:
    """An account manager sees the limits of his own farmers, and those of his subtree's farmers no account
    manager holds (so none is left out); everyone else sees every manager of his reach."""
    if user.role == Role.ACCOUNT_MANAGER and not user.is_superuser:
        return limits.filter(Q(farmer__account_manager=user) | Q(farmer__account_manager__isnull=True))
    return limits


def expiring_limits_for(user: User, today: dt.date) -> QuerySet[CreditLimit]:
    """The limits due for renewal the user may see, each with ``outstanding`` (drawn) and ``renewal_batch``
    (the open batch already holding the farmer, or null), soonest first within each account manager."""
    limits = manager_scope(expiring(visible_limits(user), today), user)
    return (
        limits.select_related("farmer", "farmer__account_manager", "farmer__org_node", "program")
        .annotate(outstanding=limit_outstanding_expression("pk"))
        .annotate(renewal_batch=Subquery(open_batch_rows_of_farmer().order_by("-batch_id").values("batch_id")[:1]))
        .order_by("farmer__account_manager__username", "expires_on", "id")
    )
