"""追偿: a farmer's payment first reimburses the anchor for what it paid for him, then goes to the bank.

The order is stated in docs/domain.md: the anchor is reimbursed in the order it paid, oldest first
(the margin's month-end deductions and its own payments merged by date; on the same day the margin's
first), and each part goes back where it came from: a margin deduction is restored to the margin as
a posted deposit, an amount paid from the anchor's own funds becomes a refund the bank owes it.
What the anchor paid stays on the loan (``compensated``); what came back is ``recovered``, never more.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db.models import Sum

from core.money import ZERO, money
from origination.models import AnchorPaymentLine, AnchorRecovery, Loan, LoanEntry, Repayment
from partners.models import MarginEntry
from partners.services.margin import margin_entry_post, margin_program_lock

Source = AnchorRecovery.Source


def recovery_due(loan: Loan) -> Decimal:
    """What the farmer still owes the anchor for what it paid for him."""
    return Decimal(loan.compensated - loan.recovered)


def _paid_for_him(loan: Loan) -> list[tuple[dt.date, int, str, Decimal]]:
    """Each amount the anchor paid on the loan, oldest first: (day, margin before own funds, source, amount)."""
    deductions = MarginEntry.objects.posted().filter(
        program_id=loan.program_id, kind=MarginEntry.Kind.DEDUCTION, reference=f"loan:{loan.pk}"
    )
    own = AnchorPaymentLine.objects.filter(loan_id=loan.pk).select_related("payment")
    paid = [(entry.business_date, 0, Source.MARGIN.value, entry.amount) for entry in deductions.order_by("id")]
    paid += [
        (line.payment.checked_on or line.payment.recorded_on, 1, Source.ANCHOR_FUNDS.value, line.amount)
        for line in own.order_by("id")
    ]
    return sorted(paid, key=lambda row: (row[0], row[1]))


def recovery_split(loan: Loan, amount: Decimal) -> list[tuple[str, Decimal]]:
    """How ``amount`` (at most ``recovery_due``) goes back: (source, part), oldest payment first."""
    already = loan.recovered
    parts: dict[str, Decimal] = {}
    left = amount
    for _day, _order, source, paid in _paid_for_him(loan):
        if left <= 0:
            break
        # The oldest amounts were reimbursed first: skip what earlier recoveries covered.
        covered = min(already, paid)
        already -= covered
        part = min(left, paid - covered)
        if part > 0:
            parts[source] = parts.get(source, ZERO) + part
            left -= part
    if left > 0:
        # Compensation booked before the anchor's payments were kept apart (none in this product today):
        # it came from the margin, the only other way the anchor pays.
        parts[Source.MARGIN.value] = parts.get(Source.MARGIN.value, ZERO) + left
    return [(source, money(part)) for source, part in parts.items()]


def recovery_book(loan: Loan, amount: Decimal, today: dt.date, repayment: Repayment) -> None:
    """Book ``amount`` of the repayment as reimbursing the anchor; the caller holds the programme lock
    (taken before the loan's, as every margin write does) and saves the loan."""
    for source, part in recovery_split(loan, amount):
        entry = None
        if source == Source.MARGIN:
            entry = margin_entry_post(
                program=margin_program_lock(loan.program_id),
                kind=MarginEntry.Kind.DEPOSIT,
                amount=part,
                actor=None,
                reference=f"recovery:loan:{loan.pk}",
                note="追偿",
            )
        AnchorRecovery.objects.create(
            loan=loan,
            program_id=loan.program_id,
            repayment=repayment,
            business_date=today,
            source=source,
            amount=part,
            margin_entry=entry,
        )
    LoanEntry.objects.create(
        loan=loan, business_date=today, kind=LoanEntry.Kind.RECOVERED_FOR_ANCHOR, amount=amount, repayment=repayment
    )
    loan.recovered += amount


def refunds_owed(anchor_id: int) -> Decimal:
    """What the bank owes the anchor: recoveries of what it paid from its own funds."""
    total = AnchorRecovery.objects.filter(program__anchor_id=anchor_id, source=Source.ANCHOR_FUNDS).aggregate(
        total=Sum("amount")
    )["total"]
    return money(total or ZERO)
