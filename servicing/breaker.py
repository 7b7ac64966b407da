"""The programme circuit breaker (业务退出阈值): NPL ratio against the warning and suspension lines."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext as _

from core.money import ZERO
from origination import figures
from partners.models import Program
from partners.services.programs import program_status_record
from risk.classification import ProgramStatus, breaker_status


@dataclass(frozen=True)
class BreakerMove:
    program_id: int
    from_status: str
    to_status: str
    npl_ratio: Decimal


def programs_breaker(day: dt.date) -> list[BreakerMove]:
    """One aggregate over the book, then each programme whose status must move is moved and recorded."""
    totals = figures.program_loan_sums(("outstanding", "npl"))
    moves: list[BreakerMove] = []
    for program in Program.objects.all():
        row = totals.get(program.pk, {})
        outstanding, npl = row.get("outstanding", ZERO), row.get("npl", ZERO)
        npl_ratio = figures.npl_ratio(npl, outstanding)
        target = breaker_status(
            current=ProgramStatus(program.status),
            npl_ratio=npl_ratio,
            warning_ratio=program.npl_warning_ratio,
            suspend_ratio=program.npl_suspend_ratio,
        )
        accepted = program.breaker_accepted_ratio
        if target == ProgramStatus.SUSPENDED and accepted is not None and npl_ratio <= accepted:
            # A risk approver resumed the programme at this level: only a worse ratio suspends it again.
            target = ProgramStatus.WARNING if npl_ratio >= program.npl_warning_ratio else ProgramStatus.ACTIVE
        if target.value != program.status:
            with transaction.atomic():
                locked = Program.objects.select_for_update().get(pk=program.pk)
                moves.append(BreakerMove(program.pk, locked.status, target.value, npl_ratio))
                program_status_record(
                    program=locked,
                    to_status=target.value,
                    actor=None,
                    reason=_("Close of business of %(day)s: NPL ratio %(ratio)s.")
                    % {"day": day.isoformat(), "ratio": f"{npl_ratio:.2%}"},
                    npl_ratio=npl_ratio,
                    npl_principal=npl,
                    outstanding_principal=outstanding,
                )
    return moves
