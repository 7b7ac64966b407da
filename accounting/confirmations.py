"""放款确认文件: the core's answer to the instructions, applied all or nothing.

Each row names an instruction and says whether the core paid it out (``accepted``, with the core's
disbursement reference) or not (``rejected``, with a reason). Every row is checked against the
instruction it names; one bad row refuses the whole file (``file_rejected`` with ``errors``) and
nothing of it is applied or kept. A row the core sends again with the same result and reference is
already applied and changes nothing; a rejected instruction may later be accepted (the core retried),
an accepted one never changes again.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import IO, Any

import pandas as pd
from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from accounting.models import ConfirmationFile, DisbursementInstruction
from accounting.permissions import require_file_role
from core import tabular
from core.audit import AuditAction, audit_record
from core.business_date import business_date_get
from core.error_codes import ErrorCode
from core.errors import DomainError
from core.files import files_kept_only_on_commit, stored_file_create
from core.identifiers import InvalidValue, normalize_text, parse_amount, parse_date
from core.uploads import read_uploaded_table

COLUMNS = (
    tabular.ColumnSpec("instruction_no", ("指令编号", "instruction_no"), True),
    tabular.ColumnSpec("loan_id", ("贷款编号", "loan_id"), True),
    tabular.ColumnSpec("core_reference", ("核心放款流水号", "core_reference"), False),
    tabular.ColumnSpec("confirmed_amount", ("确认金额", "confirmed_amount"), True),
    tabular.ColumnSpec("status", ("处理结果", "status"), True),
    tabular.ColumnSpec("processed_on", ("处理日期", "processed_on"), True),
    tabular.ColumnSpec("reason", ("失败原因", "reason"), False),
)
# What the core writes in the result column: the English codes, or the Chinese words of its screens.
RESULTS = {
    "accepted": DisbursementInstruction.Status.ACCEPTED,
    "成功": DisbursementInstruction.Status.ACCEPTED,
    "rejected": DisbursementInstruction.Status.REJECTED,
    "失败": DisbursementInstruction.Status.REJECTED,
}
REFERENCE_MAX = 64
REASON_MAX = 200


@dataclass
class ConfirmationResult:
    file: ConfirmationFile

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.file.pk,
            "sha256": self.file.sha256,
            "rows": self.file.rows,
            "accepted": self.file.accepted,
            "rejected": self.file.rejected,
            "unchanged": self.file.unchanged,
        }


@dataclass(frozen=True)
class Row:
    row: int
    instruction: DisbursementInstruction
    status: str
    reference: str
    amount: Decimal
    processed_on: dt.date
    reason: str


def _error(row: int, column: str, code: ErrorCode, detail: str) -> dict[str, Any]:
    return {"row": row, "column": column, "code": code, "detail": detail}


def confirmations_import(*, content: bytes | IO[bytes], filename: str, actor: Any = None) -> ConfirmationResult:
    require_file_role(actor)
    data = content if isinstance(content, bytes) else content.read()
    frame = read_uploaded_table(
        data, filename, COLUMNS, max_bytes=settings.UPLOAD_MAX_BYTES, max_rows=settings.UPLOAD_MAX_ROWS
    )
    today = business_date_get()
    with files_kept_only_on_commit(), transaction.atomic():
        rows, errors = _checked(frame, today)
        if errors:
            raise DomainError(
                ErrorCode.FILE_REJECTED,
                _("%(count)s rows of %(file)s are refused: nothing of the file was applied.")
                % {"count": len({error["row"] for error in errors}), "file": filename},
                errors=errors,
            )
        stored = stored_file_create(content=data, name=filename, uploaded_by=actor)
        record = ConfirmationFile.objects.create(
            stored_file=stored,
            sha256=stored.sha256,
            business_date=today,
            rows=len(rows),
            accepted=0,
            rejected=0,
            unchanged=0,
            imported_by=actor,
        )
        for row in rows:
            _apply(row, record)
        record.save(update_fields=["accepted", "rejected", "unchanged"])
        audit_record(
            actor=actor,
            action=AuditAction.CONFIRMATIONS_IMPORT,
            subject=record,
            accepted=record.accepted,
            rejected=record.rejected,
            unchanged=record.unchanged,
        )
    return ConfirmationResult(record)


def _apply(row: Row, record: ConfirmationFile) -> None:
    instruction = row.instruction
    if instruction.status == row.status and instruction.core_reference == row.reference:
        record.unchanged += 1
        return
    instruction.status = row.status
    instruction.core_reference = row.reference
    instruction.confirmed_amount = row.amount
    instruction.processed_on = row.processed_on
    instruction.reason = row.reason
    instruction.confirmation = record
    instruction.save(
        update_fields=["status", "core_reference", "confirmed_amount", "processed_on", "reason", "confirmation"]
    )
    if row.status == DisbursementInstruction.Status.ACCEPTED:
        record.accepted += 1
    else:
        record.rejected += 1


def _checked(frame: pd.DataFrame, today: dt.date) -> tuple[list[Row], list[dict[str, Any]]]:
    """Every row checked against its instruction (locked until the file is applied)."""
    numbers = {str(value) for value in frame["instruction_no"]}
    instructions = {
        instruction.number: instruction
        for instruction in DisbursementInstruction.objects.select_for_update().filter(number__in=numbers)
    }
    rows: list[Row] = []
    errors: list[dict[str, Any]] = []
    seen: set[str] = set()
    for record in frame.to_dict("records"):
        checked = _check_row(record, instructions, seen, today)
        if isinstance(checked, Row):
            rows.append(checked)
        else:
            errors.extend(checked)
    return rows, errors


def _check_row(
    record: dict[str, Any], instructions: dict[str, DisbursementInstruction], seen: set[str], today: dt.date
) -> Row | list[dict[str, Any]]:
    line = int(record[tabular.ROW])
    errors: list[dict[str, Any]] = []
    number = str(record["instruction_no"])
    status = RESULTS.get(normalize_text(str(record["status"])).strip().lower())
    reference = str(record["core_reference"])
    reason = str(record["reason"])
    amount: Decimal | None = None
    processed_on: dt.date | None = None
    for column in ("instruction_no", "loan_id", "confirmed_amount", "status", "processed_on"):
        if not str(record[column]):
            errors.append(_error(line, column, ErrorCode.REQUIRED, _("This column is required and the cell is empty.")))
    if errors:
        return errors
    if number in seen:
        errors.append(
            _error(line, "instruction_no", ErrorCode.DUPLICATE_IN_FILE, _("This instruction is already in the file."))
        )
    seen.add(number)
    if status is None:
        errors.append(
            _error(
                line, "status", ErrorCode.INVALID_RESULT, _("The result must be accepted (成功) or rejected (失败).")
            )
        )
    elif status == DisbursementInstruction.Status.ACCEPTED and not reference:
        errors.append(
            _error(
                line,
                "core_reference",
                ErrorCode.REQUIRED,
                _("A disbursement the core paid out needs its core reference."),
            )
        )
    if len(reference) > REFERENCE_MAX or len(reason) > REASON_MAX:
        column = "core_reference" if len(reference) > REFERENCE_MAX else "reason"
        errors.append(_error(line, column, ErrorCode.TOO_LONG, _("The text is too long.")))
    try:
        amount = parse_amount(str(record["confirmed_amount"]))
    except InvalidValue as exc:
        errors.append(_error(line, "confirmed_amount", exc.code, exc.detail))
    try:
        processed_on = parse_date(str(record["processed_on"]))
    except InvalidValue as exc:
        errors.append(_error(line, "processed_on", exc.code, exc.detail))
    instruction = instructions.get(number)
    if instruction is None:
        errors.append(
            _error(
                line, "instruction_no", ErrorCode.UNKNOWN_INSTRUCTION, _("No disbursement instruction has this number.")
            )
        )
        return errors
    if str(record["loan_id"]) != str(instruction.loan_id):
        errors.append(
            _error(
                line,
                "loan_id",
                ErrorCode.LOAN_MISMATCH,
                _("Instruction %(number)s is for loan %(loan)s.") % {"number": number, "loan": instruction.loan_id},
            )
        )
    if amount is not None and amount != instruction.amount:
        errors.append(
            _error(
                line,
                "confirmed_amount",
                ErrorCode.AMOUNT_MISMATCH,
                _("Instruction %(number)s is for %(amount)s yuan.")
                % {"number": number, "amount": f"{instruction.amount:.2f}"},
            )
        )
    if processed_on is not None and not instruction.value_date <= processed_on <= today:
        errors.append(
            _error(
                line,
                "processed_on",
                ErrorCode.DATE_OUT_OF_RANGE,
                _("The date must lie from the value date %(start)s to the business date %(end)s.")
                % {"start": instruction.value_date.isoformat(), "end": today.isoformat()},
            )
        )
    if instruction.status == DisbursementInstruction.Status.ACCEPTED and (
        status != DisbursementInstruction.Status.ACCEPTED or reference != instruction.core_reference
    ):
        errors.append(
            _error(
                line,
                "core_reference",
                ErrorCode.ALREADY_CONFIRMED,
                _("Instruction %(number)s was already paid out under core reference %(reference)s.")
                % {"number": number, "reference": instruction.core_reference},
            )
        )
    if errors or status is None or amount is None or processed_on is None:
        return errors
    return Row(line, instruction, status, reference, amount, processed_on, reason)
