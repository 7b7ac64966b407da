"""Deliveries of the data provider: trade records (三方交易数据) and monitoring events (三方监测数据).

A delivery comes as a file uploaded by a member of staff or as a signed API
push. Both are kept byte for byte, recorded as one ``ProviderDelivery`` and
written by the same set-based insert (``_rows_insert``) on PostgreSQL:
``COPY`` into a staging table, then one ``INSERT … SELECT … ON CONFLICT DO
NOTHING`` (or, for an anchor's very first delivery, ``COPY`` straight into
the table). The natural keys (order number per anchor, event number per
provider) make a re-delivery change nothing: a row already known with the
same content is counted as a duplicate, as is a key repeated in the delivery
itself (the first occurrence is the delivery's record, whatever the later
ones hold). A row whose key is known with other content (``risk.conflicts``)
is a conflict: not stored, counted, kept as a ``ProviderConflict`` with both
versions and listed in ``errors`` as ``conflicting_duplicate``; one more
set-based statement per slice finds them before the insert. Everything
happens in one transaction: a delivery is written whole or not at all.
"""

from __future__ import annotations

import heapq
import io
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from typing import IO, Any, TypeVar

from django.core.files.storage import default_storage
from django.db import connection, models, transaction
from django.utils.translation import gettext as _

from core.audit import AuditAction, audit_record
from core.business_date import business_date_get
from core.error_codes import ErrorCode
from core.errors import DomainError
from core.files import stored_file_create
from core.identifiers import InvalidValue, validate_uscc
from core.json_input import MAX_JSON_DEPTH, JsonTooDeep, json_loads_bounded
from core.models import StoredFile
from core.permissions import require_role
from core.roles import Role
from core.tabular import TableError
from core.uploads import refuse_oversized
from partners.models import Anchor, User
from risk import importers
from risk.conflicts import ConflictKind, conflict_errors, conflict_kind, json_of
from risk.importers import ProviderRows, RowsChunk
from risk.models import DataProvider, MonitoringEvent, ProviderConflict, ProviderDelivery, TradeRecord
from risk.services.providers import provider_default, provider_verify_request

Frame = TypeVar("Frame")
IMPORT_ROLES = (Role.ACCOUNT_MANAGER, Role.RISK_APPROVER, Role.ADMINISTRATOR)
COPY_BLOCK_BYTES = 1 << 20


@dataclass(frozen=True)
class DeliveryResult:
    """What became of a delivery. ``errors`` lists the refused cells and the conflicts in row order (at
    most ``importers.MAX_ERRORS_LISTED`` items); ``errors_total`` counts the refused cells, ``conflicts``
    the conflicts."""

    created: int
    duplicates: int
    errors: list[importers.RowError]
    delivery_id: int
    errors_total: int = 0
    conflicts: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "created": self.created,
            "duplicates": self.duplicates,
            "conflicts": self.conflicts,
            "errors": self.errors,
            "errors_total": self.errors_total,
            "delivery": self.delivery_id,
        }


# --- files -----------------------------------------------------------------------------


def trade_records_import(
    *,
    anchor: Anchor,
    content: bytes | IO[bytes],
    filename: str,
    actor: User | None = None,
    provider: DataProvider | None = None,
    channel: str = ProviderDelivery.Channel.FILE,
) -> DeliveryResult:
    """Import a provider's trade file for an anchor; bad rows are reported, good rows go on.

    ``content`` is the file's bytes or, better, the open file (binary, seekable: an uploaded file),
    which is then kept and read a chunk at a time, never whole into memory.
    """
    _require_importer(actor)
    refuse_oversized(content, filename, importers.provider_max_bytes())
    rows = _read(importers.read_trade_file, content, filename)
    with _atomic_keeping_no_orphan_file() as stored_names:
        return _trades_write(
            anchor=anchor,
            rows=rows,
            content=content,
            filename=filename,
            actor=actor,
            provider=provider or provider_default(),
            channel=channel,
            stored_names=stored_names,
        )


def monitoring_events_import(
    *,
    content: bytes | IO[bytes],
    filename: str,
    actor: User | None = None,
    provider: DataProvider | None = None,
    channel: str = ProviderDelivery.Channel.FILE,
) -> DeliveryResult:
    """Import a provider's monitoring-event file; bad rows are reported, good rows go on.

    ``content`` as for ``trade_records_import``.
    """
    _require_importer(actor)
    refuse_oversized(content, filename, importers.provider_max_bytes())
    rows = _read(importers.read_event_file, content, filename)
    with _atomic_keeping_no_orphan_file() as stored_names:
        return _events_write(
            rows=rows,
            content=content,
            filename=filename,
            actor=actor,
            provider=provider or provider_default(),
            channel=channel,
            stored_names=stored_names,
        )


# --- signed API pushes ------------------------------------------------------------------


def trade_records_push(
    *, provider_code: str, timestamp: str, signature: str, body: bytes, now: float
) -> DeliveryResult:
    """``{"anchor_uscc", "records": [{id_number, order_no, order_date, amount}]}`` signed by a provider."""
    with _atomic_keeping_no_orphan_file() as stored_names:
        provider = provider_verify_request(
            provider_code=provider_code, timestamp=timestamp, signature=signature, body=body, now=now
        )
        payload = _json_object(body)
        anchor = _anchor_by_uscc(payload.get("anchor_uscc"))
        rows = importers.trade_rows_from_records(_json_list(payload, "records"), today=business_date_get())
        return _trades_write(
            anchor=anchor,
            rows=rows,
            content=body,
            filename=f"trade-records-{provider.code}.json",
            actor=None,
            provider=provider,
            channel=ProviderDelivery.Channel.API,
            stored_names=stored_names,
        )


def monitoring_events_push(
    *, provider_code: str, timestamp: str, signature: str, body: bytes, now: float
) -> DeliveryResult:
    """``{"events": [{subject_id, event_type, event_date, value, detail, event_id}]}``, signed."""
    with _atomic_keeping_no_orphan_file() as stored_names:
        provider = provider_verify_request(
            provider_code=provider_code, timestamp=timestamp, signature=signature, body=body, now=now
        )
        payload = _json_object(body)
        rows = importers.event_rows_from_records(_json_list(payload, "events"), today=business_date_get())
        return _events_write(
            rows=rows,
            content=body,
            filename=f"monitoring-events-{provider.code}.json",
            actor=None,
            provider=provider,
            channel=ProviderDelivery.Channel.API,
            stored_names=stored_names,
        )


# --- writing -----------------------------------------------------------------------------


@dataclass
class _Tally:
    """What became of a delivery's rows, added up slice by slice."""

    rows_total: int = 0
    valid: int = 0  # good rows, repeats included
    created: int = 0
    conflicts: int = 0
    errors: list[importers.RowError] = field(default_factory=list)
    errors_total: int = 0

    def add(self, chunk: RowsChunk) -> None:
        self.rows_total += chunk.rows_total
        self.valid += len(chunk) + chunk.repeated
        self.errors.extend(chunk.errors[: importers.MAX_ERRORS_LISTED - len(self.errors)])
        self.errors_total += chunk.errors_total

    @property
    def duplicates(self) -> int:
        return self.valid - self.created - self.conflicts


def _trades_write(
    *,
    anchor: Anchor,
    rows: ProviderRows,
    content: bytes | IO[bytes],
    filename: str,
    actor: User | None,
    provider: DataProvider,
    channel: str,
    stored_names: list[str],
) -> DeliveryResult:
    delivery = _delivery_open(
        kind=ProviderDelivery.Kind.TRADES,
        content=content,
        filename=filename,
        actor=actor,
        provider=provider,
        channel=channel,
        anchor=anchor,
        stored_names=stored_names,
    )
    tally = _rows_insert(
        model=TradeRecord,
        rows=rows,
        constants={"anchor_id": anchor.pk, "delivery_id": delivery.pk},
        conflict=("anchor_id", "order_no"),
        compare=conflict_kind(delivery.kind),
    )
    return _delivery_close(
        delivery, tally=tally, filename=filename, actor=actor, action=AuditAction.TRADE_RECORDS_IMPORT
    )


def _events_write(
    *,
    rows: ProviderRows,
    content: bytes | IO[bytes],
    filename: str,
    actor: User | None,
    provider: DataProvider,
    channel: str,
    stored_names: list[str],
) -> DeliveryResult:
    delivery = _delivery_open(
        kind=ProviderDelivery.Kind.EVENTS,
        content=content,
        filename=filename,
        actor=actor,
        provider=provider,
        channel=channel,
        anchor=None,
        stored_names=stored_names,
    )
    tally = _rows_insert(
        model=MonitoringEvent,
        rows=rows,
        constants={"provider_id": provider.pk, "delivery_id": delivery.pk},
        conflict=("provider_id", "event_id"),
        compare=conflict_kind(delivery.kind),
    )
    return _delivery_close(
        delivery, tally=tally, filename=filename, actor=actor, action=AuditAction.MONITORING_EVENTS_IMPORT
    )


def _delivery_open(
    *,
    kind: str,
    content: bytes | IO[bytes],
    filename: str,
    actor: User | None,
    provider: DataProvider,
    channel: str,
    anchor: Anchor | None,
    stored_names: list[str],
) -> ProviderDelivery:
    content_type = "application/json" if channel == ProviderDelivery.Channel.API else ""
    stored = stored_file_create(content=content, name=filename, content_type=content_type, uploaded_by=actor)
    stored_names.append(stored.content.name)
    return ProviderDelivery.objects.create(
        provider=provider,
        kind=kind,
        channel=channel,
        anchor=anchor,
        file=stored,
        sha256=stored.sha256,
        business_date=business_date_get(),
        received_by=actor,
    )


def _delivery_close(
    delivery: ProviderDelivery, *, tally: _Tally, filename: str, actor: User | None, action: AuditAction
) -> DeliveryResult:
    if not tally.valid:
        # Raised inside the transaction: the delivery and its file go with it.
        raise DomainError(
            ErrorCode.NO_VALID_ROWS,
            _("%(file)s has no row that can be imported.") % {"file": filename},
            errors=tally.errors,
            errors_total=tally.errors_total,
        )
    delivery.created = tally.created
    delivery.duplicates = tally.duplicates
    delivery.conflicts = tally.conflicts
    delivery.errors = tally.errors_total
    delivery.save(update_fields=["created", "duplicates", "conflicts", "errors"])
    audit_record(
        actor=actor,
        action=action,
        subject=delivery,
        provider=delivery.provider_id,
        anchor=delivery.anchor_id,
        channel=delivery.channel,
        sha256=delivery.sha256,
        rows=tally.rows_total,
        created=delivery.created,
        duplicates=delivery.duplicates,
        conflicts=delivery.conflicts,
        errors=delivery.errors,
    )
    return DeliveryResult(
        created=delivery.created,
        duplicates=delivery.duplicates,
        errors=_errors_listed(delivery, tally),
        delivery_id=delivery.pk,
        errors_total=tally.errors_total,
        conflicts=delivery.conflicts,
    )


def _errors_listed(delivery: ProviderDelivery, tally: _Tally) -> list[importers.RowError]:
    """The refused cells and the conflicts, merged in row order, the first ``MAX_ERRORS_LISTED`` of them.

    Both lists are in row order already and a row is either refused or in conflict, never both.
    """
    if not tally.conflicts:
        return tally.errors
    limit = importers.MAX_ERRORS_LISTED
    conflicts = conflict_errors(delivery, limit=limit)
    return list(heapq.merge(tally.errors, conflicts, key=lambda error: error["row"]))[:limit]


def _rows_insert(
    *,
    model: type[models.Model],
    rows: ProviderRows,
    constants: dict[str, int],
    conflict: tuple[str, ...],
    compare: ConflictKind,
) -> _Tally:
    """Insert the rows whose key is new; count what became of every row. One way for every delivery."""
    tally = _Tally()
    _rows_copy_insert(model=model, rows=rows, constants=constants, conflict=conflict, compare=compare, tally=tally)
    return tally


def _rows_copy_insert(
    *,
    model: type[models.Model],
    rows: ProviderRows,
    constants: dict[str, int],
    conflict: tuple[str, ...],
    compare: ConflictKind,
    tally: _Tally,
) -> None:
    """PostgreSQL: COPY, a slice at a time, while the next slice is being read and checked.

    Deliveries for the same anchor (events: provider) take turns, under a
    transaction-scoped advisory lock. The first slice of an anchor's first
    delivery cannot meet a known key, and its own repeats are already left
    out, so its rows are copied straight into the table; the later slices of
    that delivery go through a staging table and ``INSERT … ON CONFLICT DO
    NOTHING``, where a key of an earlier slice is a repeat (a duplicate). Any
    later delivery goes through the staging table and one statement per slice
    (``_staged_rows_write_sql``) that inserts the rows whose key is new and
    keeps those whose key is stored with other content as conflicts; a key
    of an earlier slice of the delivery is a repeat, and the rest are
    duplicates. So the keys of a whole delivery are
    held by the database, never in memory. (Straight COPY needs a quarter
    less database time: 2.4 million rows in under a minute.)

    The writer thread only drives this transaction's connection (psycopg2
    lets go of the GIL while it waits) and at most one slice is in flight.
    """
    table = model._meta.db_table
    scope, scope_id = conflict[0], constants[conflict[0]]
    fields = ", ".join(rows.fields)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [f"{table}.{scope}={scope_id}"])
        cursor.execute(f"SELECT EXISTS (SELECT 1 FROM {table} WHERE {scope} = %s)", [scope_id])
        first_delivery = not cursor.fetchone()[0]
    staging = f"pg_temp.{table}_staging"
    noted = f"pg_temp.{table}_found_keys"
    direct = f"COPY {table} ({', '.join(constants)}, {fields}) FROM STDIN"
    staged = f"COPY {staging} (source_row, {fields}) FROM STDIN"
    leading = ", ".join(str(int(value)) for value in constants.values())
    if first_delivery:
        write_staged = (
            f"INSERT INTO {table} ({', '.join(constants)}, {fields}) SELECT {leading}, {fields} FROM {staging} "
            f"ON CONFLICT ({', '.join(conflict)}) DO NOTHING"
        )
    else:
        write_staged = _staged_rows_write_sql(
            table=table,
            staging=staging,
            noted=noted,
            fields=fields,
            constants=constants,
            conflict=conflict,
            compare=compare,
        )
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {staging}")
        # The table's column types without its constraints and indexes, and the rows' numbers.
        cursor.execute(
            f"CREATE TEMPORARY TABLE {table}_staging ON COMMIT DROP AS "
            f"SELECT 0::integer AS source_row, {fields} FROM {table} WITH NO DATA"
        )
        if not first_delivery:
            cursor.execute(f"DROP TABLE IF EXISTS {noted}")
            cursor.execute(f"CREATE TEMPORARY TABLE {table}_found_keys (key text PRIMARY KEY) ON COMMIT DROP")
    raw = connection.connection  # the DB-API connection that holds this transaction

    def write(text: bytes, count: int, straight: bool) -> tuple[int, int]:
        """(rows created, conflicts) of one slice."""
        with raw.cursor() as cursor:
            if straight:
                cursor.copy_expert(direct, io.BytesIO(text), size=COPY_BLOCK_BYTES)
                return count, 0
            cursor.copy_expert(staged, io.BytesIO(text), size=COPY_BLOCK_BYTES)
            cursor.execute(write_staged)
            if first_delivery:
                created, conflicts = cursor.rowcount, 0
            else:
                created, conflicts = cursor.fetchone()
            cursor.execute(f"TRUNCATE {staging}")
            return int(created), int(conflicts)

    def settle(done: Future[tuple[int, int]]) -> None:
        created, conflicts = done.result()
        tally.created += created
        tally.conflicts += conflicts

    with _jit_off(), ThreadPoolExecutor(max_workers=1, thread_name_prefix="risk-copy") as writer:
        pending: Future[tuple[int, int]] | None = None
        for index, chunk in enumerate(rows):  # reading and checking happen here, in this thread
            tally.add(chunk)
            straight = first_delivery and index == 0
            text = chunk.copy_text(leading=tuple(constants.values()) if straight else (), row_numbers=not straight)
            if pending is not None:
                settle(pending)
            pending = writer.submit(write, text, len(chunk), straight) if text else None
            del chunk, text  # not kept alive while the next slice is read and checked
        if pending is not None:
            settle(pending)


@contextmanager
def _jit_off() -> Iterator[None]:
    """PostgreSQL's JIT off while the slices are written, then as it was for the rest of the transaction.

    Compiling the per-slice statements (a tenth of a second or more each) costs more than it saves:
    their time goes to one index probe per row, which JIT does not speed up. On an error nothing is
    set back: the rollback (of the transaction or of its savepoint) undoes the setting itself.
    """
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('jit'), set_config('jit', 'off', true)")
        previous = cursor.fetchone()[0]
    yield
    with connection.cursor() as cursor:
        cursor.execute("SELECT set_config('jit', %s, true)", [previous])


def _staged_rows_write_sql(
    *,
    table: str,
    staging: str,
    noted: str,
    fields: str,
    constants: dict[str, int],
    conflict: tuple[str, ...],
    compare: ConflictKind,
) -> str:
    """One statement for a staged slice: insert the rows whose key is new, keep those in conflict.

    Each staged row looks its key up once (``probed``): no stored row, it is inserted; a stored row
    with other content, it becomes a ``ProviderConflict`` with both versions; else it is a duplicate
    and nothing is written. Every part of the statement sees the rows stored before it, never the
    ones it inserts, and the slice's keys are distinct (repeats were left out), so no new row is
    compared with itself. The lookup is a LATERAL subquery with LIMIT 1 (the key is unique, so the
    limit changes nothing) to keep the plan one probe of the unique index per staged row: a hash
    join would read every stored row of the anchor for each slice. ``probed`` carries the stored
    version only when it differs, to stay narrow. ON CONFLICT DO NOTHING stays as the insert's
    guard; deliveries of one scope take turns under the advisory lock.

    A key that came in an earlier slice of this delivery is a repeat, whatever it holds: found
    stored by this very delivery, or found stored by another one and then kept in ``noted`` (a
    temporary table of the keys of the delivery's earlier slices that were found stored; a key of
    this slice is noted by the same statement, which does not see it yet).
    """
    scope, key = conflict
    scope_id = int(constants[scope])
    compared = compare.compared
    differs = (
        f"({', '.join(f'stored.{name}' for name in compared)}) IS DISTINCT FROM "
        f"({', '.join(f'staged.{name}' for name in compared)})"
    )
    leading = ", ".join(str(int(value)) for value in constants.values())
    delivery = int(constants["delivery_id"])
    return (
        f"WITH probed AS MATERIALIZED ("
        f"SELECT staged.*, stored.found, CASE WHEN stored.delivery_id <> {delivery} AND {differs} "
        f"THEN {json_of(compare, 'stored')} END AS stored_json "
        f"FROM {staging} AS staged LEFT JOIN LATERAL ("
        f"SELECT true AS found, delivery_id, {', '.join(compared)} FROM {table} AS known "
        f"WHERE known.{scope} = {scope_id} AND known.{key} = staged.{key} LIMIT 1"
        f") AS stored ON true), "
        f"inserted AS ("
        f"INSERT INTO {table} ({', '.join(constants)}, {fields}) "
        f"SELECT {leading}, {fields} FROM probed WHERE found IS NULL "
        f"ON CONFLICT ({', '.join(conflict)}) DO NOTHING RETURNING 1), "
        f"conflicting AS ("
        f'INSERT INTO {ProviderConflict._meta.db_table} (delivery_id, "row", "key", stored, received) '
        f"SELECT {delivery}, source_row, {key}, stored_json, {json_of(compare, 'probed')} "
        f"FROM probed WHERE found AND stored_json IS NOT NULL "
        f"AND NOT EXISTS (SELECT 1 FROM {noted} AS noted WHERE noted.key = probed.{key}) RETURNING 1), "
        f"noting AS (INSERT INTO {noted} (key) SELECT {key} FROM probed WHERE found ON CONFLICT DO NOTHING) "
        f"SELECT (SELECT count(*) FROM inserted), (SELECT count(*) FROM conflicting)"
    )


# --- helpers -------------------------------------------------------------------------------


def _require_importer(actor: User | None) -> None:
    """Files come from staff; ``None`` is the system itself (a signed push, the demo loader)."""
    if actor is not None:
        require_role(actor, *IMPORT_ROLES)


def _read(reader: Callable[..., ProviderRows], content: bytes | IO[bytes], filename: str) -> ProviderRows:
    """The delivery's rows, read as they are iterated: a table's refusal, now or later, is a 400."""
    try:
        rows = reader(content, filename, today=business_date_get())
    except TableError as exc:
        raise DomainError(exc.code, exc.detail, status=400) from None
    rows.frames = _table_refusals(rows.frames)
    return rows


def _table_refusals(frames: Iterable[Frame]) -> Iterator[Frame]:
    """What only the whole file shows (rows wider than the header, too many rows) is refused as the
    file is read: raised inside the delivery's transaction, it takes back the slices written before."""
    try:
        yield from frames
    except TableError as exc:
        raise DomainError(exc.code, exc.detail, status=400) from None


@contextmanager
def _atomic_keeping_no_orphan_file() -> Iterator[list[str]]:
    """One transaction; when it fails, a file it stored that no row uses is removed from storage too.

    ``stored_file_create`` writes to storage at once, which no rollback undoes.
    """
    stored_names: list[str] = []
    try:
        with transaction.atomic():
            yield stored_names
    except BaseException:
        for name in stored_names:
            if not StoredFile.objects.filter(content=name).exists():
                default_storage.delete(name)
        raise


def _json_object(body: bytes) -> dict[str, Any]:
    try:
        # Numbers keep the digits they were sent with: never a float.
        payload = json_loads_bounded(body, parse_float=Decimal)
    except JsonTooDeep:
        # Deep nesting would exhaust the stack here or in any code that walks the records.
        raise DomainError(
            ErrorCode.INVALID_JSON,
            _("The request body nests deeper than %(depth)s levels.") % {"depth": MAX_JSON_DEPTH},
        ) from None
    except (ValueError, UnicodeDecodeError):
        payload = None
    if not isinstance(payload, dict):
        raise DomainError(ErrorCode.INVALID_PAYLOAD, _("The request body must be a JSON object."))
    return payload


def _json_list(payload: dict[str, Any], key: str) -> list[Any]:
    value = payload.get(key)
    if not isinstance(value, list):
        raise DomainError(
            ErrorCode.INVALID_PAYLOAD, _("The request body must have a list named %(key)s.") % {"key": key}
        )
    return value


def _anchor_by_uscc(value: Any) -> Anchor:
    try:
        code = validate_uscc(value if isinstance(value, str) else "")
    except InvalidValue as exc:
        raise DomainError(ErrorCode.INVALID_USCC, exc.detail) from None
    anchor = Anchor.objects.filter(uscc=code).first()
    if anchor is None:
        raise DomainError(ErrorCode.UNKNOWN_ANCHOR, _("No anchor has this unified social credit code."), status=404)
    return anchor
