"""Processing a batch (交叉验证 + 准入筛查 + 预授信额度): the provider's figures against the anchor's, the
screening, then the limit.

The work is split into chunks of rows (by id range) so that Celery workers
can share a large batch; each chunk is one aggregate query over the trade
records, one query over the monitoring events (``origination.screening``)
and one bulk update, and recomputes its rows from scratch, so a chunk (or
the whole batch) can be run again safely. The formula itself is
``risk.limits``: the one place the limit rule is written. A row the
screening refuses keeps its cross-validation but gets no limit (0.00, bound
by ``screening``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import connection, transaction
from django.db.models import Count, Max, Min
from django.utils.translation import gettext as _

from core.audit import AuditAction, audit_record
from core.bulk import copy_rows
from core.business_date import business_date_get
from core.error_codes import ErrorCode
from core.errors import DomainError
from core.money import ZERO
from core.permissions import require_role
from core.roles import Role
from origination.figures import limits_in_force_sql
from origination.models import Batch, BatchRow, CreditLimit
from origination.screening import RowScreening, chunk_event_hits, row_screen, screening_window
from origination.services.intake import batch_status_record
from partners.models import Program, User
from risk.limits import LimitResult, Validation, compute_limit, cross_validate, lookback_window
from risk.models import TradeRecord

CHUNK_ROWS = 20_000
PROCESSABLE = (Batch.Status.VALIDATED, Batch.Status.PROCESSED)


@dataclass(frozen=True)
class Chunk:
    batch_id: int
    first_row_id: int
    last_row_id: int


def batch_process_start(*, batch: Batch, actor: User) -> list[Chunk]:
    """Check the batch may be processed, fix the window and the trade snapshot, and cut it into chunks."""
    require_role(actor, Role.ACCOUNT_MANAGER, Role.RISK_APPROVER)
    with transaction.atomic():
        batch = Batch.objects.select_for_update().get(pk=batch.pk)
        if batch.status not in PROCESSABLE:
            raise DomainError(
                ErrorCode.INVALID_STATUS,
                _("A batch that is %(status)s cannot be processed.") % {"status": batch.get_status_display()},
            )
        batch.trade_snapshot_id = TradeRecord.objects.aggregate(last=Max("id"))["last"] or 0
        batch.rows_processed = 0
        batch.save(update_fields=["trade_snapshot_id", "rows_processed", "updated_at"])
    bounds = BatchRow.objects.filter(batch=batch).aggregate(low=Min("id"), high=Max("id"))
    if bounds["low"] is None:
        return []
    return [
        Chunk(batch.pk, low, min(low + CHUNK_ROWS - 1, bounds["high"]))
        for low in range(bounds["low"], bounds["high"] + 1, CHUNK_ROWS)
    ]


_TOTALS_SQL = """
SELECT r.id, r.declared_orders_12m, r.recommended_amount, r.score,
       COALESCE(SUM(t.amount), 0) AS verified, COUNT(t.id) AS trades,
       COALESCE((
           SELECT SUM(l.amount) FROM {limit_table} l JOIN {program_table} p ON p.id = l.program_id
           WHERE l.farmer_id = r.farmer_id AND p.anchor_id = %(anchor)s AND {limits_in_force}
             AND l.id IS DISTINCT FROM r.renews_id  -- a renewal replaces the limit it renews
       ), 0) AS granted
FROM {row_table} r
LEFT JOIN {trade_table} t
       ON t.anchor_id = %(anchor)s AND t.id_hash = r.id_hash
      AND t.order_date BETWEEN %(start)s AND %(end)s AND t.id <= %(snapshot)s
WHERE r.batch_id = %(batch)s AND r.id BETWEEN %(low)s AND %(high)s
GROUP BY r.id, r.declared_orders_12m, r.recommended_amount, r.score, r.farmer_id, r.renews_id
"""


def batch_chunk_process(chunk: Chunk, *, screening: bool = True) -> int:
    """Cross-validate, screen and compute the limits of one chunk of rows; returns how many rows it did.

    ``screening=False`` leaves the screening out (the rows' outcome stays empty): only the benchmark's
    baseline uses it, to time processing as it was without screening.
    """
    batch = Batch.objects.select_related("program").get(pk=chunk.batch_id)
    program: Program = batch.program
    today = business_date_get()
    start, end = lookback_window(batch.submitted_on, program.lookback_months)
    sql = _TOTALS_SQL.format(
        limit_table=CreditLimit._meta.db_table,
        program_table=Program._meta.db_table,
        row_table=BatchRow._meta.db_table,
        trade_table=TradeRecord._meta.db_table,
        limits_in_force=limits_in_force_sql("l", "%(today)s"),
    )
    params: dict[str, Any] = {
        "anchor": program.anchor_id,
        "today": today,
        "start": start,
        "end": end,
        "snapshot": batch.trade_snapshot_id or 0,
        "batch": batch.pk,
        "low": chunk.first_row_id,
        "high": chunk.last_row_id,
    }
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        totals = cursor.fetchall()
    hits = (
        chunk_event_hits(
            batch_id=batch.pk,
            first_row_id=chunk.first_row_id,
            last_row_id=chunk.last_row_id,
            window=screening_window(today, program.screening_lookback_days),
            review_count=program.multi_lender_review_count,
        )
        if screening
        else None
    )
    results = []
    for row in totals:
        screened = (
            None if hits is None else row_screen(score=row[3], min_score=program.min_score, hits=hits.get(row[0], ()))
        )
        results.append(_row_result(program, row, screened))
    with transaction.atomic():
        _rows_update(results, start, end)
        Batch.objects.filter(pk=batch.pk).update(rows_processed=_processed_count(batch.pk))
    return len(results)


def _row_result(program: Program, row: Sequence[Any], screened: RowScreening | None) -> tuple[Any, ...]:
    row_id, declared, recommended, _score, verified, trades, granted = row
    verified, declared, recommended, granted = (Decimal(v) for v in (verified, declared, recommended, granted))
    validation = cross_validate(
        declared=declared, verified=verified, trade_count=int(trades), tolerance=program.mismatch_tolerance
    )
    limit: LimitResult = compute_limit(
        validation=validation,
        recommended=recommended,
        verified_orders=verified,
        order_ratio=program.order_ratio,
        per_farmer_cap=program.per_farmer_cap,
        granted_elsewhere=granted,
    )
    amount, bound_by = limit.amount, str(limit.bound_by)
    if screened is None:
        outcome, reasons, evidence = "", "{}", "[]"
    else:
        outcome, reasons, evidence = screened.outcome, screened.reasons_array, screened.evidence_json
        if outcome == BatchRow.Screening.REFUSED:
            amount, bound_by = ZERO, str(BatchRow.BoundBy.SCREENING)
    return (row_id, str(validation), verified, int(trades), granted, amount, bound_by, outcome, reasons, evidence)


_PROCESSED_COLUMNS = (
    "id",
    "validation",
    "verified",
    "trades",
    "granted",
    "computed",
    "bound_by",
    "screening",
    "reasons",
    "evidence",
)


def _rows_update(results: list[tuple[Any, ...]], start: dt.date, end: dt.date) -> None:
    if not results:
        return
    table = BatchRow._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMP TABLE processed_rows (id bigint, validation varchar(16), "
            "verified numeric(18,2), trades integer, granted numeric(18,2), computed numeric(18,2), "
            "bound_by varchar(16), screening varchar(8), reasons varchar(16)[], evidence jsonb) ON COMMIT DROP"
        )
        copy_rows("processed_rows", _PROCESSED_COLUMNS, results)
        cursor.execute(
            f"UPDATE {table} r SET validation = p.validation, verified_orders_12m = p.verified, "
            "trade_count = p.trades, granted_elsewhere = p.granted, computed_limit = p.computed, "
            "bound_by = p.bound_by, window_start = %s, window_end = %s, "
            "screening = p.screening, screening_reasons = p.reasons, screening_evidence = p.evidence, "
            "decision = 'pending', decided_amount = NULL, decision_reason = '', decided_by_id = NULL "
            "FROM processed_rows p WHERE r.id = p.id",
            [start, end],
        )
        cursor.execute("DROP TABLE processed_rows")


def _processed_count(batch_id: int) -> int:
    return BatchRow.objects.filter(batch_id=batch_id).exclude(validation="").count()


@transaction.atomic
def batch_process_finish(*, batch_id: int, actor: User) -> Batch:
    batch = Batch.objects.select_for_update().get(pk=batch_id)
    unprocessed = BatchRow.objects.filter(batch=batch, validation="").count()
    if unprocessed:
        raise DomainError(
            ErrorCode.PROCESSING_INCOMPLETE, _("%(count)s rows are not processed yet.") % {"count": unprocessed}
        )
    if batch.status != Batch.Status.PROCESSED:
        batch_status_record(batch=batch, to_status=Batch.Status.PROCESSED, actor=actor)
    batch.processed_on = business_date_get()
    batch.rows_processed = batch.rows_valid
    batch.save(update_fields=["status", "processed_on", "rows_processed", "updated_at"])
    counts = {str(v): BatchRow.objects.filter(batch=batch, validation=v).count() for v in Validation}
    screened = dict(
        BatchRow.objects.filter(batch=batch).exclude(screening="").values_list("screening").annotate(n=Count("id"))
    )
    screening = {str(value): screened.get(value, 0) for value in BatchRow.Screening.values}
    audit_record(
        actor=actor,
        action=AuditAction.BATCH_PROCESS,
        subject=batch,
        snapshot=batch.trade_snapshot_id,
        screening=screening,
        **counts,
    )
    return batch
