"""Audit scenarios of programme changes: proposed, approved (in force at once), rejected."""

from __future__ import annotations

from core.audit import AuditAction
from tests.core.audit_scenarios import Act, World, scenario, users
from tests.factories import SOUND_BOOK_DAY


def _propose(world: World):
    from origination.services.program_changes import program_change_propose

    return program_change_propose(
        program=world["program"],
        actor=users(world)["manager"],
        values={"order_ratio": "0.35"},
        effective_from=SOUND_BOOK_DAY,
        reason="订单增长，提高订单比例",
    )


@scenario(AuditAction.PROGRAM_CHANGE_PROPOSE)
def _program_change_propose(world: World) -> Act:
    return lambda: _propose(world)


@scenario(AuditAction.PROGRAM_CHANGE_APPROVE)
def _program_change_approve(world: World) -> Act:
    from origination.services.program_changes import program_change_approve

    change = _propose(world)
    return lambda: program_change_approve(change=change, actor=users(world)["approver"])


@scenario(AuditAction.PROGRAM_CHANGE_REJECT)
def _program_change_reject(world: World) -> Act:
    from origination.services.program_changes import program_change_reject

    change = _propose(world)
    return lambda: program_change_reject(
        change=change,
        actor=users(world)["approver"],
        note="依据不足",
    )
