"""Screening (准入筛查) of a batch's rows before their limits: the provider's adverse events and the score.

A row is ``refused`` by a ``dishonest``, ``enforcement`` or ``credit_overdue`` event on the farmer within the
programme's look-back, or by a score below the programme's ``min_score``; it goes to ``review`` on a
``multi_lender`` event whose value (the number of lenders) reaches ``multi_lender_review_count``; otherwise it
has ``passed``. Refusal wins over review, and every reason found is kept, in a fixed order.

The events are read set-based, one query per chunk of rows, joined on the events' index
(subject_hash, event_type, event_date) like the cross-validation joins the trade records; the rule itself
(``row_screen``) is a pure function of a row's score and the events found for it.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import cached_property, lru_cache
from typing import Any

from django.db import connection
from django.utils.translation import gettext_lazy

from origination.models import BatchRow
from risk.models import EventType, MonitoringEvent

Screening = BatchRow.Screening

# The events that refuse a farmer, in the order their reasons are listed.
ADVERSE_EVENTS: tuple[str, ...] = (EventType.DISHONEST, EventType.ENFORCEMENT, EventType.CREDIT_OVERDUE)
LOW_SCORE = "low_score"
MULTI_LENDER = str(EventType.MULTI_LENDER)
# Every reason a row can carry, in the order a row lists them: what refuses first, then what sends to review.
REASONS: tuple[str, ...] = (*ADVERSE_EVENTS, LOW_SCORE, MULTI_LENDER)


@dataclass(frozen=True)
class EventHit:
    """The latest event of one type that counts against a row (its evidence)."""

    event_type: str
    event_id: str
    event_date: dt.date
    value: Decimal | None


@dataclass(frozen=True)
class RowScreening:
    outcome: str  # a BatchRow.Screening value
    reasons: tuple[str, ...]
    evidence: tuple[dict[str, Any], ...]

    @cached_property
    def reasons_array(self) -> str:
        """The reasons as a PostgreSQL array literal (our own codes: nothing to quote)."""
        return "{" + ",".join(self.reasons) + "}"

    @cached_property
    def evidence_json(self) -> str:
        return json.dumps(list(self.evidence), ensure_ascii=False)


def screening_window(day: dt.date, lookback_days: int) -> tuple[dt.date, dt.date]:
    """The ``lookback_days`` days ending on ``day`` (both ends included): an event dated later is not counted."""
    return day - dt.timedelta(days=lookback_days - 1), day


def row_screen(*, score: Decimal, min_score: Decimal, hits: Iterable[EventHit]) -> RowScreening:
    """The outcome of one row from its score and the events found for it (already inside the window and,
    for ``multi_lender``, at or above the review count)."""
    by_type = {hit.event_type: hit for hit in hits}
    if not by_type:
        return _without_events(score, min_score)
    return _screened(score, min_score, by_type)


@lru_cache(maxsize=4096)
def _without_events(score: Decimal, min_score: Decimal) -> RowScreening:
    """Most rows have no event: one outcome per score, built (and written as text) once."""
    return _screened(score, min_score, {})


def _screened(score: Decimal, min_score: Decimal, by_type: dict[str, EventHit]) -> RowScreening:
    reasons: list[str] = []
    evidence: list[dict[str, Any]] = []
    for reason in REASONS:
        if reason == LOW_SCORE:
            if score < min_score:
                reasons.append(reason)
                evidence.append({"reason": reason, "score": f"{score:.2f}", "min_score": f"{min_score:.2f}"})
            continue
        hit = by_type.get(reason)
        if hit is not None:
            reasons.append(reason)
            evidence.append(
                {
                    "reason": reason,
                    "event_id": hit.event_id,
                    "event_type": hit.event_type,
                    "event_date": hit.event_date.isoformat(),
                    "value": None if hit.value is None else f"{hit.value}",
                }
            )
    if any(reason != MULTI_LENDER for reason in reasons):
        outcome = Screening.REFUSED
    elif reasons:
        outcome = Screening.REVIEW
    else:
        outcome = Screening.PASSED
    return RowScreening(str(outcome), tuple(reasons), tuple(evidence))


# One statement per chunk: for each row of the chunk, the latest counting event of each type, joined on the
# subject's hash, which leads the events' (subject_hash, event_type, event_date) index (for a chunk of
# 20,000 rows and a million events PostgreSQL rather hashes the window's events once). Events on an
# enterprise that happen to share the hash, events outside the window and multi-lender events below the
# count are left out.
_EVENTS_SQL = """
SELECT DISTINCT ON (r.id, e.event_type) r.id, e.event_type, e.event_id, e.event_date, e.value
FROM {row_table} r
JOIN {event_table} e
  ON e.subject_hash = r.id_hash
 AND e.event_type IN ({types})
 AND e.event_date BETWEEN %(start)s AND %(end)s
 AND e.subject_kind = %(person)s
 AND (e.event_type <> %(multi_lender)s OR e.value >= %(review_count)s)
WHERE r.batch_id = %(batch)s AND r.id BETWEEN %(low)s AND %(high)s
ORDER BY r.id, e.event_type, e.event_date DESC, e.id DESC
"""


def chunk_event_hits(
    *, batch_id: int, first_row_id: int, last_row_id: int, window: tuple[dt.date, dt.date], review_count: int
) -> dict[int, list[EventHit]]:
    """The counting events of the rows of a batch with ids in [first_row_id, last_row_id], by row id."""
    counted = (*ADVERSE_EVENTS, MULTI_LENDER)
    sql = _EVENTS_SQL.format(
        row_table=BatchRow._meta.db_table,
        event_table=MonitoringEvent._meta.db_table,
        types=", ".join(f"'{kind}'" for kind in counted),  # our own codes, not input
    )
    params: dict[str, Any] = {
        "start": window[0],
        "end": window[1],
        "person": MonitoringEvent.SubjectKind.PERSON.value,
        "multi_lender": MULTI_LENDER,
        "review_count": review_count,
        "batch": batch_id,
        "low": first_row_id,
        "high": last_row_id,
    }
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        found: Sequence[tuple[int, str, str, dt.date, Decimal | None]] = cursor.fetchall()
    hits: dict[int, list[EventHit]] = defaultdict(list)
    for row_id, event_type, event_id, event_date, value in found:
        hits[row_id].append(EventHit(event_type, event_id, event_date, value))
    return hits


# What each reason is called on the pages (the event types' own names, and the score's).
REASON_LABELS: dict[str, Any] = {
    str(EventType.DISHONEST): EventType.DISHONEST.label,
    str(EventType.ENFORCEMENT): EventType.ENFORCEMENT.label,
    str(EventType.CREDIT_OVERDUE): EventType.CREDIT_OVERDUE.label,
    LOW_SCORE: gettext_lazy("Score below the programme's minimum"),
    MULTI_LENDER: EventType.MULTI_LENDER.label,
}
