"""The close of business (日终): the day's steps, in order, each chunk done exactly once.

Steps (``STEPS``, the whole close in one list): accrual, settlement (with
overdue and DPD), compensation, classification, limits (expiries, then the
freezes on the day's adverse events), the programme changes that take
effect on the next business date, breaker, then the
warning run, the lending figures, escalation and the dashboards' aggregates
of the next business date. A chunked step splits the active book by loan id
(or its own subjects: the warning step, its rules); each chunk runs in one
transaction together with the row that records it as done, so a run killed
at any moment loses at most the chunk in flight, and the next call skips
every recorded chunk and finishes the day. The business date moves only
when every step of the day is recorded.

A step marked ``alongside`` needs nothing of the step before it: the two (a
stage) go to the workers together and the close waits for both, so that a
step that would run alone on one core shares the time of a step spread
over the workers.
"""

from __future__ import annotations

import datetime as dt
import logging
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.db.models import Count, F, Max, Min, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from core.business_date import business_date_get, business_date_set
from core.error_codes import ErrorCode
from core.errors import DomainError
from distribution.services import whitelist_sync
from origination.models import Loan
from origination.services.limit_life import adverse_event_freezes
from origination.services.program_changes import program_changes_apply
from postloan.close_alerts import close_alerts_clear, close_failed_alert
from postloan.close_lock import close_lock
from postloan.dashboards.aggregates import aggregates_step, lending_figures_step
from postloan.models import DayClose, DayCloseStep
from postloan.models_close import DayCloseStepRun
from postloan.warning_run import (
    WARNING_PARTS_STEP,
    escalation_step,
    warning_chunks,
    warning_parts_chunk,
    warning_parts_wanted,
    warnings_chunk,
)
from servicing.breaker import programs_breaker
from servicing.compensation import compensate_month_end
from servicing.demand_notices import demand_notices_send
from servicing.settlement import classify, expire_limits, settle

log = logging.getLogger(__name__)
# One chunk of a step: (step name, chunk number, first id, last id); a whole step is its chunk 0.
Work = tuple[str, int, int, int]
# How a stage's chunks are run: inline, or spread over the Celery workers (postloan.tasks).
Dispatch = Callable[[dt.date, list[Work]], None]
# Memory for a chunk's sorts and hashes on PostgreSQL: the 4 MB default would spill a chunk's 100,000
# loans to disk, and the whole steps hash the book's farmers (about 55 bytes each: 275 MB at five
# million). Set per chunk transaction, so web requests keep the default; at most the two workers'
# sessions and their parallel helpers hold it at once.
CHUNK_WORK_MEM = "256MB"


@dataclass(frozen=True)
class Step:
    name: str
    run: Callable[..., Any]
    chunked: bool  # chunked steps take (day, first_id, last_id); whole steps take (day)
    # A chunked step's (chunk, first id, last id); by default ranges of the active loans' ids.
    chunks: Callable[[dt.date], list[tuple[int, int, int]]] | None = None
    # Runs side by side with the step before it (in the same stage): it reads nothing that step writes.
    alongside: bool = False


def _accrual(day: dt.date) -> int:
    """Interest needs no write on an ordinary day: principal-days run from their as-of date (see Loan).

    The step is kept so the order of the day reads as the domain describes it; it reports how many loans
    accrue today: those with principal outstanding, and those paid off today. It runs beside settlement,
    where the core's debits may pay a loan off; a loan so paid off still counts (closed today), so the
    number is the same whichever of the two finishes first.
    """
    drawn = Q(disbursed_on__lte=day)
    return Loan.objects.filter(
        drawn & (Q(status=Loan.Status.ACTIVE, principal_outstanding__gt=0) | Q(closed_on=day))
    ).count()


def _compensation(day: dt.date) -> int:
    return compensate_month_end(day).loans


def _program_changes(day: dt.date) -> int:
    """Approved programme changes in force on the next business date: its breaker and warnings use them."""
    return program_changes_apply(day + dt.timedelta(days=1))


def _breaker(day: dt.date) -> int:
    return len(programs_breaker(day))


def _whitelists(day: dt.date) -> int:
    result = whitelist_sync()
    return result.added + result.unavailable + result.available_again + result.drew


def _warning_part_chunks(day: dt.date) -> list[tuple[int, int, int]]:
    """The split rules' parts: the ranges of the active loans' ids, when the close of ``day`` runs those rules
    in parts (``warning_parts_wanted``: the loans its settlement moved and their active warnings are many, for
    the book the accrual counted)."""
    rows = dict(
        DayCloseStep.objects.filter(day=day, step__in=("accrual", "settlement"))
        .values_list("step")
        .annotate(rows=Sum("rows"))
    )
    wanted = warning_parts_wanted(settled=rows.get("settlement") or 0, book=rows.get("accrual") or 0)
    return loan_chunks() if wanted else []


# The whole close of business, in its order. A close records each chunk done under its step's name
# (``DayCloseStep.step``) and a stopped close resumes by those names: a step's name never changes.
# (A list, so that the crash-and-resume tests can put a step that is killed in a step's place.)
STEPS: list[Step] = [
    Step("accrual", _accrual, chunked=False),
    # The accrual's count reads nothing settlement changes (see ``_accrual``): the two run side by side.
    Step("settlement", settle, chunked=True, alongside=True),  # and overdue: one update of each loan row
    Step("compensation", _compensation, chunked=False),
    # One notice per anchor for the demands raised today; reads which demands were raised and for how
    # much, which the month-end deduction never changes.
    Step("demand_notices", demand_notices_send, chunked=False, alongside=True),
    Step("classification", classify, chunked=True),
    Step("limits", expire_limits, chunked=False),
    # The live limits of farmers on whom an adverse event arrived today are frozen before the warning
    # run, which then raises the farmer's warning for the next business date.
    Step("limit_freezes", adverse_event_freezes, chunked=False),
    Step("program_changes", _program_changes, chunked=False),
    Step("breaker", _breaker, chunked=False),
    # The warnings of the next business date: the rules go to the workers side by side (on a large
    # book, a chunk each), and the escalation waits for all of them.
    Step("warnings", warnings_chunk, chunked=True, chunks=lambda _day: warning_chunks()),
    # On the days they fire for much of the book, the rules that look at every loan in parts, a range of loan
    # ids each, beside the other rules: the 20th's million interest-overdue warnings shared by the workers.
    Step(WARNING_PARTS_STEP, warning_parts_chunk, chunked=True, chunks=_warning_part_chunks, alongside=True),
    # The book's figures per node and programme: the loans and limits are final once the breaker ran, and
    # the warnings are not among them, so one worker writes them while the other evaluates rules.
    Step("lending_figures", lending_figures_step, chunked=False, alongside=True),
    # The outreach lists follow the limits in force (new ones added, expired or frozen ones marked): they
    # read the limits and loans the breaker left and write nothing the rules read.
    Step("whitelists", _whitelists, chunked=False, alongside=True),
    Step("escalation", escalation_step, chunked=False),
    # The warnings' daily figures of the next business date, once its warnings are raised and escalated.
    Step("aggregates", aggregates_step, chunked=False),
]


def loan_chunks(size: int | None = None) -> list[tuple[int, int, int]]:
    """(chunk number, first id, last id) over the active book, ``COB_CHUNK_LOANS`` ids each by default.

    The first chunk starts at the first loan's id and the last ends at the last loan's, so that every loan
    lies in a chunk: the settlement applies the core's debits of loans it no longer services (a recovery
    after write-off, a farmer paying back the anchor), whatever their ids. With no active loan, one chunk
    covers every loan.
    """
    size = size or settings.COB_CHUNK_LOANS
    active = Loan.objects.filter(status=Loan.Status.ACTIVE).aggregate(low=Min("id"), high=Max("id"))
    every = Loan.objects.aggregate(low=Min("id"), high=Max("id"))
    if every["low"] is None:
        return []
    low, high = active["low"] or every["low"], active["high"] or every["high"]
    starts = list(range(low, high + 1, size))
    return [
        (
            number,
            every["low"] if number == 0 else start,
            every["high"] if number == len(starts) - 1 else start + size - 1,
        )
        for number, start in enumerate(starts)
    ]


def step_chunks(step: Step, day: dt.date) -> list[tuple[int, int, int]]:
    """A chunked step's (chunk, first id, last id) in the close of ``day``: its own plan, or ranges of the
    active loans' ids."""
    return step.chunks(day) if step.chunks else loan_chunks()


def _chunk_lock_keys(day: dt.date, step_name: str, chunk: int) -> tuple[int, int]:
    """The two int4 keys of a chunk's advisory lock: (day and step) hashed, and the chunk number."""
    return zlib.crc32(f"cob:{day.isoformat()}:{step_name}".encode()) - 2**31, chunk


def run_chunk(day: dt.date, step_name: str, chunk: int, first_id: int, last_id: int) -> int:
    """Run one chunk unless it is recorded as done; the work and the record commit together.

    The same chunk may be handed to two workers (a redelivery after a worker was thought dead, or the
    coordinator helping a stalled step): the chunk's transaction lock makes the second wait for the first
    and then find the chunk recorded, instead of doing its work a second time only to roll it back.
    """
    step = next(s for s in STEPS if s.name == step_name)
    try:
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", _chunk_lock_keys(day, step_name, chunk))
                cursor.execute(f"SET LOCAL work_mem = '{CHUNK_WORK_MEM}'")
                # Each of the close's statements runs once: compiling it (JIT) cost the lending figures
                # 0.2 s of their 1.5 s on a million loans, and never paid back.
                cursor.execute("SET LOCAL jit = off")
            if DayCloseStep.objects.filter(day=day, step=step_name, chunk=chunk).exists():
                return 0
            rows = step.run(day, first_id, last_id) if step.chunked else step.run(day)
            DayCloseStep.objects.create(day=day, step=step_name, chunk=chunk, rows=int(rows or 0))
            return int(rows or 0)
    except IntegrityError:
        # Another worker recorded the same chunk first: its work stands, ours rolled back.
        if DayCloseStep.objects.filter(day=day, step=step_name, chunk=chunk).exists():
            return 0
        raise
    except Exception as exc:
        close_failure_record(day, step_name, chunk, exc)
        raise


def _step_plan(record: DayClose, step: Step) -> DayCloseStepRun:
    """The step's run, created with its chunk plan at its first start; a resumed close keeps that plan, so a
    chunk number always means the same ids whatever changed in between."""
    run = DayCloseStepRun.objects.filter(close=record, step=step.name).first()
    if run is not None:
        return run
    plan = step_chunks(step, record.day) if step.chunked else [(0, 0, 0)]
    run, _created = DayCloseStepRun.objects.get_or_create(
        close=record,
        step=step.name,
        defaults={"plan": [list(chunk) for chunk in plan], "chunks_planned": len(plan), "started_at": timezone.now()},
    )
    return run


def stages(steps: list[Step]) -> list[list[Step]]:
    """The steps grouped as they run: each step with the ``alongside`` steps that follow it."""
    grouped: list[list[Step]] = []
    for step in steps:
        if step.alongside and grouped:
            grouped[-1].append(step)
        else:
            grouped.append([step])
    return grouped


def _run_stage(record: DayClose, stage: list[Step], dispatch: Dispatch) -> None:
    """Run the stage's chunks not yet recorded, then mark each of its steps finished.

    A whole step alone in its stage runs here, in the coordinator: sending it to a worker would only add
    the broker's round trip. Everything else goes to ``dispatch`` at once, whole steps first (each is a
    single long chunk, best started early).
    """
    day = record.day
    pending = [(step, run) for step in stage if (run := _step_plan(record, step)).finished_at is None]
    if not pending:
        return
    names = [step.name for step, _run in pending]
    done = set(DayCloseStep.objects.filter(day=day, step__in=names).values_list("step", "chunk"))
    work = [
        (step.name, chunk, first, last)
        for step, run in sorted(pending, key=lambda pair: pair[0].chunked)
        for chunk, first, last in run.plan
        if (step.name, chunk) not in done
    ]
    if len(pending) == 1 and not pending[0][0].chunked:
        for name, chunk, first, last in work:
            run_chunk(day, name, chunk, first, last)
    elif work:
        dispatch(day, work)
    for step, run in pending:
        _step_finish(record, step, run)


def _step_finish(record: DayClose, step: Step, run: DayCloseStepRun) -> None:
    """Mark the step finished when its last chunk was (steps of one stage end at their own times)."""
    recorded = DayCloseStep.objects.filter(day=record.day, step=step.name).aggregate(
        chunks=Count("id"), last=Max("finished_at")
    )
    if recorded["chunks"] < run.chunks_planned:
        # Every dispatched chunk returned, yet some are not recorded: never move on with a step half done.
        raise RuntimeError(f"{step.name}: {recorded['chunks']} of {run.chunks_planned} chunks recorded")
    # A step with nothing to do today (an empty plan) ends where it started: it took none of the stage's time.
    DayCloseStepRun.objects.filter(pk=run.pk).update(finished_at=recorded["last"] or run.started_at)
    log.debug("close of %s: %s done", record.day, step.name)


def _inline(day: dt.date, work: list[Work]) -> None:
    for name, chunk, first_id, last_id in work:
        run_chunk(day, name, chunk, first_id, last_id)


def close_failure_record(day: dt.date, step_name: str, chunk: int | None, exc: BaseException) -> None:
    """Mark the close of ``day`` failed at ``step_name`` (and chunk), in a transaction of its own."""
    DayClose.objects.filter(day=day).update(
        status=DayClose.Status.FAILED,
        error_step=step_name,
        error_chunk=chunk,
        error=f"{type(exc).__name__}: {exc}"[:4000],
        failed_at=timezone.now(),
    )


def _failed_step(record: DayClose, stage: list[Step]) -> Step:
    """The step a failure without a chunk of its own is put on: the stage's first step left unfinished."""
    finished = set(
        DayCloseStepRun.objects.filter(close=record, finished_at__isnull=False).values_list("step", flat=True)
    )
    return next((step for step in stage if step.name not in finished), stage[0])


def _failure_note(record: DayClose, step: Step, attempt_started: dt.datetime, exc: Exception) -> None:
    """Record the failure (a chunk that raised recorded itself, with its number) and alert the administrators."""
    try:
        if not DayClose.objects.filter(pk=record.pk, failed_at__gte=attempt_started).exists():
            close_failure_record(record.day, step.name, None, exc)
        close_failed_alert(record.day)
    except DatabaseError:
        log.exception("close of %s: the failure could not be recorded", record.day)


def close_day(day: dt.date, dispatch: Dispatch = _inline, trigger: str = DayClose.Trigger.COMMAND) -> DayClose:
    """Close business date ``day`` (resuming a run that stopped) and move the date to the next day."""
    with close_lock():
        record, created = DayClose.objects.get_or_create(day=day, defaults={"trigger": trigger})
        if record.status == DayClose.Status.DONE:
            raise DomainError(ErrorCode.DAY_ALREADY_CLOSED, _("%(day)s is already closed.") % {"day": day.isoformat()})
        attempt_started = timezone.now()
        if not created:
            DayClose.objects.filter(pk=record.pk).update(
                attempts=F("attempts") + 1, status=DayClose.Status.RUNNING, trigger=trigger
            )
        stage = [STEPS[0]]
        try:
            for stage in stages(STEPS):
                _run_stage(record, stage, dispatch)
        except Exception as exc:
            _failure_note(record, _failed_step(record, stage), attempt_started, exc)
            raise
        with transaction.atomic():
            business_date_set(new_date=day + dt.timedelta(days=1), backwards_allowed=False)
            DayClose.objects.filter(pk=record.pk).update(status=DayClose.Status.DONE, finished_at=timezone.now())
            close_alerts_clear(day)
        record.refresh_from_db()
        return record


def close_business_days(
    *,
    to: dt.date | None = None,
    dispatch: Dispatch = _inline,
    trigger: str = DayClose.Trigger.COMMAND,
) -> list[DayClose]:
    """Close each day from the business date up to (not including) ``to``; one day when ``to`` is omitted.

    The whole run holds the close's database lock, so a second close (another beat, a command typed while
    the schedule runs) is refused with ``close_running`` instead of racing this one.
    """
    with close_lock():
        return _close_days_locked(to, dispatch, trigger)


def _close_days_locked(to: dt.date | None, dispatch: Dispatch, trigger: str) -> list[DayClose]:
    today = business_date_get()
    target = to or today + dt.timedelta(days=1)
    if target <= today:
        raise DomainError(
            ErrorCode.NOTHING_TO_CLOSE,
            _("The business date is already %(today)s; --to must be later.") % {"today": today.isoformat()},
        )
    closed = []
    while (day := business_date_get()) < target:
        closed.append(close_day(day, dispatch, trigger))
    return closed
