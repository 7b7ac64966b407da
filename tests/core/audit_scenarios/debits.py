"""Audit scenarios of the core system's debit file (核心扣款文件)."""

from __future__ import annotations

from core.audit import AuditAction
from tests.core.audit_scenarios import Act, World, scenario, users


@scenario(AuditAction.CORE_DEBITS_IMPORT)
def _core_debits_import(world: World) -> Act:
    from core.business_date import business_date_get
    from corebank.debit_files import debit_file_import
    from tests.corebank.debits import debit_csv

    content = debit_csv([(world["loan"].pk, business_date_get().isoformat(), "10.00", "AUDIT-1")])
    return lambda: debit_file_import(content=content, filename="debits.csv", actor=users(world)["admin"])
