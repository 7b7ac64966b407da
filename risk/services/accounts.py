"""Imports of the core system's settlement-account files (结算账户数据), and the anchor's own accounts.

A file is all or nothing. Its slices are checked as they are read and, while no row is refused, copied
into a temporary staging table (the file's rows never sit in memory together); at the end:

* a refused cell anywhere → ``file_rejected`` with the ``errors`` (row, column, code), nothing kept;
* a key (a transaction's reference; an account's date for a balance) already stored with other content,
  or given twice in the file with other content → ``file_rejected``, each such row ``conflicting_duplicate``;
* else the file is kept (``StoredFile``, with its SHA-256), one ``AccountDelivery`` records it, and one
  ``INSERT … SELECT`` adds the rows whose key is new (a repeat with the same content is a duplicate).

Deliveries of one kind take turns (a transaction-scoped advisory lock), so the check sees what the insert
will meet. ``risk.services.deliveries`` does the same for the provider's records, where a bad row is
left out instead and a conflict kept aside.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import IO, Any

from django.db import connection, transaction
from django.utils.translation import gettext as _

from core.audit import AuditAction, audit_record
from core.business_date import business_date_get
from core.error_codes import ErrorCode
from core.errors import DomainError
from core.files import stored_file_create
from core.permissions import require_role
from core.roles import Role
from core.uploads import refuse_oversized
from partners.models import Anchor, User
from risk import account_importers, importers
from risk.importers import ProviderRows, RowError
from risk.models_accounts import (
    AccountBalance,
    AccountDelivery,
    AccountTransaction,
    AnchorSettlementAccount,
)
from risk.services.deliveries import COPY_BLOCK_BYTES, _atomic_keeping_no_orphan_file, _read

IMPORT_ROLES = (Role.ACCOUNT_MANAGER, Role.RISK_APPROVER, Role.ADMINISTRATOR)
ACCOUNT_ROLES = (Role.RISK_APPROVER, Role.ADMINISTRATOR)


@dataclass(frozen=True)
class _Kind:
    kind: str
    model: type[AccountBalance] | type[AccountTransaction]
    key: tuple[str, ...]
    reader: Callable[..., ProviderRows]


KINDS = {
    AccountDelivery.Kind.BALANCES: _Kind(
        AccountDelivery.Kind.BALANCES,
        AccountBalance,
        ("account_no", "balance_date"),
        account_importers.read_balance_file,
    ),
    AccountDelivery.Kind.TRANSACTIONS: _Kind(
        AccountDelivery.Kind.TRANSACTIONS,
        AccountTransaction,
        ("reference",),
        account_importers.read_transaction_file,
    ),
}


@dataclass(frozen=True)
class AccountImportResult:
    delivery_id: int
    rows: int
    created: int
    duplicates: int

    def as_dict(self) -> dict[str, Any]:
        return {"delivery": self.delivery_id, "rows": self.rows, "created": self.created, "duplicates": self.duplicates}


@dataclass
class _Tally:
    rows: int = 0
    valid: int = 0
    errors: list[RowError] = field(default_factory=list)
    errors_total: int = 0


def settlement_accounts_import(
    *, kind: str, content: bytes | IO[bytes], filename: str, actor: User | None = None
) -> AccountImportResult:
    """Import a balance or transaction file of the core system, whole or not at all.

    ``content`` is the file's bytes or, better, the open file (binary, seekable), read a chunk at a time.
    ``actor`` None is the system itself (the file drop's command, the demo).
    """
    spec = KINDS.get(kind)  # type: ignore[call-overload]
    if spec is None:
        raise DomainError(ErrorCode.INVALID, _("The kind of file is balances or transactions."))
    if actor is not None:
        require_role(actor, *IMPORT_ROLES)
    refuse_oversized(content, filename, importers.provider_max_bytes())
    rows = _read(spec.reader, content, filename)
    with _atomic_keeping_no_orphan_file() as stored_names:
        table = spec.model._meta.db_table
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [f"{table}.import"])
        staging = _staging_fill(table, rows, tally := _Tally())
        if tally.errors_total:
            _reject(filename, tally.errors, tally.errors_total)
        if not tally.valid:
            raise DomainError(
                ErrorCode.NO_VALID_ROWS, _("%(file)s has no row that can be imported.") % {"file": filename}
            )
        conflicts = _conflicts(table, staging, spec.key, rows.fields)
        if conflicts:
            _reject(filename, conflicts, len(conflicts))
        stored = stored_file_create(content=content, name=filename, uploaded_by=actor)
        stored_names.append(stored.content.name)
        delivery = AccountDelivery.objects.create(
            kind=spec.kind,
            file=stored,
            sha256=stored.sha256,
            business_date=business_date_get(),
            received_by=actor,
            rows=tally.rows,
        )
        delivery.created, delivery.first_row, delivery.last_row = _insert(
            table, staging, spec.key, rows.fields, delivery.pk
        )
        delivery.duplicates = tally.valid - delivery.created
        delivery.save(update_fields=["created", "duplicates", "first_row", "last_row"])
        audit_record(
            actor=actor,
            action=AuditAction.SETTLEMENT_ACCOUNTS_IMPORT,
            subject=delivery,
            kind=spec.kind,
            sha256=delivery.sha256,
            rows=tally.rows,
            created=delivery.created,
            duplicates=delivery.duplicates,
        )
    return AccountImportResult(delivery.pk, tally.rows, delivery.created, delivery.duplicates)


def _reject(filename: str, errors: list[RowError], total: int) -> None:
    """Raised inside the transaction: the staged rows go with it, and nothing of the file is kept."""
    raise DomainError(
        ErrorCode.FILE_REJECTED,
        _("%(file)s is refused and nothing of it is imported: %(count)s rows or cells are at fault.")
        % {"file": filename, "count": total},
        status=400,
        errors=errors,
        errors_total=total,
    )


def _staging_fill(table: str, rows: ProviderRows, tally: _Tally) -> str:
    """Copy the good rows, slice by slice, into a temporary table with their row numbers; count the rest.

    Once a cell is refused the file is refused: later slices are still checked (every error is listed)
    but no longer copied.
    """
    staging = f"{table}_staging"
    fields = ", ".join(rows.fields)
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS pg_temp.{staging}")
        cursor.execute(
            f"CREATE TEMPORARY TABLE {staging} ON COMMIT DROP AS "
            f"SELECT 0::integer AS source_row, {fields} FROM {table} WITH NO DATA"
        )
    copy = f"COPY pg_temp.{staging} (source_row, {fields}) FROM STDIN"
    raw = connection.connection
    for chunk in rows:
        tally.rows += chunk.rows_total
        tally.valid += len(chunk)
        tally.errors.extend(chunk.errors[: importers.MAX_ERRORS_LISTED - len(tally.errors)])
        tally.errors_total += chunk.errors_total
        if tally.errors_total or not len(chunk):
            continue
        with raw.cursor() as cursor:
            cursor.copy_expert(copy, io.BytesIO(chunk.copy_text(row_numbers=True)), size=COPY_BLOCK_BYTES)
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE pg_temp.{staging}")
    return f"pg_temp.{staging}"


def _conflicts(table: str, staging: str, key: tuple[str, ...], fields: tuple[str, ...]) -> list[RowError]:
    """Rows whose key is stored, or earlier in the file, with other content: the first of them, in row order."""
    keys = ", ".join(key)
    joined = " AND ".join(f"o.{name} = s.{name}" for name in key)
    content = [name for name in fields if name not in key]
    differs = f"({', '.join(f'o.{n}' for n in content)}) IS DISTINCT FROM ({', '.join(f's.{n}' for n in content)})"
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE INDEX ON {staging} ({keys}, source_row)")
        cursor.execute(
            f"SELECT s.source_row FROM {staging} s WHERE EXISTS (SELECT 1 FROM {table} o WHERE {joined} AND {differs}) "
            f"OR EXISTS (SELECT 1 FROM {staging} o WHERE {joined} AND o.source_row < s.source_row AND {differs}) "
            "ORDER BY s.source_row LIMIT %s",
            [importers.MAX_ERRORS_LISTED],
        )
        found = [row for (row,) in cursor.fetchall()]
    detail = _("This key is already stored, or earlier in the file, with other content.")
    return [{"row": row, "column": key[0], "code": ErrorCode.CONFLICTING_DUPLICATE, "detail": detail} for row in found]


def _insert(
    table: str, staging: str, key: tuple[str, ...], fields: tuple[str, ...], delivery_id: int
) -> tuple[int, int | None, int | None]:
    """The first row of each new key (a key stored already, or repeated in the file, is a duplicate): how many,
    and the first and last ids they got."""
    keys = ", ".join(key)
    columns = ", ".join(fields)
    joined = " AND ".join(f"o.{name} = s.{name}" for name in key)
    with connection.cursor() as cursor:
        cursor.execute(
            f"WITH created AS (INSERT INTO {table} (delivery_id, {columns}) "
            f"SELECT DISTINCT ON ({keys}) %s, {columns} FROM {staging} s "
            f"WHERE NOT EXISTS (SELECT 1 FROM {table} o WHERE {joined}) ORDER BY {keys}, source_row RETURNING id) "
            "SELECT count(*), min(id), max(id) FROM created",
            [delivery_id],
        )
        count, first, last = cursor.fetchone()
        return int(count), first, last


# --- the anchor's own settlement accounts ----------------------------------------------------------


def anchor_account_add(*, anchor: Anchor, account_no: str, bank_name: str = "", actor: User) -> AnchorSettlementAccount:
    """Record an account of the anchor's: money a borrower pays into it is not diverted."""
    require_role(actor, *ACCOUNT_ROLES)
    number = "".join(account_no.split()).replace("-", "")
    if not account_importers.ACCOUNT_NUMBER.fullmatch(number):
        raise DomainError(ErrorCode.INVALID_ACCOUNT_NUMBER, _("An account number has 6 to 32 digits."))
    with transaction.atomic():
        in_use = AnchorSettlementAccount.objects.select_for_update().filter(account_no=number, removed_on=None)
        known = in_use.first()
        if known is not None:
            if known.anchor_id == anchor.pk:
                return known
            raise DomainError(ErrorCode.CONFLICT, _("This account is recorded as another anchor's."), status=409)
        account = AnchorSettlementAccount.objects.create(
            anchor=anchor,
            account_no=number,
            bank_name=bank_name.strip()[:100],
            added_on=business_date_get(),
            added_by=actor,
        )
        audit_record(actor=actor, action=AuditAction.ANCHOR_ACCOUNT_ADD, subject=account, anchor=anchor.pk)
    return account


def anchor_account_remove(*, account: AnchorSettlementAccount, actor: User) -> AnchorSettlementAccount:
    """The anchor no longer uses the account: from the business date on, money paid into it counts as diverted."""
    require_role(actor, *ACCOUNT_ROLES)
    with transaction.atomic():
        account = AnchorSettlementAccount.objects.select_for_update().get(pk=account.pk)
        if account.removed_on is None:
            account.removed_on, account.removed_by = business_date_get(), actor
            account.save(update_fields=["removed_on", "removed_by"])
            audit_record(
                actor=actor, action=AuditAction.ANCHOR_ACCOUNT_REMOVE, subject=account, anchor=account.anchor_id
            )
    return account
