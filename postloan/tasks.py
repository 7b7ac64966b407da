from __future__ import annotations

import datetime as dt

from celery import group, shared_task

from postloan.cob import run_chunk


@shared_task(name="postloan.cob_chunk", acks_late=True)
def cob_chunk(day: str, step: str, chunk: int, first_id: int, last_id: int) -> int:
    return run_chunk(dt.date.fromisoformat(day), step, chunk, first_id, last_id)


def dispatch_to_workers(day: dt.date, step: str, chunks: list[tuple[int, int, int]]) -> None:
    """Spread a step's chunks over the Celery workers and wait for all of them (inline without a broker)."""
    if not chunks:
        return
    result = group(cob_chunk.si(day.isoformat(), step, *chunk) for chunk in chunks).apply_async()
    result.get(disable_sync_subtasks=False, propagate=True)
