"""The anchor pays its demands and claims from its own funds (龙头企业自有资金代偿).

Bank staff record the transfer; a second, different person checks it (maker-checker). Only the check
moves money: the payment is applied to the anchor's open demands and claims, oldest first (raised on,
then id), each loan's penalty, overdue interest, overdue principal, to the fen, and booked exactly as
the month-end deduction books it (``apply_allocation(by_anchor=True)``: compensated entries on the
loan, the anchor's share of each due) except that the margin does not move, since the money is the
anchor's own. A payment larger than what the anchor owes is refused (see docs/domain.md); the excess
is never kept as a credit.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import F, Sum
from django.db.models.functions import Least
from django.utils.translation import gettext as _

from core.audit import AuditAction, audit_record
from core.business_date import business_date_get
from core.error_codes import ErrorCode
from core.errors import DomainError
from core.money import ZERO, format_yuan, money
from core.permissions import require_other_person, require_role
from origination.models import AnchorPayment, AnchorPaymentLine, CompensationDemand, Loan
from partners.models import Anchor, Program, User
from partners.scoping import visible_anchors
from partners.services.margin import MARGIN_STAFF_ROLES, margin_program_lock
from servicing.services.repayments import accrued_penalty, apply_allocation, charge_accrued_penalty
from servicing.waterfall import Owed, allocate

S = CompensationDemand.Status
# The demands the anchor still answers for: raised this month, or left as a claim after the deduction.
UNSETTLED = (S.OPEN, S.CLAIM)


@dataclass(frozen=True)
class DemandOwed:
    """One unsettled demand, and what its loan owes the bank overdue today (0 once the farmer paid)."""

    demand: CompensationDemand
    owed: Decimal


def unsettled_demands(anchor_id: int) -> list[CompensationDemand]:
    """The anchor's open demands and claims, oldest first: the order a payment settles them in."""
    return list(
        CompensationDemand.objects.filter(program__anchor_id=anchor_id, status__in=UNSETTLED)
        .select_related("loan", "loan__farmer", "program")
        .order_by("raised_on", "id")
    )


def loan_overdue_owed(loan: Loan, today: dt.date) -> Owed:
    """What the anchor answers for on a loan today: penalty (accrued to yesterday's close), overdue
    interest, overdue principal; the current instalments stay the farmer's."""
    if loan.status != Loan.Status.ACTIVE:
        return Owed()
    return Owed(
        penalty=loan.penalty_due + accrued_penalty(loan, today - dt.timedelta(days=1)),
        overdue_interest=loan.interest_overdue,
        overdue_principal=loan.principal_overdue,
    )


def anchor_owed(anchor_id: int, today: dt.date) -> list[DemandOwed]:
    """Each unsettled demand with what it stands for today; a loan with two demands counts once, at its
    oldest, since a payment settles the loan's whole overdue there."""
    seen: set[int] = set()
    rows = []
    for demand in unsettled_demands(anchor_id):
        owed = ZERO if demand.loan_id in seen else loan_overdue_owed(demand.loan, today).total
        seen.add(demand.loan_id)
        rows.append(DemandOwed(demand, owed))
    return rows


def anchor_owed_total(anchor_id: int, today: dt.date) -> Decimal:
    return sum((row.owed for row in anchor_owed(anchor_id, today)), ZERO)


def _anchor_in_reach(actor: User, anchor_id: int) -> None:
    if not visible_anchors(actor).filter(pk=anchor_id).exists():
        raise DomainError(ErrorCode.NOT_FOUND, _("No such anchor enterprise."), status=404)


def _pending_total(anchor_id: int) -> Decimal:
    total = AnchorPayment.objects.filter(anchor_id=anchor_id, status=AnchorPayment.Status.PENDING).aggregate(
        total=Sum("amount")
    )["total"]
    return money(total or ZERO)


def _exceeds(amount: Decimal, owed: Decimal) -> DomainError:
    return DomainError(
        ErrorCode.PAYMENT_EXCEEDS_OWED,
        _(
            "%(amount)s yuan is more than the %(owed)s yuan the anchor owes on its demands and claims; "
            "record only what is owed and return the rest to the anchor."
        )
        % {"amount": format_yuan(amount), "owed": format_yuan(owed)},
        owed=f"{owed:.2f}",
    )


@transaction.atomic
def anchor_payment_record(
    *, anchor: Anchor, reference: str, amount: Decimal, value_date: dt.date, actor: User, note: str = ""
) -> AnchorPayment:
    """Bank staff record a transfer from the anchor; nothing moves until another person checks it."""
    require_role(actor, *MARGIN_STAFF_ROLES)
    _anchor_in_reach(actor, anchor.pk)
    today = business_date_get()
    reference = reference.strip()
    if not reference:
        raise DomainError(ErrorCode.REQUIRED, _("Give the transfer reference."))
    amount = Decimal(amount)
    if not amount.is_finite() or amount <= 0 or amount != money(amount):
        raise DomainError(ErrorCode.INVALID_AMOUNT, _("The amount must be greater than zero, to the fen."))
    if value_date > today:
        raise DomainError(ErrorCode.FUTURE_DATE, _("The value date is after the business date."))
    # The anchor's programmes locked in id order, as every margin write and the month-end deduction do:
    # two recordings for one anchor are checked against what is owed one after the other.
    for program_id in Program.objects.filter(anchor_id=anchor.pk).order_by("id").values_list("id", flat=True):
        margin_program_lock(program_id)
    if AnchorPayment.objects.filter(reference=reference).exclude(status=AnchorPayment.Status.REJECTED).exists():
        raise _duplicate(reference)
    owed = anchor_owed_total(anchor.pk, today) - _pending_total(anchor.pk)
    if amount > owed:
        raise _exceeds(amount, max(owed, ZERO))
    try:
        with transaction.atomic():
            payment = AnchorPayment.objects.create(
                anchor=anchor,
                reference=reference,
                amount=amount,
                value_date=value_date,
                note=note.strip()[:200],
                recorded_by=actor,
                recorded_on=today,
            )
    except IntegrityError:
        raise _duplicate(reference) from None
    audit_record(
        actor=actor, action=AuditAction.ANCHOR_PAYMENT_RECORD, subject=anchor, amount=amount, reference=reference
    )
    return payment


def _duplicate(reference: str) -> DomainError:
    return DomainError(
        ErrorCode.DUPLICATE_REFERENCE,
        _("The transfer %(reference)s is already recorded.") % {"reference": reference},
        status=409,
    )


def _locked_pending(payment: AnchorPayment, actor: User) -> AnchorPayment:
    require_role(actor, *MARGIN_STAFF_ROLES)
    _anchor_in_reach(actor, payment.anchor_id)
    for program_id in Program.objects.filter(anchor_id=payment.anchor_id).order_by("id").values_list("id", flat=True):
        margin_program_lock(program_id)
    payment = AnchorPayment.objects.select_for_update().get(pk=payment.pk)
    if payment.status != AnchorPayment.Status.PENDING:
        raise DomainError(ErrorCode.INVALID_STATUS, _("This payment has already been checked."))
    require_other_person(actor, payment.recorded_by, _("An anchor's payment"))
    return payment


@transaction.atomic
def anchor_payment_approve(*, payment: AnchorPayment, actor: User) -> AnchorPayment:
    """A second person confirms the transfer arrived: it is applied to the oldest demands and claims first."""
    payment = _locked_pending(payment, actor)
    today = business_date_get()
    owed = anchor_owed_total(payment.anchor_id, today)
    if payment.amount > owed:
        # The farmers or the month-end deduction paid part of it since it was recorded.
        raise _exceeds(payment.amount, owed)
    left = payment.amount
    settled: set[int] = set()
    for demand in unsettled_demands(payment.anchor_id):
        if left <= 0:
            break
        if demand.loan_id in settled:
            continue
        settled.add(demand.loan_id)
        part = _apply_to_loan(payment, demand, left, today)
        left -= part
    payment.status = AnchorPayment.Status.APPLIED
    payment.checked_by = actor
    payment.checked_on = today
    payment.save(update_fields=["status", "checked_by", "checked_on"])
    audit_record(
        actor=actor,
        action=AuditAction.ANCHOR_PAYMENT_APPROVE,
        subject=payment.anchor,
        amount=payment.amount,
        reference=payment.reference,
        payment=payment.pk,
    )
    return payment


def _apply_to_loan(payment: AnchorPayment, demand: CompensationDemand, left: Decimal, today: dt.date) -> Decimal:
    """Settle as much of the demand's loan as ``left`` covers; returns the part used (0 when it owes nothing)."""
    loan = Loan.objects.select_for_update().get(pk=demand.loan_id)
    owed = loan_overdue_owed(loan, today)
    part = min(left, owed.total)
    if part <= 0:
        return ZERO
    charge_accrued_penalty(loan, today - dt.timedelta(days=1), today)
    allocation = allocate(
        part,
        Owed(
            penalty=loan.penalty_due, overdue_interest=loan.interest_overdue, overdue_principal=loan.principal_overdue
        ),
    )
    apply_allocation(loan, allocation, today, by_anchor=True)
    AnchorPaymentLine.objects.create(
        payment=payment,
        demand=demand,
        loan=loan,
        amount=part,
        penalty=allocation.penalty,
        interest=allocation.interest,
        principal=allocation.principal,
    )
    unsettled = CompensationDemand.objects.filter(loan_id=loan.pk, status__in=UNSETTLED)
    CompensationDemand.objects.filter(pk=demand.pk).update(anchor_paid=F("anchor_paid") + part)
    if loan.oldest_due_date is None and loan.penalty_due == 0:
        # Nothing of the loan is overdue any more: each of its demands and claims is settled.
        unsettled.update(status=S.ANCHOR_PAID, settled_on=today, unrecovered=ZERO)
    else:
        # A claim never exceeds what the loan still owes overdue.
        remaining = loan_overdue_owed(loan, today).total
        unsettled.filter(status=S.CLAIM).update(unrecovered=Least(F("unrecovered"), remaining))
    return part


@transaction.atomic
def anchor_payment_reject(*, payment: AnchorPayment, actor: User, note: str) -> AnchorPayment:
    """The checker refuses a recording (wrong amount, transfer not arrived): nothing moves, and the
    transfer reference may be recorded again."""
    if not note.strip():
        raise DomainError(ErrorCode.REASON_REQUIRED, _("Say why the payment is rejected."))
    payment = _locked_pending(payment, actor)
    payment.status = AnchorPayment.Status.REJECTED
    payment.checked_by = actor
    payment.checked_on = business_date_get()
    payment.note = note.strip()[:200]
    payment.save(update_fields=["status", "checked_by", "checked_on", "note"])
    audit_record(
        actor=actor,
        action=AuditAction.ANCHOR_PAYMENT_REJECT,
        subject=payment.anchor,
        amount=payment.amount,
        reference=payment.reference,
        reason=note,
    )
    return payment
