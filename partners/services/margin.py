"""The margin ledger (保证金): entries only; the balance is their sum."""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction
from django.db.models import Case, DecimalField, F, Sum, When
from django.utils.translation import gettext as _

from core.audit import audit_record
from core.business_date import business_date_get
from core.errors import DomainError
from core.money import ZERO, money
from core.permissions import require_role
from core.roles import Role
from partners.models import MarginEntry, Program, User


def margin_balance(program_id: int) -> Decimal:
    signed = Case(
        When(kind=MarginEntry.Kind.DEPOSIT, then=F("amount")),
        default=-F("amount"),
        output_field=DecimalField(max_digits=18, decimal_places=2),
    )
    total = MarginEntry.objects.filter(program_id=program_id).aggregate(total=Sum(signed))["total"]
    return money(total or ZERO)


def margin_program_lock(program_id: int) -> Program:
    """Every write to a programme's margin holds this row lock, so two withdrawals cannot both pass."""
    return Program.objects.select_for_update().get(pk=program_id)


def margin_entry_post(
    *, program: Program, kind: str, amount: Decimal, actor: User | None, reference: str = "", note: str = ""
) -> MarginEntry:
    """Append an entry; the caller holds the programme lock and has checked the rule of its kind."""
    amount = money(amount)
    if amount <= 0:
        raise DomainError("invalid_amount", _("The amount must be greater than zero."))
    entry = MarginEntry.objects.create(
        program=program,
        kind=kind,
        amount=amount,
        business_date=business_date_get(),
        reference=reference,
        note=note,
        actor=actor,
    )
    audit_record(actor=actor, action=f"margin_{kind}", subject=program, amount=amount, reference=reference)
    return entry


@transaction.atomic
def margin_deposit(*, program: Program, amount: Decimal, actor: User, note: str = "") -> MarginEntry:
    require_role(actor, Role.ACCOUNT_MANAGER, Role.RISK_APPROVER, Role.ANCHOR_OPERATOR)
    locked = margin_program_lock(program.pk)
    return margin_entry_post(program=locked, kind=MarginEntry.Kind.DEPOSIT, amount=amount, actor=actor, note=note)
