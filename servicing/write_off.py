"""核销: a loss-class loan written off, proposed by one person and approved by two others.

On the second approval the loan leaves the active book: what it still carries (principal, interest
and penalty, the accruals to yesterday charged first) is taken off by write-off entries, its balances
become zero and its status ``written_off``. Money received on it afterwards is a recovery after
write-off (``servicing.services.repayments``), never a repayment of the bank's dues.
"""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from core.audit import AuditAction, audit_record
from core.business_date import business_date_get
from core.error_codes import ErrorCode
from core.errors import DomainError
from core.permissions import require_other_person, require_role
from core.roles import Role
from origination.models import Loan, LoanEntry, WriteOff
from partners.models import User
from servicing.services.repayments import charge_accrued_interest, charge_accrued_penalty

PROPOSER_ROLES = (Role.ACCOUNT_MANAGER, Role.RISK_APPROVER)
APPROVER_ROLES = (Role.RISK_APPROVER, Role.BRANCH_MANAGER)


@transaction.atomic
def write_off_propose(*, loan: Loan, reason: str, actor: User) -> WriteOff:
    require_role(actor, *PROPOSER_ROLES)
    if not reason.strip():
        raise DomainError(ErrorCode.REASON_REQUIRED, _("Give the reason for the write-off."))
    loan = Loan.objects.select_for_update().get(pk=loan.pk)
    if loan.status != Loan.Status.ACTIVE or loan.classification != Loan.Classification.LOSS:
        raise DomainError(ErrorCode.NOT_LOSS_CLASS, _("Only an active loan classified as loss may be written off."))
    try:
        with transaction.atomic():
            write_off = WriteOff.objects.create(
                loan=loan, reason=reason.strip(), proposed_by=actor, proposed_on=business_date_get()
            )
    except IntegrityError:
        raise DomainError(
            ErrorCode.WRITE_OFF_OPEN, _("A write-off of this loan is already proposed."), status=409
        ) from None
    audit_record(actor=actor, action=AuditAction.WRITE_OFF_PROPOSE, subject=loan, reason=reason)
    return write_off


def _locked_proposal(write_off: WriteOff, actor: User) -> WriteOff:
    require_role(actor, *APPROVER_ROLES)
    write_off = WriteOff.objects.select_for_update().get(pk=write_off.pk)
    if write_off.status != WriteOff.Status.PROPOSED:
        raise DomainError(ErrorCode.INVALID_STATUS, _("This write-off has already been decided."))
    require_other_person(actor, write_off.proposed_by, _("A write-off"))
    return write_off


@transaction.atomic
def write_off_approve(*, write_off: WriteOff, actor: User) -> WriteOff:
    """The first approval is recorded; the second, by yet another person, writes the loan off."""
    write_off = _locked_proposal(write_off, actor)
    if write_off.first_approver_id is None:
        write_off.first_approver = actor
        write_off.save(update_fields=["first_approver"])
        audit_record(actor=actor, action=AuditAction.WRITE_OFF_APPROVE, subject=write_off.loan, approval=1)
        return write_off
    require_other_person(actor, write_off.first_approver, _("The second approval of a write-off"))
    today = business_date_get()
    _take_off_the_book(write_off, today)
    write_off.second_approver = actor
    write_off.status = WriteOff.Status.APPROVED
    write_off.decided_on = today
    write_off.save()
    audit_record(
        actor=actor,
        action=AuditAction.WRITE_OFF_APPROVE,
        subject=write_off.loan,
        approval=2,
        amount=write_off.principal + write_off.interest + write_off.penalty,
    )
    return write_off


def _take_off_the_book(write_off: WriteOff, today: dt.date) -> None:
    loan = Loan.objects.select_for_update().get(pk=write_off.loan_id)
    if loan.status != Loan.Status.ACTIVE:
        raise DomainError(ErrorCode.INVALID_STATUS, _("This loan is no longer on the active book."))
    charge_accrued_interest(loan, today)
    charge_accrued_penalty(loan, today - dt.timedelta(days=1), today)
    parts = (
        (LoanEntry.Kind.WRITTEN_OFF_PRINCIPAL, loan.principal_outstanding),
        (LoanEntry.Kind.WRITTEN_OFF_INTEREST, loan.interest_due + loan.interest_overdue),
        (LoanEntry.Kind.WRITTEN_OFF_PENALTY, loan.penalty_due),
    )
    for kind, amount in parts:
        if amount > 0:
            LoanEntry.objects.create(loan=loan, business_date=today, kind=kind, amount=amount)
    write_off.principal, write_off.interest, write_off.penalty = (amount for _kind, amount in parts)
    loan.written_off = sum(amount for _kind, amount in parts)
    loan.principal_outstanding = loan.principal_overdue = 0
    loan.interest_due = loan.interest_overdue = loan.penalty_due = 0
    loan.status = Loan.Status.WRITTEN_OFF
    loan.closed_on = today
    loan.save()


@transaction.atomic
def write_off_reject(*, write_off: WriteOff, actor: User, note: str) -> WriteOff:
    if not note.strip():
        raise DomainError(ErrorCode.REASON_REQUIRED, _("Say why the write-off is rejected."))
    write_off = _locked_proposal(write_off, actor)
    write_off.status = WriteOff.Status.REJECTED
    write_off.decided_on = business_date_get()
    write_off.save(update_fields=["status", "decided_on"])
    audit_record(actor=actor, action=AuditAction.WRITE_OFF_REJECT, subject=write_off.loan, reason=note)
    return write_off
