"""The close of business on Celery: the chunks of a stage spread over the workers, and the schedule's tasks.

The coordinator (the command, or the scheduled task in a worker) waits for a stage's chunks' results; when
none of the chunks' records moves for ``COB_STALL_SECONDS`` seconds (no worker is free: a single
worker process busy with the coordinator itself, or every worker gone) it runs the chunks still missing
itself; the chunk lock of ``run_chunk`` keeps a worker that takes the same chunk later from doing it twice.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import cast

from celery import group, shared_task
from celery.exceptions import TimeoutError as CeleryTimeoutError
from celery.result import GroupResult
from django.conf import settings
from django.utils import timezone

from core.error_codes import ErrorCode
from core.errors import DomainError
from postloan.close_schedule import close_due_day, close_due_days, close_resume, close_watch
from postloan.cob import Work, run_chunk
from postloan.models import DayClose, DayCloseStep

log = logging.getLogger(__name__)

# How long the wait for a stage's results first sleeps. Celery's Redis result backend, once subscribed to
# the results, reads them once, and when some are not ready yet sleeps this interval (0.5 s by default)
# before it listens: a stage sent to the workers ended up to half a second after its last chunk, which
# was a fifth of an ordinary day's close of a million loans (decision 32). After that first sleep the
# results arrive by publish/subscribe, not by polling.
RESULT_FIRST_WAIT_SECONDS = 0.01


@shared_task(name="postloan.cob_chunk", acks_late=True)
def cob_chunk(day: str, step: str, chunk: int, first_id: int, last_id: int) -> int:
    return run_chunk(dt.date.fromisoformat(day), step, chunk, first_id, last_id)


def dispatch_to_workers(day: dt.date, work: list[Work]) -> None:
    """Spread a stage's chunks over the Celery workers and wait for them (inline without a broker).

    The wait returns the moment the last chunk's result arrives, and raises the first chunk's error.
    Every ``COB_STALL_SECONDS`` without all results it looks at the chunks' records: some progress, and it
    waits again; none, and it runs the missing chunks itself.
    """
    if not work:
        return
    result = cast(GroupResult, group(cob_chunk.si(day.isoformat(), *item) for item in work).apply_async())
    wanted = {(name, chunk) for name, chunk, _first, _last in work}
    steps = {name for name, _chunk in wanted}
    recorded = -1
    while True:
        try:
            result.get(
                timeout=settings.COB_STALL_SECONDS,
                interval=RESULT_FIRST_WAIT_SECONDS,
                propagate=True,
                disable_sync_subtasks=False,
            )
            return
        except CeleryTimeoutError:
            pass
        done = set(DayCloseStep.objects.filter(day=day, step__in=steps).values_list("step", "chunk")) & wanted
        if len(done) == len(wanted):
            return  # done by the coordinator earlier, or redelivered: tasks still queued will find them recorded
        if len(done) > recorded:
            recorded = len(done)
            continue
        log.warning(
            "close of %s: %s stalled, %s chunks missing; running them here", day, sorted(steps), len(wanted - done)
        )
        for name, chunk, first_id, last_id in work:
            if (name, chunk) not in done:
                run_chunk(day, name, chunk, first_id, last_id)
        return


def _closes(trigger: str, resume: bool) -> list[str]:
    due = close_due_day(timezone.localtime())
    run = close_resume if resume else close_due_days
    try:
        closed = run(due, dispatch=dispatch_to_workers, trigger=trigger)
    except DomainError as exc:
        if exc.code != ErrorCode.CLOSE_RUNNING:
            raise
        log.info("close of business: another close holds the lock; nothing started")
        return []
    return [record.day.isoformat() for record in closed]


@shared_task(name="postloan.close_scheduled", acks_late=True)
def close_scheduled() -> list[str]:
    """Beat, at COB_TIME: close every business day up to and including today (days missed are caught up)."""
    return _closes(DayClose.Trigger.SCHEDULE, resume=False)


@shared_task(name="postloan.close_resume", acks_late=True)
def close_resume_task() -> list[str]:
    """The console's resume: finish the close that stopped, then whatever is due."""
    return _closes(DayClose.Trigger.CONSOLE, resume=True)


@shared_task(name="postloan.close_watch", ignore_result=True)
def close_watch_task() -> None:
    close_watch(timezone.localtime())
