"""Audit scenarios of the anchor's window: a monthly statement written."""

from __future__ import annotations

import datetime as dt

from core.audit import AuditAction
from tests.core.audit_scenarios import Act, World, scenario, users


@scenario(AuditAction.STATEMENT_WRITE)
def _statement_write(world: World) -> Act:
    from postloan.statements import statement_write

    # The world's business date is in June: May is over, and a risk approver asks for its statement.
    return lambda: statement_write(world["program"], dt.date(2027, 5, 1), users(world)["approver"])
