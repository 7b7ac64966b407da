"""The registry of audit scenarios: what arranges the world for each ``AuditAction`` and the call that performs it.

``tests/core/test_audit_actions.py`` holds most scenarios; a part of the product may keep its own in a module of
this package (``tests/core/audit_scenarios/<part>.py``), which ``scenario_modules_load`` imports.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from typing import Any

from core.audit import AuditAction
from tests.factories import resident_id_with_check

World = dict[str, Any]
Act = Callable[[], object]
SCENARIOS: dict[AuditAction, Callable[[World], Act]] = {}

FARMER_LIST = "姓名,身份证号,手机号,推荐金额,近12个月订单金额,打分卡得分\n"
NEW_FARMER = resident_id_with_check("51018119680413303")


def scenario(action: AuditAction) -> Callable[[Callable[[World], Act]], Callable[[World], Act]]:
    """Register what arranges the world for ``action`` and returns the one call that performs it."""

    def register(arrange: Callable[[World], Act]) -> Callable[[World], Act]:
        assert action not in SCENARIOS, f"two scenarios for {action}"
        SCENARIOS[action] = arrange
        return arrange

    return register


def users(world: World) -> dict[str, Any]:
    return world["users"]  # type: ignore[no-any-return]


def scenario_modules_load() -> None:
    """Import every scenario module of this package, so that each registers its scenarios."""
    for module in pkgutil.iter_modules(__path__):
        importlib.import_module(f"{__name__}.{module.name}")
