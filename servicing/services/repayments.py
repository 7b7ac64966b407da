"""Repayment (还款) and classification of one loan at a time, under row locks.

Every movement is a ``LoanEntry``; the balance columns of the loan are
updated in the same transaction. The arithmetic is ``servicing.interest``
and ``servicing.waterfall``, the same as the reference model.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext as _

from core.audit import AuditAction, audit_record
from core.business_date import business_date_get
from core.error_codes import ErrorCode
from core.errors import DomainError
from core.money import ZERO, format_yuan, money
from core.permissions import require_role
from core.roles import Role
from origination.models import Loan, LoanDue, LoanEntry, Repayment
from origination.schedule import settlement_dates
from partners.models import User
from partners.services.margin import margin_program_lock
from risk.classification import SEVERITY, LoanClass, classify_by_dpd
from servicing.interest import interest_charge, penalty_charge
from servicing.recovery import recovery_book, recovery_due
from servicing.waterfall import Allocation, Owed, allocate


def next_interest_date(loan: Loan, on: dt.date) -> dt.date:
    """When interest charged on ``on`` falls due: the next 20th before maturity, else maturity."""
    return next((d for d in settlement_dates(loan.disbursed_on, loan.maturity_on) if d >= on), loan.maturity_on)


def interest_days_through(loan: Loan, day: dt.date) -> Decimal:
    """Principal-days not yet charged, through ``day`` (interest never runs past maturity)."""
    days = (min(day, loan.maturity_on) - loan.accrued_through).days
    return Decimal(loan.interest_base + (loan.principal_outstanding * days if days > 0 else 0))


def penalty_days_through(loan: Loan, day: dt.date) -> Decimal:
    """Overdue principal-days not yet charged, through ``day`` (from the day after maturity)."""
    if loan.penalty_through is None:
        return Decimal(loan.penalty_base)
    days = (day - loan.penalty_through).days
    return Decimal(loan.penalty_base + (loan.principal_overdue * days if days > 0 else 0))


def accrued_interest(loan: Loan, through: dt.date) -> Decimal:
    return interest_charge(interest_days_through(loan, through), loan.annual_rate)


def accrued_penalty(loan: Loan, through: dt.date) -> Decimal:
    return penalty_charge(penalty_days_through(loan, through), loan.annual_rate, loan.penalty_markup)


def loan_owed(loan: Loan, today: dt.date) -> Owed:
    """What a repayment today faces: charges posted plus interest and penalty accrued to yesterday's close."""
    yesterday = today - dt.timedelta(days=1)
    return Owed(
        penalty=loan.penalty_due + accrued_penalty(loan, yesterday),
        overdue_interest=loan.interest_overdue,
        overdue_principal=loan.principal_overdue,
        current_interest=loan.interest_due + accrued_interest(loan, yesterday),
        current_principal=loan.principal_outstanding - loan.principal_overdue,
    )


def charge_accrued_interest(loan: Loan, today: dt.date) -> None:
    """Turn the interest accrued to yesterday's close into a charge (one rounding), due on the next 20th.

    Today then accrues on whatever principal is left at its close.
    """
    yesterday = today - dt.timedelta(days=1)
    loan.interest_base = interest_days_through(loan, yesterday)
    loan.accrued_through = max(loan.accrued_through, yesterday)
    if loan.interest_base == 0:
        return
    amount = interest_charge(loan.interest_base, loan.annual_rate)
    loan.interest_base = ZERO
    if amount == 0:
        return
    due_on = next_interest_date(loan, today)
    LoanEntry.objects.create(loan=loan, business_date=today, kind=LoanEntry.Kind.INTEREST_CHARGE, amount=amount)
    due, _created = LoanDue.objects.get_or_create(
        loan=loan, kind=LoanDue.Kind.INTEREST, due_on=due_on, defaults={"amount": ZERO}
    )
    LoanDue.objects.filter(pk=due.pk).update(amount=F("amount") + amount, settled_on=None)
    loan.interest_due += amount


def charge_accrued_penalty(loan: Loan, through: dt.date, on: dt.date) -> None:
    """Turn the penalty accrued through ``through`` into a charge, posted on business date ``on``."""
    if loan.penalty_through is None:
        return
    loan.penalty_base = penalty_days_through(loan, through)
    loan.penalty_through = max(loan.penalty_through, through)
    if loan.penalty_base == 0:
        return
    amount = penalty_charge(loan.penalty_base, loan.annual_rate, loan.penalty_markup)
    loan.penalty_base = ZERO
    if amount > 0:
        LoanEntry.objects.create(loan=loan, business_date=on, kind=LoanEntry.Kind.PENALTY_CHARGE, amount=amount)
        loan.penalty_due += amount


def _settle_dues(loan: Loan, kind: str, amount: Decimal, today: dt.date, *, overdue: bool, by_anchor: bool) -> None:
    """Apply ``amount`` to the oldest open dues of ``kind`` (overdue ones, or those not yet due)."""
    dues = LoanDue.objects.select_for_update().filter(loan=loan, kind=kind, settled_on__isnull=True)
    dues = dues.filter(due_on__lt=today) if overdue else dues.filter(due_on__gte=today)
    for due in dues.order_by("due_on"):
        if amount <= 0:
            break
        part = min(amount, due.remaining)
        if by_anchor:
            due.compensated += part
        else:
            due.paid += part
        amount -= part
        if due.remaining == 0:
            due.settled_on = today
        due.save(update_fields=["paid", "compensated", "settled_on"])


def refresh_delinquency(loan: Loan, today: dt.date) -> None:
    """The oldest unpaid due date (bank's DPD) and the oldest the farmer did not pay himself (shadow DPD)."""
    open_overdue = LoanDue.objects.filter(loan=loan, settled_on__isnull=True, due_on__lt=today)
    loan.oldest_due_date = open_overdue.order_by("due_on").values_list("due_on", flat=True).first()
    missed = LoanDue.objects.filter(loan=loan, due_on__lt=today, paid__lt=F("amount"))
    loan.shadow_oldest_due_date = missed.order_by("due_on").values_list("due_on", flat=True).first()


def apply_allocation(loan: Loan, allocation: Allocation, today: dt.date, *, by_anchor: bool, repayment=None) -> None:  # type: ignore[no-untyped-def]
    """Write an allocation to the loan: ledger entries, dues and balances."""
    kinds = (
        (
            LoanEntry.Kind.COMPENSATED_PENALTY,
            LoanEntry.Kind.COMPENSATED_INTEREST,
            LoanEntry.Kind.COMPENSATED_PRINCIPAL,
        )
        if by_anchor
        else (LoanEntry.Kind.REPAID_PENALTY, LoanEntry.Kind.REPAID_INTEREST, LoanEntry.Kind.REPAID_PRINCIPAL)
    )
    for kind, amount in zip(kinds, (allocation.penalty, allocation.interest, allocation.principal), strict=True):
        if amount > 0:
            LoanEntry.objects.create(loan=loan, business_date=today, kind=kind, amount=amount, repayment=repayment)
    _settle_dues(loan, LoanDue.Kind.INTEREST, allocation.overdue_interest, today, overdue=True, by_anchor=by_anchor)
    _settle_dues(loan, LoanDue.Kind.INTEREST, allocation.current_interest, today, overdue=False, by_anchor=by_anchor)
    _settle_dues(loan, LoanDue.Kind.PRINCIPAL, allocation.overdue_principal, today, overdue=True, by_anchor=by_anchor)
    loan.penalty_due -= allocation.penalty
    loan.interest_overdue -= allocation.overdue_interest
    loan.interest_due -= allocation.current_interest
    loan.principal_overdue -= allocation.overdue_principal
    loan.principal_outstanding -= allocation.principal
    if by_anchor:
        loan.compensated += allocation.total
    refresh_delinquency(loan, today)
    if (
        loan.principal_outstanding == 0
        and loan.interest_due == 0
        and loan.interest_overdue == 0
        and loan.penalty_due == 0
    ):
        loan.status = Loan.Status.CLOSED
        loan.closed_on = today
    loan.save()


@transaction.atomic
def repayment_record(*, loan: Loan, amount: Decimal, actor: User) -> Repayment:
    """A farmer's payment: first what he owes the anchor for what it paid for him (追偿, ``servicing.recovery``),
    then the bank's dues by the waterfall: penalty, overdue interest, overdue principal, current.
    On a written-off loan the whole payment is a recovery after write-off."""
    require_role(actor, Role.ACCOUNT_MANAGER)
    today = business_date_get()
    peek = Loan.objects.get(pk=loan.pk)
    if peek.compensated > peek.recovered:
        # Reimbursing the margin writes to it: the programme's lock first, as every margin write takes it.
        margin_program_lock(peek.program_id)
    loan = Loan.objects.select_for_update().get(pk=loan.pk)
    amount = money(amount)
    if amount <= 0:
        raise DomainError(ErrorCode.INVALID_AMOUNT, _("The amount must be greater than zero."))
    if loan.status == Loan.Status.WRITTEN_OFF:
        return _recovery_after_write_off(loan, amount, today, actor)
    to_anchor_due = recovery_due(loan)
    if loan.status != Loan.Status.ACTIVE and to_anchor_due == 0:
        raise DomainError(ErrorCode.LOAN_CLOSED, _("This loan is paid off."))
    to_anchor = min(amount, to_anchor_due)
    rest = amount - to_anchor
    owed = loan_owed(loan, today) if loan.status == Loan.Status.ACTIVE else Owed()
    if rest > owed.total:
        total = owed.total + to_anchor_due
        raise DomainError(
            ErrorCode.OVERPAYMENT,
            _("%(amount)s yuan is more than the %(owed)s yuan owed today.")
            % {"amount": format_yuan(amount), "owed": format_yuan(total)},
            owed=f"{total:.2f}",
        )
    allocation = allocate(rest, owed) if rest > 0 else Allocation()
    if rest > 0:  # nothing is charged when the whole payment goes to the anchor (as the reference model)
        charge_accrued_interest(loan, today)
        charge_accrued_penalty(loan, today - dt.timedelta(days=1), today)
    repayment = payment_book(loan, to_anchor, allocation, today, recorded_by_id=actor.pk)
    audit_record(actor=actor, action=AuditAction.REPAYMENT_RECORD, subject=loan, amount=amount)
    return repayment


def payment_book(
    loan: Loan, to_anchor: Decimal, allocation: Allocation, today: dt.date, *, recorded_by_id: int
) -> Repayment:
    """A farmer's payment, once split: ``to_anchor`` back to the anchor (``servicing.recovery``), then
    ``allocation`` over the bank's dues; its repayment row, entries and the loan saved. The counter and the
    core's debits (``corebank.apply``) both book through here."""
    repayment = Repayment.objects.create(
        loan=loan,
        business_date=today,
        amount=to_anchor + allocation.total,
        penalty=allocation.penalty,
        interest=allocation.interest,
        principal=allocation.principal,
        recovered=to_anchor,
        recorded_by_id=recorded_by_id,
    )
    if to_anchor > 0:
        recovery_book(loan, to_anchor, today, repayment)
    if allocation.total > 0:
        apply_allocation(loan, allocation, today, by_anchor=False, repayment=repayment)
    else:
        loan.save()
    return repayment


def _recovery_after_write_off(loan: Loan, amount: Decimal, today: dt.date, actor: User) -> Repayment:
    """Money received on a written-off loan: booked as a recovery after write-off, up to what was written off."""
    left = write_off_left(loan)
    if amount > left:
        raise DomainError(
            ErrorCode.OVERPAYMENT,
            _("%(amount)s yuan is more than the %(owed)s yuan written off and not yet recovered.")
            % {"amount": format_yuan(amount), "owed": format_yuan(left)},
            owed=f"{left:.2f}",
        )
    repayment = recovery_after_write_off_book(loan, amount, today, recorded_by_id=actor.pk)
    audit_record(actor=actor, action=AuditAction.REPAYMENT_RECORD, subject=loan, amount=amount, after_write_off=True)
    return repayment


def write_off_left(loan: Loan) -> Decimal:
    """What was written off on ``loan`` and not yet recovered: the most a payment on it can bring in."""
    return Decimal(loan.written_off - loan.recovered_after_write_off)


def recovery_after_write_off_book(loan: Loan, amount: Decimal, today: dt.date, *, recorded_by_id: int) -> Repayment:
    """A payment on a written-off loan (at most ``write_off_left``): its repayment row and its ledger entry."""
    repayment = Repayment.objects.create(
        loan=loan,
        business_date=today,
        amount=amount,
        penalty=ZERO,
        interest=ZERO,
        principal=ZERO,
        after_write_off=amount,
        recorded_by_id=recorded_by_id,
    )
    LoanEntry.objects.create(
        loan=loan,
        business_date=today,
        kind=LoanEntry.Kind.RECOVERED_AFTER_WRITE_OFF,
        amount=amount,
        repayment=repayment,
    )
    loan.recovered_after_write_off += amount
    loan.save(update_fields=["recovered_after_write_off", "updated_at"])
    return repayment


@transaction.atomic
def loan_classify(*, loan: Loan, classification: str, reason: str, actor: User) -> Loan:
    """A risk approver classifies a loan worse than its DPD says (never better)."""
    require_role(actor, Role.RISK_APPROVER)
    if not reason.strip():
        raise DomainError(ErrorCode.REASON_REQUIRED, _("Give the reason for the classification."))
    loan = Loan.objects.select_for_update().get(pk=loan.pk)
    by_dpd = classify_by_dpd(loan_dpd(loan, business_date_get()))
    wanted = LoanClass(classification)
    if SEVERITY[wanted] < SEVERITY[by_dpd]:
        raise DomainError(
            ErrorCode.CLASSIFICATION_TOO_GOOD,
            _("A loan %(dpd)s days past due cannot be classified better than %(floor)s.")
            % {"dpd": loan_dpd(loan, business_date_get()), "floor": Loan.Classification(by_dpd.value).label},
        )
    loan.manual_classification = wanted.value
    loan.classification = max((by_dpd, wanted), key=SEVERITY.__getitem__).value
    loan.save(update_fields=["manual_classification", "classification", "updated_at"])
    audit_record(
        actor=actor, action=AuditAction.LOAN_CLASSIFY, subject=loan, classification=wanted.value, reason=reason
    )
    return loan


def loan_dpd(loan: Loan, on: dt.date) -> int:
    return (on - loan.oldest_due_date).days if loan.oldest_due_date and loan.oldest_due_date < on else 0
