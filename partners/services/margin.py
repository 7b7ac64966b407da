"""The margin ledger (保证金): entries only; the balance is the sum of the posted ones.

Money moves only on the bank's word. Bank staff post deposits (and, in ``origination``, withdrawals
under the margin requirement) at once. An anchor operator may only announce a deposit: it stays
``pending`` and counts nowhere (balance, drawdown check, withdrawal room, warning run, dashboards,
month-end compensation) until bank staff confirm it. The one who confirms is always someone else
than the one who announced it (an anchor operator never confirms), so any bank staff user who sees
the programme may confirm.

Every balance is computed here, in the ORM (``margin_balance``, ``margin_balances``) or in SQL for
the warning run (``margin_balance_sql``), so that no caller can count a pending entry by mistake.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from django.db import transaction
from django.db.models import Case, DecimalField, F, Sum, When
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audit import AuditAction, audit_record
from core.business_date import business_date_get
from core.error_codes import ErrorCode
from core.errors import DomainError
from core.money import ZERO, money
from core.permissions import require_other_person, require_role
from core.roles import Role
from partners.models import MarginEntry, Program, User
from partners.scoping import is_anchor_operator

# Bank staff who keep the ledger: they post entries and confirm an anchor's deposits.
MARGIN_STAFF_ROLES = (Role.ACCOUNT_MANAGER, Role.RISK_APPROVER)
# The audit row of each kind of posted entry.
POSTED_ENTRY_ACTIONS = {
    MarginEntry.Kind.DEPOSIT: AuditAction.MARGIN_DEPOSIT,
    MarginEntry.Kind.WITHDRAWAL: AuditAction.MARGIN_WITHDRAWAL,
    MarginEntry.Kind.DEDUCTION: AuditAction.MARGIN_DEDUCTION,
}


def _signed_amount() -> Case:
    return Case(
        When(kind=MarginEntry.Kind.DEPOSIT, then=F("amount")),
        default=-F("amount"),
        output_field=DecimalField(max_digits=18, decimal_places=2),
    )


def margin_balance(program_id: int) -> Decimal:
    """The programme's margin: posted deposits less posted withdrawals and deductions."""
    total = MarginEntry.objects.posted().filter(program_id=program_id).aggregate(total=Sum(_signed_amount()))
    return money(total["total"] or ZERO)


def margin_balances(program_ids: Iterable[int]) -> dict[int, Decimal]:
    """``margin_balance`` of many programmes in one query; a programme with no posted entry is absent."""
    rows = (
        MarginEntry.objects.posted()
        .filter(program_id__in=list(program_ids))
        .values("program_id")
        .annotate(total=Sum(_signed_amount()))
    )
    return {row["program_id"]: money(row["total"] or ZERO) for row in rows}


def margin_balance_sql(program_column: str) -> str:
    """The same balance as an SQL scalar subquery for set-based rules (``program_column``: e.g. ``p.id``)."""
    table = MarginEntry._meta.db_table
    return (
        "(SELECT COALESCE(SUM(CASE WHEN m.kind = 'deposit' THEN m.amount ELSE -m.amount END), 0) "
        f"FROM {table} m WHERE m.program_id = {program_column} AND m.status = '{MarginEntry.Status.POSTED}')"
    )


def margin_program_lock(program_id: int) -> Program:
    """Every write to a programme's margin holds this row lock, so two withdrawals cannot both pass."""
    return Program.objects.select_for_update().get(pk=program_id)


def margin_entry_post(
    *, program: Program, kind: str, amount: Decimal, actor: User | None, reference: str = "", note: str = ""
) -> MarginEntry:
    """Append a posted entry; the caller holds the programme lock and has checked the rule of its kind."""
    amount = _positive(amount)
    entry = MarginEntry.objects.create(
        program=program,
        kind=kind,
        status=MarginEntry.Status.POSTED,
        amount=amount,
        business_date=business_date_get(),
        reference=reference,
        note=note,
        actor=actor,
    )
    audit_record(
        actor=actor,
        action=POSTED_ENTRY_ACTIONS[MarginEntry.Kind(kind)],
        subject=program,
        amount=amount,
        reference=reference,
    )
    return entry


@transaction.atomic
def margin_deposit(*, program: Program, amount: Decimal, actor: User, note: str = "") -> MarginEntry:
    """Bank staff post a deposit; an anchor operator's deposit waits for their confirmation."""
    require_role(actor, *MARGIN_STAFF_ROLES, Role.ANCHOR_OPERATOR)
    locked = margin_program_lock(program.pk)
    if not is_anchor_operator(actor):
        return margin_entry_post(program=locked, kind=MarginEntry.Kind.DEPOSIT, amount=amount, actor=actor, note=note)
    if locked.anchor_id != actor.anchor_id:
        raise DomainError(ErrorCode.NOT_FOUND, _("No such programme."), status=404)
    amount = _positive(amount)
    entry = MarginEntry.objects.create(
        program=locked,
        kind=MarginEntry.Kind.DEPOSIT,
        status=MarginEntry.Status.PENDING,
        amount=amount,
        business_date=business_date_get(),
        note=note,
        actor=actor,
    )
    audit_record(actor=actor, action=AuditAction.MARGIN_DEPOSIT_ANNOUNCE, subject=locked, amount=amount, entry=entry.pk)
    return entry


@transaction.atomic
def margin_entry_confirm(*, entry: MarginEntry, actor: User) -> MarginEntry:
    """Bank staff confirm that an anchor's announced deposit arrived: from now on it counts."""
    require_role(actor, *MARGIN_STAFF_ROLES)
    # The programme lock first, as every margin write takes it, then the entry: two confirmations
    # of the same deposit are serialised and the second finds it posted.
    margin_program_lock(entry.program_id)
    entry = MarginEntry.objects.select_for_update().get(pk=entry.pk)
    if entry.status != MarginEntry.Status.PENDING:
        raise DomainError(ErrorCode.INVALID_STATUS, _("This margin entry is already posted."))
    require_other_person(actor, entry.actor, _("A margin deposit"))
    entry.status = MarginEntry.Status.POSTED
    entry.confirmed_by = actor
    entry.confirmed_at = timezone.now()
    entry.save(update_fields=["status", "confirmed_by", "confirmed_at"])
    audit_record(
        actor=actor,
        action=AuditAction.MARGIN_DEPOSIT_CONFIRM,
        subject=entry.program,
        amount=entry.amount,
        entry=entry.pk,
        announced_by=entry.actor_id,
    )
    return entry


def _positive(amount: Decimal) -> Decimal:
    amount = money(amount)
    if amount <= 0:
        raise DomainError(ErrorCode.INVALID_AMOUNT, _("The amount must be greater than zero."))
    return amount
