"""The demo's renewal (年审): limits due within 60 days, and one renewal batch processed and waiting for submission.

The demo's limits were all granted on 2027-03-01 for twelve months, and its business date stops in the summer
of 2027: none expires within 60 days by itself. So a few limits of the feed group's programme, two per
account manager at most, are given an earlier expiry, as if granted under a six-month validity (never before
the maturity of a loan drawn on them, so the book stays consistent). A risk approver at the branch then puts
some of them to a renewal batch and processes it (screening included); the others wait on the renewal page.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter

from django.db import transaction
from django.db.models import Max, Q

from core.business_date import business_date_get
from origination.expiring import RENEWAL_NOTICE_DAYS, expiring, farmers_in_open_batches
from origination.models import Batch, CreditLimit, Loan
from origination.services.renewal import renewal_batch_create
from origination.tasks import batch_process_dispatch
from partners.models import Program, User

DUE_LIMITS = 12  # limits made due for renewal
PER_MANAGER = 2
RENEWED_NOW = 5  # of which put to the renewal batch


def demo_renewal_ensure() -> Batch | None:
    """Idempotent: once the programme has a processed renewal batch, nothing changes. None without the demo's book.

    The batch is made in one transaction and processed after it (processing's tasks read committed rows).
    """
    batch = _renewal_batch_ensure()
    if batch is not None and batch.status == Batch.Status.VALIDATED:
        batch_process_dispatch(batch, User.objects.get(username="approver"))
        batch.refresh_from_db()
    return batch


@transaction.atomic
def _renewal_batch_ensure() -> Batch | None:
    from postloan.demo import demo_anchor_uscc

    program = Program.objects.filter(anchor__uscc=demo_anchor_uscc()).first()
    if program is None:
        return None
    existing = Batch.objects.filter(program=program, kind=Batch.Kind.RENEWAL).order_by("id").first()
    if existing is not None:
        return existing
    due = _limits_due(program, business_date_get())
    if not due:
        return None
    approver = User.objects.get(username="approver")  # at the branch: he sees every farmer of the programme
    return renewal_batch_create(program=program, limits=due[:RENEWED_NOW], actor=approver)


def _limits_due(program: Program, today: dt.date) -> list[CreditLimit]:
    """The programme's limits due for renewal, made so for a few when none is."""
    already = list(expiring(CreditLimit.objects.filter(program=program), today).order_by("expires_on", "id"))
    if already:
        return already
    last_day = today + dt.timedelta(days=RENEWAL_NOTICE_DAYS - 5)
    live = (
        CreditLimit.objects.filter(program=program, status=CreditLimit.Status.ACTIVE, expires_on__gt=last_day)
        .annotate(last_maturity=Max("loans__maturity_on", filter=Q(loans__status=Loan.Status.ACTIVE)))
        .filter(Q(last_maturity__isnull=True) | Q(last_maturity__lte=last_day))
        .select_related("farmer")
        .order_by("farmer__account_manager_id", "id")
    )
    held = farmers_in_open_batches(program.pk, live.values_list("farmer_id", flat=True))
    per_manager: Counter[int | None] = Counter()
    chosen: list[CreditLimit] = []
    for limit in live:
        manager = limit.farmer.account_manager_id
        if limit.farmer_id in held or per_manager[manager] >= PER_MANAGER:
            continue
        per_manager[manager] += 1
        # Spread over the window: 20 to 55 days left, never before the last loan on it matures.
        expiry = today + dt.timedelta(days=20 + (len(chosen) * 3) % 36)
        limit.expires_on = max(expiry, getattr(limit, "last_maturity", None) or expiry)
        chosen.append(limit)
        if len(chosen) == DUE_LIMITS:
            break
    CreditLimit.objects.bulk_update(chosen, ["expires_on"])
    return sorted(chosen, key=lambda limit: (limit.expires_on, limit.pk))
