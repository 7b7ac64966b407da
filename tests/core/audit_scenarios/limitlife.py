"""Audit scenarios of the limit's life after the grant: each service writes one row."""

from __future__ import annotations

from decimal import Decimal

from core.audit import AuditAction
from tests.core.audit_scenarios import Act, World, scenario, users


@scenario(AuditAction.LIMIT_FREEZE)
def _limit_freeze(world: World) -> Act:
    from origination.services.limit_life import credit_limit_freeze

    return lambda: credit_limit_freeze(
        credit_limit=world["limit"], actor=users(world)["manager"], reason="走访发现停养"
    )


@scenario(AuditAction.LIMIT_UNFREEZE)
def _limit_unfreeze(world: World) -> Act:
    from origination.services.limit_life import credit_limit_freeze, credit_limit_unfreeze

    credit_limit_freeze(credit_limit=world["limit"], actor=users(world)["manager"], reason="停养")
    return lambda: credit_limit_unfreeze(credit_limit=world["limit"], actor=users(world)["approver"], reason="复核无误")


@scenario(AuditAction.LIMIT_REDUCE)
def _limit_reduce(world: World) -> Act:
    from origination.services.limit_life import credit_limit_reduce

    return lambda: credit_limit_reduce(
        credit_limit=world["limit"], actor=users(world)["approver"], amount=Decimal("60000.00"), reason="订单下滑"
    )


@scenario(AuditAction.LIMIT_CLOSE)
def _limit_close(world: World) -> Act:
    from origination.services.limit_life import credit_limit_close

    return lambda: credit_limit_close(
        credit_limit=world["limit"], actor=users(world)["approver"], reason="龙头企业退出"
    )
