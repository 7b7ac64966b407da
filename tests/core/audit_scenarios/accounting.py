"""Audit scenarios of the files exchanged with the core system: instructions, confirmations, the journal."""

from __future__ import annotations

import datetime as dt

from core.audit import AuditAction
from tests.core.audit_scenarios import Act, World, scenario, users
from tests.factories import SOUND_BOOK_DAY


@scenario(AuditAction.INSTRUCTIONS_EXPORT)
def _instructions_export(world: World) -> Act:
    from accounting.instructions import instruction_file_generate

    return lambda: instruction_file_generate(day=SOUND_BOOK_DAY, actor=users(world)["admin"])


@scenario(AuditAction.CONFIRMATIONS_IMPORT)
def _confirmations_import(world: World) -> Act:
    from accounting.confirmations import confirmations_import
    from accounting.instructions import instruction_file_generate

    instruction_file_generate(day=SOUND_BOOK_DAY, actor=users(world)["admin"])
    instruction = world["loan"].disbursement_instruction
    content = (
        "指令编号,贷款编号,核心放款流水号,确认金额,处理结果,处理日期\n"
        f"{instruction.number},{world['loan'].pk},CB0001,{instruction.amount},accepted,{SOUND_BOOK_DAY}\n"
    ).encode()
    return lambda: confirmations_import(content=content, filename="确认.csv", actor=users(world)["admin"])


@scenario(AuditAction.JOURNAL_EXPORT)
def _journal_export(world: World) -> Act:
    from accounting.journal import journal_file_generate
    from core.business_date import business_date_set

    business_date_set(new_date=SOUND_BOOK_DAY + dt.timedelta(days=1), backwards_allowed=False)
    return lambda: journal_file_generate(day=SOUND_BOOK_DAY, actor=users(world)["admin"])
