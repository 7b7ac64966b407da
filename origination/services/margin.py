"""Margin withdrawals: the one margin rule that needs the loan book.

A withdrawal is the bank's decision alone (an anchor operator asks the bank; he cannot withdraw), and it
never leaves less than margin ratio × outstanding principal of posted margin: an anchor's deposit still
waiting for confirmation does not count toward that room.
"""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext as _

from core.error_codes import ErrorCode
from core.errors import DomainError
from core.money import format_yuan, money
from core.permissions import require_role
from origination.figures import margin_required, program_outstanding
from partners.models import MarginEntry, Program, User
from partners.services.margin import MARGIN_STAFF_ROLES, margin_balance, margin_entry_post, margin_program_lock


@transaction.atomic
def margin_withdraw(*, program: Program, amount: Decimal, actor: User, note: str = "") -> MarginEntry:
    """Refused when the balance left would fall below margin ratio × outstanding principal.

    The programme row is locked first, so concurrent withdrawals are checked one after the other.
    """
    require_role(actor, *MARGIN_STAFF_ROLES)
    locked = margin_program_lock(program.pk)
    amount = money(amount)
    required = margin_required(locked.margin_ratio, program_outstanding(locked.pk))
    balance = margin_balance(locked.pk)
    if balance - amount < required:
        raise DomainError(
            ErrorCode.MARGIN_INSUFFICIENT,
            _(
                "The margin would fall below what is required: balance %(balance)s, required %(required)s, "
                "at most %(room)s may be withdrawn."
            )
            % {
                "balance": format_yuan(balance),
                "required": format_yuan(required),
                "room": format_yuan(max(balance - required, Decimal(0))),
            },
        )
    return margin_entry_post(program=locked, kind=MarginEntry.Kind.WITHDRAWAL, amount=amount, actor=actor, note=note)
