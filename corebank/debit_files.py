"""The core system's daily debit file (核心扣款文件): read, checked and kept whole, or refused whole.

``debit_file_import`` reads the file a slice at a time (``core.tabular.read_table_chunks``: CSV in UTF-8,
UTF-8 with BOM or GBK, or XLSX; Chinese or English headers), checks each cell a column at a time, copies the
good rows into a temporary staging table and lets the database find what a slice cannot see alone: loans
that do not exist, references repeated in the file or already kept. Any bad row refuses the file
(``file_rejected``, with every row's ``{row, column, code, detail}``) and nothing of it is kept; otherwise the
file is kept with its SHA-256 and its new debits wait for the close of their value date (``corebank.apply``).
A reference already kept with the same loan, value date and amount is a duplicate (counted, not kept
again); with other content it is ``conflicting_duplicate``.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import IO, Any

import numpy as np
import numpy.typing as npt
import pandas as pd
from django.conf import settings
from django.db import connection, transaction
from django.utils.translation import gettext as _

from core import tabular
from core.audit import AuditAction, audit_record
from core.business_date import business_date_get
from core.error_codes import ErrorCode
from core.errors import DomainError
from core.files import files_kept_only_on_commit, stored_file_create
from core.permissions import require_role
from core.roles import Role
from corebank.models import Debit, DebitFile, PendingDebit
from origination.models import Loan
from partners.models import User

COLUMNS = (
    tabular.ColumnSpec("loan", ("贷款编号", "loan"), True),
    tabular.ColumnSpec("value_date", ("入账日期", "value_date"), True),
    tabular.ColumnSpec("amount", ("金额", "amount"), True),
    tabular.ColumnSpec("reference", ("核心流水号", "reference"), True),
)
# Who may send the core's files in: bank operations, which the administrator's role is (docs/core-files.md).
IMPORT_ROLES = (Role.ADMINISTRATOR,)
REFERENCE_MAX_LENGTH = 64
MAX_ERRORS_LISTED = 10_000  # a systematically broken file must not become a giant answer
LOCK_KEY = 0x636F7265  # one import at a time (two deliveries of one reference must not both be new)
PLAIN_AMOUNT = re.compile(r"\d{1,16}(\.\d{1,2})?")
AMOUNT_LIMIT = Decimal(10) ** 16  # NUMERIC(18, 2): 16 digits before the point
ZERO_AMOUNT = re.compile(r"0+(\.0*)?")
LOAN_ID = re.compile(r"[1-9]\d{0,17}")
CONTROL = re.compile(r"[\x00-\x1f\x7f]")
STAGE_TABLE = (
    "row integer, loan_id bigint, value_date date, amount numeric(18, 2), reference varchar(64), seq bigserial"
)
ObjectArray = npt.NDArray[np.object_]


def max_bytes() -> int:
    return int(getattr(settings, "CORE_FILE_MAX_BYTES", 1 << 30))


def max_rows() -> int:
    return int(getattr(settings, "CORE_FILE_MAX_ROWS", 5_000_000))


@dataclass(frozen=True)
class DebitFileImport:
    file: DebitFile

    def as_dict(self) -> dict[str, Any]:
        return {"accepted": self.file.accepted, "duplicates": self.file.duplicates}


def row_error_detail(code: str) -> str:
    """The sentence beside a refused cell of a debit file."""
    messages: dict[str, str] = {
        ErrorCode.REQUIRED: _("This column is required and the cell is empty."),
        ErrorCode.TOO_LONG: _("The text is too long."),
        ErrorCode.UNKNOWN_LOAN: _("No loan has this number."),
        ErrorCode.INVALID_DATE: _("This is not a date: write it like 2027-02-13."),
        ErrorCode.WRONG_VALUE_DATE: _("The value date must be the business date."),
        ErrorCode.INVALID_AMOUNT: _("The amount must be a number of yuan greater than zero."),
        ErrorCode.AMOUNT_TOO_LARGE: _("The amount is too large."),
        ErrorCode.INVALID_KEY: _("A core reference may not contain tabs, line breaks or other control characters."),
        ErrorCode.CONFLICTING_DUPLICATE: _(
            "This core reference was already received with another loan, value date or amount."
        ),
    }
    return messages.get(code, code)


def debit_file_import(*, content: bytes | IO[bytes], filename: str, actor: User) -> DebitFileImport:
    """Keep the core's debit file and its new debits, or refuse it whole (``file_rejected``).

    ``content`` is best the open file (binary, seekable): it is then read a slice at a time, never whole.
    """
    with files_kept_only_on_commit():  # the file leaves storage again if the transaction fails
        return _debit_file_import(content=content, filename=filename, actor=actor)


@transaction.atomic
def _debit_file_import(*, content: bytes | IO[bytes], filename: str, actor: User) -> DebitFileImport:
    require_role(actor, *IMPORT_ROLES)
    today = business_date_get()
    size = len(content) if isinstance(content, bytes) else content.seek(0, io.SEEK_END)
    if size > max_bytes():
        raise DomainError(
            ErrorCode.FILE_TOO_LARGE,
            _("%(file)s is %(size)s MB; at most %(max)s MB are accepted.")
            % {"file": filename, "size": f"{size / 1_048_576:.1f}", "max": f"{max_bytes() / 1_048_576:.0f}"},
        )
    if not isinstance(content, bytes):
        content.seek(0)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [LOCK_KEY])
        cursor.execute(f"CREATE TEMPORARY TABLE IF NOT EXISTS corebank_stage ({STAGE_TABLE}) ON COMMIT DROP")
        cursor.execute("TRUNCATE corebank_stage")
    errors: list[dict[str, Any]] = []
    rows_total = 0
    try:
        for frame in tabular.read_table_chunks(content, filename, COLUMNS, max_rows=max_rows()):
            rows_total += len(frame)
            _stage(frame, today=today.isoformat(), errors=errors)
    except tabular.TableError as exc:
        raise DomainError(exc.code, exc.detail) from None
    errors.extend(_database_errors())
    if errors:
        errors.sort(key=lambda error: (error["row"], [spec.field for spec in COLUMNS].index(error["column"])))
        raise DomainError(
            ErrorCode.FILE_REJECTED,
            _("%(file)s was not loaded: %(count)d rows have errors, and nothing of the file was kept.")
            % {"file": filename, "count": len({error["row"] for error in errors})},
            errors=errors[:MAX_ERRORS_LISTED],
        )
    stored = stored_file_create(content=content, name=filename, uploaded_by=actor)
    debit_file = DebitFile.objects.create(
        name=filename[:255],
        sha256=stored.sha256,
        size=size,
        file=stored,
        business_date=today,
        rows_total=rows_total,
        accepted=0,
        duplicates=0,
        received_by=actor,
    )
    accepted = _keep(debit_file)
    debit_file.accepted, debit_file.duplicates = accepted, rows_total - accepted
    debit_file.save(update_fields=["accepted", "duplicates"])
    audit_record(
        actor=actor,
        action=AuditAction.CORE_DEBITS_IMPORT,
        subject=debit_file,
        sha256=debit_file.sha256,
        accepted=accepted,
        duplicates=debit_file.duplicates,
    )
    return DebitFileImport(debit_file)


def _stage(frame: pd.DataFrame, *, today: str, errors: list[dict[str, Any]]) -> None:
    """Check a slice's cells; its good rows go to the staging table, its bad cells to ``errors``."""
    rows = frame[tabular.ROW].to_numpy(dtype=np.int64)
    loans, loan_codes = _loans(tabular.normalize_series(frame["loan"]))
    dates, date_codes = _value_dates(tabular.normalize_series(frame["value_date"]), today)
    amounts, amount_codes = _amounts(tabular.normalize_series(frame["amount"]))
    references, reference_codes = _references(tabular.normalize_series(frame["reference"]))
    bad = np.zeros(len(rows), dtype=bool)
    for field, codes in (
        ("loan", loan_codes),
        ("value_date", date_codes),
        ("amount", amount_codes),
        ("reference", reference_codes),
    ):
        failing = codes != ""
        bad |= failing
        for i in np.flatnonzero(failing):
            errors.append(
                {"row": int(rows[i]), "column": field, "code": codes[i], "detail": row_error_detail(codes[i])}
            )
    good = ~bad
    if not good.any():
        return
    lines = map(
        "\t".join,
        zip(rows[good].astype(str), loans[good], dates[good], amounts[good], references[good], strict=True),
    )
    text = ("\n".join(lines) + "\n").encode()
    with connection.cursor() as cursor:
        cursor.copy_expert(
            "COPY corebank_stage (row, loan_id, value_date, amount, reference) FROM STDIN", io.BytesIO(text)
        )


def _column_codes(texts: ObjectArray) -> ObjectArray:
    return np.where(texts == "", ErrorCode.REQUIRED.value, "").astype(object)


def _loans(column: pd.Series) -> tuple[ObjectArray, ObjectArray]:
    texts = column.to_numpy(dtype=object)
    codes = _column_codes(texts)
    shaped = column.str.fullmatch(LOAN_ID).to_numpy(dtype=bool)
    codes[(codes == "") & ~shaped] = ErrorCode.UNKNOWN_LOAN.value
    return texts, codes


def _value_dates(column: pd.Series, today: str) -> tuple[ObjectArray, ObjectArray]:
    """A file holds one or few distinct dates: each is checked once."""
    positions, uniques = pd.factorize(column.to_numpy(dtype=object), use_na_sentinel=False)
    values, value_codes = tabular.dates(pd.Series(np.asarray(uniques, dtype=object), dtype=object))
    texts = np.array([value.isoformat() if value is not None else "" for value in values], dtype=object)
    codes = value_codes.to_numpy(dtype=object).copy()
    codes[(codes == "") & (texts != today)] = ErrorCode.WRONG_VALUE_DATE.value
    codes[np.asarray(uniques, dtype=object) == ""] = ErrorCode.REQUIRED.value
    return texts[positions], codes[positions]


def _amounts(column: pd.Series) -> tuple[ObjectArray, ObjectArray]:
    """(exact decimal text, code): plain amounts as they are, the others by the shared rule; zero is invalid."""
    texts = column.to_numpy(dtype=object).copy()
    codes = _column_codes(texts)
    plain = column.str.fullmatch(PLAIN_AMOUNT).to_numpy(dtype=bool)
    for i in np.flatnonzero(~plain & (codes == "")):
        values, value_codes = tabular.amounts(column.iloc[[i]])
        code, value = value_codes.iloc[0], values.iloc[0]
        if code == ErrorCode.AMOUNT_TOO_LARGE:
            codes[i] = code
        elif code:
            codes[i] = ErrorCode.INVALID_AMOUNT.value
        elif value >= AMOUNT_LIMIT:
            codes[i] = ErrorCode.AMOUNT_TOO_LARGE.value
        else:
            texts[i] = format(value, "f")
    zero = pd.Series(texts, dtype=object).str.fullmatch(ZERO_AMOUNT).to_numpy(dtype=bool)
    codes[(codes == "") & zero] = ErrorCode.INVALID_AMOUNT.value
    return texts, codes


def _references(column: pd.Series) -> tuple[ObjectArray, ObjectArray]:
    texts = column.to_numpy(dtype=object)
    codes = _column_codes(texts)
    lengths = column.str.len().to_numpy()
    codes[(codes == "") & (lengths > REFERENCE_MAX_LENGTH)] = ErrorCode.TOO_LONG.value
    control = column.str.contains(CONTROL).to_numpy(dtype=bool)
    codes[(codes == "") & control] = ErrorCode.INVALID_KEY.value
    escaped = column.str.replace("\\", "\\\\", regex=False).to_numpy(dtype=object)
    return escaped, codes


def _database_errors() -> list[dict[str, Any]]:
    """What only the whole file and the database show: unknown loans and conflicting references."""
    found: list[dict[str, Any]] = []
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE corebank_stage")
        cursor.execute(
            f"SELECT s.row FROM corebank_stage s LEFT JOIN {Loan._meta.db_table} l ON l.id = s.loan_id "
            "WHERE l.id IS NULL"
        )
        found += [_error(row, "loan", ErrorCode.UNKNOWN_LOAN) for (row,) in cursor.fetchall()]
        # A reference repeated in the file: the first row is the delivery's debit, a later one with other
        # content conflicts with it; one already kept with other content conflicts with the kept one.
        cursor.execute(
            "SELECT row FROM (SELECT row, loan_id, value_date, amount, "
            "FIRST_VALUE(ROW(loan_id, value_date, amount)) OVER (PARTITION BY reference ORDER BY seq) AS first "
            "FROM corebank_stage) s WHERE ROW(loan_id, value_date, amount) IS DISTINCT FROM first "
            "UNION "
            f"SELECT s.row FROM corebank_stage s JOIN {Debit._meta.db_table} d ON d.reference = s.reference "
            "WHERE (d.loan_id, d.value_date, d.amount) IS DISTINCT FROM (s.loan_id, s.value_date, s.amount)"
        )
        found += [_error(row, "reference", ErrorCode.CONFLICTING_DUPLICATE) for (row,) in cursor.fetchall()]
    return found


def _error(row: int, column: str, code: ErrorCode) -> dict[str, Any]:
    return {"row": row, "column": column, "code": code.value, "detail": row_error_detail(code)}


def _keep(debit_file: DebitFile) -> int:
    """The file's new debits: the first row of each reference not kept before. Returns how many.

    A debit of a loan that owes nothing any more (paid off, and nothing left to pay back to the anchor)
    is kept for refund at once. The close applies the others, queued for it in ``PendingDebit``: a loan it
    services, a written-off loan (a recovery after write-off) and a loan the anchor paid off for the farmer
    (his reimbursement of it).
    """
    owes = "(l.status IN (%(active)s, %(written_off)s) OR l.compensated > l.recovered)"
    with connection.cursor() as cursor:
        cursor.execute(
            f"WITH kept AS (INSERT INTO {Debit._meta.db_table} "
            "(file_id, row, loan_id, value_date, amount, reference, state, applied, refund, repayment_id) "
            "SELECT %(file)s, s.row, s.loan_id, s.value_date, s.amount, s.reference, "
            f"CASE WHEN {owes} THEN 'pending' ELSE 'partly_applied' END, 0, "
            f"CASE WHEN {owes} THEN 0 ELSE s.amount END, NULL FROM "
            "(SELECT DISTINCT ON (reference) * FROM corebank_stage ORDER BY reference, seq) s "
            f"JOIN {Loan._meta.db_table} l ON l.id = s.loan_id "
            f"WHERE NOT EXISTS (SELECT 1 FROM {Debit._meta.db_table} d WHERE d.reference = s.reference) "
            "RETURNING id, loan_id, value_date, amount, state), "
            # What the close is to apply enters its queue in the same statement.
            f"queued AS (INSERT INTO {PendingDebit._meta.db_table} (debit_id, loan_id, value_date, amount, "
            "recorded_by_id) SELECT id, loan_id, value_date, amount, %(received_by)s FROM kept "
            "WHERE state = 'pending') "
            "SELECT COUNT(*) FROM kept",
            {
                "file": debit_file.pk,
                "received_by": debit_file.received_by_id,
                "active": Loan.Status.ACTIVE.value,
                "written_off": Loan.Status.WRITTEN_OFF.value,
            },
        )
        return int(cursor.fetchone()[0])
