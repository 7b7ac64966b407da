"""What the operations console shows of a close: each step with its chunks done and planned, its rows and
seconds, and the close's share done. Two queries per close, whatever the number of chunks."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Max, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from postloan.close_lock import close_running_elsewhere
from postloan.cob import STEPS
from postloan.models import DayClose, DayCloseStep
from postloan.models_close import DayCloseStepRun

# The steps' names as the bank says them; a step missing here shows its code.
STEP_LABELS: dict[str, Any] = {
    "accrual": _("Interest accrual"),
    "settlement": _("Settlement and overdue"),
    "compensation": _("Compensation from the margin"),
    "demand_notices": _("Compensation demand notices"),
    "classification": _("Five-tier classification"),
    "limits": _("Limit expiries"),
    "limit_freezes": _("Limit freezes on adverse records"),
    "program_changes": _("Programme changes taking effect"),
    "breaker": _("Programme circuit breaker"),
    "warnings": _("Warning run"),
    "warning_parts": _("Warning run: loan rules by loan range"),
    "escalation": _("Warning escalation"),
    "lending_figures": _("Lending figures"),
    "whitelists": _("Outreach lists"),
    "aggregates": _("Warning figures"),
}


@dataclass(frozen=True)
class StepProgress:
    name: str
    label: Any
    state: str  # done, running, waiting, failed
    chunks_done: int
    chunks_planned: int | None  # None until the step has started and fixed its plan
    rows: int
    seconds: float | None


@dataclass(frozen=True)
class CloseProgress:
    close: DayClose
    steps: list[StepProgress]
    percent: int
    # Running now (a session holds the close's lock), or stopped half-way with nobody running it.
    running: bool
    stopped: bool

    @property
    def resumable(self) -> bool:
        return self.close.status == DayClose.Status.FAILED or self.stopped

    @property
    def failed_step_label(self) -> Any:
        return STEP_LABELS.get(self.close.error_step, self.close.error_step)


def close_progress(close: DayClose, *, now: dt.datetime | None = None) -> CloseProgress:
    now = now or timezone.now()
    runs = {run.step: run for run in DayCloseStepRun.objects.filter(close=close)}
    chunks = {
        row["step"]: row
        for row in DayCloseStep.objects.filter(day=close.day)
        .values("step")
        .annotate(done=Count("id"), rows=Sum("rows"), last=Max("finished_at"))
    }
    steps = []
    share = 0.0
    for step in STEPS:
        run = runs.get(step.name)
        done = chunks.get(step.name, {}).get("done", 0)
        planned = run.chunks_planned if run else None
        state = _state(close, step.name, run, done)
        if state == "done":
            share += 1
        elif planned:
            share += min(done, planned) / planned
        steps.append(
            StepProgress(
                name=step.name,
                label=STEP_LABELS.get(step.name, step.name),
                state=state,
                chunks_done=done,
                chunks_planned=planned,
                rows=int(chunks.get(step.name, {}).get("rows") or 0),
                seconds=_seconds(run, chunks.get(step.name, {}).get("last"), now, state),
            )
        )
    running = close.status == DayClose.Status.RUNNING and close_running_elsewhere()
    stopped = close.status == DayClose.Status.RUNNING and not running
    percent = 100 if close.status == DayClose.Status.DONE else int(100 * share / len(STEPS))
    return CloseProgress(close=close, steps=steps, percent=percent, running=running, stopped=stopped)


def _state(close: DayClose, name: str, run: DayCloseStepRun | None, done: int) -> str:
    if close.status == DayClose.Status.DONE or (run is not None and run.finished_at is not None):
        return "done"
    if close.status == DayClose.Status.FAILED and close.error_step == name:
        return "failed"
    if run is not None:
        return "running"
    # A close from before the console kept step runs: its recorded chunks are all it knows.
    return "done" if done else "waiting"


def _seconds(run: DayCloseStepRun | None, last: dt.datetime | None, now: dt.datetime, state: str) -> float | None:
    if run is None:
        return None
    end = run.finished_at or (last if state != "running" else now)
    return max((end - run.started_at).total_seconds(), 0.0) if end else None
