"""放款指令: every drawdown made here becomes a line of the core system's instruction file.

The loans are the source: origination makes a loan and knows nothing of the core, so the file of a
business date collects every loan drawn on or before that date that no instruction names yet (a loan
drawn after its date's file was made goes into the next date's file). Each gets a number unique for
ever (``FK`` + date + sequence). The file is made once per date and kept with its SHA-256; asking for
the same date again hands back the same record and the same bytes.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db import connection, transaction
from django.utils.translation import gettext as _

from accounting.files import CSV_CONTENT_TYPE, csv_file_bytes, stored_bytes
from accounting.models import DisbursementInstruction, InstructionFile
from accounting.permissions import require_file_role
from core.audit import AuditAction, audit_record
from core.business_date import business_date_get
from core.error_codes import ErrorCode
from core.errors import DomainError
from core.files import files_kept_only_on_commit, sha256_of, stored_file_create
from core.money import ZERO
from origination.models import Loan

# (Chinese header as written, English field name as documented in docs/core-files.md)
COLUMNS = (
    ("指令编号", "instruction_no"),
    ("贷款编号", "loan_id"),
    ("借款人姓名", "borrower_name"),
    ("证件类型", "id_type"),
    ("证件号码", "id_number"),
    ("放款金额", "amount"),
    ("起息日", "value_date"),
    ("到期日", "maturity_date"),
    ("合作方案编号", "program_id"),
    ("合作方案名称", "program_name"),
    ("机构代码", "org_code"),
)
RESIDENT_ID_TYPE = "01"  # 居民身份证, the only identity a farmer here has
# Two generations at once would collect the same loans: one transaction-level lock serialises them.
GENERATION_LOCK = 7_202_612_101


def instruction_number(day: dt.date, sequence: int) -> str:
    return f"FK{day:%Y%m%d}{sequence:06d}"


def instruction_file_name(day: dt.date) -> str:
    return f"DISBURSEMENT_{day:%Y%m%d}.csv"


def instruction_file_generate(*, day: dt.date, actor: Any = None) -> InstructionFile:
    """The instruction file of ``day``: made the first time, the kept one ever after."""
    require_file_role(actor)
    today = business_date_get()
    if day > today:
        raise DomainError(
            ErrorCode.DATE_IN_FUTURE,
            _("%(day)s is after the business date %(today)s.") % {"day": day.isoformat(), "today": today.isoformat()},
        )
    with files_kept_only_on_commit(), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [GENERATION_LOCK])
        kept = InstructionFile.objects.filter(business_date=day).select_related("stored_file").first()
        if kept is not None:
            if sha256_of(stored_bytes(kept.stored_file)) != kept.sha256:
                raise DomainError(
                    ErrorCode.FILE_CHANGED,
                    _("The kept instruction file of %(day)s no longer has its SHA-256: it was altered.")
                    % {"day": day.isoformat()},
                    status=409,
                )
            audit_record(actor=actor, action=AuditAction.INSTRUCTIONS_EXPORT, subject=kept, again=True)
            return kept
        latest = InstructionFile.objects.order_by("-business_date").values_list("business_date", flat=True).first()
        if latest is not None and latest > day:
            raise DomainError(
                ErrorCode.DATE_SUPERSEDED,
                _("The instructions of %(latest)s were already made: a file for an earlier date would be empty.")
                % {"latest": latest.isoformat()},
            )
        return _make(day, actor)


# The file's columns as the loans' query reads them, in the file's order after the instruction number. The file
# is for the core, which finds the borrower's account by his full identity number.
LOAN_COLUMNS = (
    "id",
    "farmer__name",
    "farmer__id_number",
    "principal",
    "disbursed_on",
    "maturity_on",
    "program_id",
    "program__name",
    "org_node__code",
)


def _make(day: dt.date, actor: Any) -> InstructionFile:
    # Plain tuples and one INSERT … SELECT: a first file in a large book names every loan drawn so far.
    loans = list(
        Loan.objects.filter(disbursed_on__lte=day, disbursement_instruction__isnull=True)
        .order_by("id")
        .values_list(*LOAN_COLUMNS)
    )
    prefix = instruction_number(day, 0)[:-6]
    rows = [
        [f"{prefix}{sequence:06d}", loan_id, name, RESIDENT_ID_TYPE, *rest]
        for sequence, (loan_id, name, *rest) in enumerate(loans, start=1)
    ]
    content = csv_file_bytes([header for header, _field in COLUMNS], rows)
    stored = stored_file_create(
        content=content, name=instruction_file_name(day), content_type=CSV_CONTENT_TYPE, uploaded_by=actor
    )
    total = sum((Decimal(loan[3]) for loan in loans), ZERO)
    record = InstructionFile.objects.create(
        business_date=day,
        stored_file=stored,
        sha256=stored.sha256,
        lines=len(loans),
        total=total,
        created_by=actor,
    )
    _instructions_insert(record, day, [loan[0] for loan in loans])
    audit_record(actor=actor, action=AuditAction.INSTRUCTIONS_EXPORT, subject=record, lines=len(loans), total=total)
    return record


def _instructions_insert(record: InstructionFile, day: dt.date, loan_ids: list[int]) -> None:
    """One instruction per loan, numbered in the order of ``loan_ids`` as the file lists them."""
    if not loan_ids:
        return
    table = DisbursementInstruction._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (number, file_id, loan_id, program_id, amount, value_date, status, "
            "core_reference, reason) "
            "SELECT %(prefix)s || lpad(ids.position::text, 6, '0'), %(file)s, l.id, l.program_id, l.principal, "
            "l.disbursed_on, %(pending)s, '', '' "
            f"FROM unnest(%(ids)s::bigint[]) WITH ORDINALITY AS ids(loan_id, position) "
            f"JOIN {Loan._meta.db_table} l ON l.id = ids.loan_id",
            {
                "prefix": instruction_number(day, 0)[:-6],
                "file": record.pk,
                "ids": loan_ids,
                "pending": DisbursementInstruction.Status.PENDING,
            },
        )


def instruction_file_download(*, record: InstructionFile, actor: Any) -> bytes:
    """The kept bytes of a file (full identity numbers: each download is audited)."""
    require_file_role(actor)
    content = stored_bytes(record.stored_file)
    audit_record(actor=actor, action=AuditAction.INSTRUCTIONS_EXPORT, subject=record, download=True)
    return content
