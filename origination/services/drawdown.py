"""Drawdown (提款): a loan from an approved limit, under row locks, with its first ledger entry."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext as _

from core.audit import AuditAction, audit_record
from core.business_date import business_date_get
from core.error_codes import ErrorCode
from core.errors import DomainError
from core.money import format_yuan, money
from core.permissions import require_role
from core.roles import Role
from origination.figures import limit_available, margin_required, program_outstanding
from origination.models import CreditLimit, Loan, LoanEntry
from origination.schedule import maturity_date
from partners.models import Program, User
from partners.services.agreements import refuse_if_agreement_lapsed
from partners.services.margin import margin_balance

LENDING_ROLES = (Role.ACCOUNT_MANAGER,)


@transaction.atomic
def loan_disburse(*, credit_limit: CreditLimit, amount: Decimal, term_months: int, actor: User) -> Loan:
    """Draw down from an approved limit on the business date."""
    require_role(actor, *LENDING_ROLES)
    today = business_date_get()
    amount = money(amount)
    program = Program.objects.select_for_update().get(pk=credit_limit.program_id)  # margin and cap checks
    limit = CreditLimit.objects.select_for_update().select_related("farmer").get(pk=credit_limit.pk)
    if program.status == Program.Status.SUSPENDED:
        raise DomainError(ErrorCode.PROGRAM_SUSPENDED, _("The programme is suspended: no new drawdowns."))
    # A lapsed cooperation agreement or guarantee contract stops new lending as a suspension does.
    refuse_if_agreement_lapsed(program, today)
    # The refusals in the contract's order: suspended, frozen, expired, term, limit, margin.
    if limit.status == CreditLimit.Status.FROZEN:
        raise DomainError(
            ErrorCode.LIMIT_FROZEN, _("This credit limit is frozen: it lends nothing until it is unfrozen.")
        )
    if limit.status != CreditLimit.Status.ACTIVE or limit.expires_on <= today:
        raise DomainError(ErrorCode.LIMIT_EXPIRED, _("This credit limit is no longer valid."))
    if amount <= 0:
        raise DomainError(ErrorCode.INVALID_AMOUNT, _("The amount must be greater than zero."))
    if term_months < 1 or term_months > program.max_term_months:
        raise DomainError(
            ErrorCode.TERM_TOO_LONG,
            _("The term must be from 1 to %(max)s months.") % {"max": program.max_term_months},
        )
    maturity = maturity_date(today, term_months)
    if maturity > limit.expires_on:
        raise DomainError(
            ErrorCode.TERM_TOO_LONG,
            _("The loan would mature on %(maturity)s, after the limit expires on %(expires)s.")
            % {"maturity": maturity.isoformat(), "expires": limit.expires_on.isoformat()},
        )
    available = limit_available(limit)
    if amount > available:
        raise DomainError(
            ErrorCode.LIMIT_EXCEEDED,
            _("Only %(available)s yuan of this limit is available.") % {"available": format_yuan(available)},
        )
    required = margin_required(program.margin_ratio, program_outstanding(program.pk) + amount)
    balance = margin_balance(program.pk)
    if balance < required:
        raise DomainError(
            ErrorCode.MARGIN_INSUFFICIENT,
            _("The anchor's margin %(balance)s yuan would fall short of the %(required)s yuan required.")
            % {"balance": format_yuan(balance), "required": format_yuan(required)},
        )
    farmer = limit.farmer
    loan = Loan.objects.create(
        credit_limit=limit,
        farmer=farmer,
        program=program,
        org_node_id=farmer.org_node_id,
        account_manager_id=farmer.account_manager_id or (actor.pk if actor.role == Role.ACCOUNT_MANAGER else None),
        principal=amount,
        annual_rate=program.annual_rate,
        penalty_markup=program.penalty_markup,
        term_months=term_months,
        disbursed_on=today,
        maturity_on=maturity,
        principal_outstanding=amount,
        accrued_through=today - dt.timedelta(days=1),  # the disbursement day accrues at its close
    )
    LoanEntry.objects.create(loan=loan, business_date=today, kind=LoanEntry.Kind.DISBURSEMENT, amount=amount)
    audit_record(actor=actor, action=AuditAction.LOAN_DISBURSE, subject=loan, amount=amount, term=term_months)
    return loan
