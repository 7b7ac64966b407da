"""Month-end compensation (当月内代偿): what is still overdue is deducted from the anchor's margin.

Per programme, the oldest delinquencies are compensated first, each loan's
penalty, then interest, then principal; what the margin cannot cover stays a
claim on the anchor. The farmer's own lateness (shadow DPD) is kept: the bank
is made whole, his record is not cleared.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction

from core.calendar import is_month_end
from core.money import ZERO
from origination.models import CompensationDemand, Loan
from partners.models import MarginEntry, Program
from partners.services.margin import margin_balance, margin_entry_post, margin_program_lock
from servicing.services.repayments import accrued_penalty, apply_allocation, charge_accrued_penalty
from servicing.waterfall import Owed, allocate


@dataclass
class CompensationSummary:
    loans: int = 0
    compensated: Decimal = ZERO
    unrecovered: Decimal = ZERO


def compensate_month_end(day: dt.date) -> CompensationSummary:
    summary = CompensationSummary()
    if not is_month_end(day):
        return summary
    program_ids = (
        Loan.objects.filter(status=Loan.Status.ACTIVE, oldest_due_date__isnull=False)
        .values_list("program_id", flat=True)
        .distinct()
    )
    for program_id in list(program_ids):
        _compensate_program(program_id, day, summary)
    # Demands the farmer settled himself before the month ended.
    CompensationDemand.objects.filter(status=CompensationDemand.Status.OPEN, raised_on__lte=day).exclude(
        loan__oldest_due_date__isnull=False
    ).update(status=CompensationDemand.Status.PAID, settled_on=day)
    return summary


@transaction.atomic
def _compensate_program(program_id: int, day: dt.date, summary: CompensationSummary) -> None:
    program: Program = margin_program_lock(program_id)
    balance = margin_balance(program_id)
    loans = (
        Loan.objects.select_for_update()
        .filter(program_id=program_id, status=Loan.Status.ACTIVE, oldest_due_date__isnull=False)
        .order_by("oldest_due_date", "id")
    )
    for loan in loans:
        if balance <= 0:
            # Nothing left to deduct: the whole overdue amount stays a claim; no charge is posted.
            owed_total = loan.penalty_due + accrued_penalty(loan, day) + loan.interest_overdue + loan.principal_overdue
            paid = ZERO
        else:
            charge_accrued_penalty(loan, day, day)
            owed = Owed(
                penalty=loan.penalty_due,
                overdue_interest=loan.interest_overdue,
                overdue_principal=loan.principal_overdue,
            )
            owed_total = owed.total
            paid = min(owed_total, balance)
            apply_allocation(loan, allocate(paid, owed), day, by_anchor=True)
            margin_entry_post(
                program=program,
                kind=MarginEntry.Kind.DEDUCTION,
                amount=paid,
                actor=None,
                reference=f"loan:{loan.pk}",
            )
            balance -= paid
        left = owed_total - paid
        demands = CompensationDemand.objects.filter(
            loan=loan, status__in=[CompensationDemand.Status.OPEN, CompensationDemand.Status.CLAIM]
        )
        demands.update(
            status=CompensationDemand.Status.CLAIM if left > 0 else CompensationDemand.Status.COMPENSATED,
            settled_on=None if left > 0 else day,
        )
        latest = demands.order_by("-raised_on").first()
        if latest is not None:
            CompensationDemand.objects.filter(pk=latest.pk).update(compensated=paid, unrecovered=left)
        summary.loans += 1
        summary.compensated += paid
        summary.unrecovered += left
