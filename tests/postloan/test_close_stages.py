"""The close's stages: steps that need nothing of each other go to the workers together."""

import datetime as dt
from decimal import Decimal

import pytest

from core.business_date import business_date_get
from origination.services.drawdown import loan_disburse
from postloan import cob
from postloan.models import DayClose, DayCloseStep
from postloan.models_close import DayCloseStepRun
from postloan.models_dashboards import AggregateDay, DailyNodeFigures
from tests.factories import make_lending_world
from tests.postloan.close_helpers import step_failing

D = dt.date
pytestmark = pytest.mark.django_db


def _book(users):
    _program, _farmer, limit = make_lending_world(users, on=D(2027, 3, 5), margin="100.00", margin_ratio=Decimal("0"))
    loan_disburse(credit_limit=limit, amount=Decimal("100000.00"), term_months=3, actor=users["manager"])


def test_a_stage_is_its_step_and_the_alongside_steps_after_it():
    stages = [[step.name for step in stage] for stage in cob.stages(cob.STEPS)]
    assert stages[0] == ["accrual", "settlement"]
    assert ["warnings", "warning_parts", "lending_figures", "whitelists"] in stages
    assert [name for stage in stages for name in stage] == [step.name for step in cob.STEPS]
    assert not cob.STEPS[0].alongside  # the first step opens the first stage


def test_the_steps_of_a_stage_reach_the_dispatcher_in_one_call_whole_steps_first(users):
    _book(users)
    calls: list[list[str]] = []

    def recording(day, work):
        calls.append([name for name, _chunk, _first, _last in work])
        cob._inline(day, work)

    cob.close_day(business_date_get(), dispatch=recording)
    assert ["accrual", "settlement"] in calls
    assert ["lending_figures", "whitelists", "warnings"] in calls
    # A whole step alone in its stage runs in the coordinator and never reaches the dispatcher.
    assert not any("escalation" in call or "aggregates" in call for call in calls)


def test_each_step_of_a_stage_finishes_with_its_own_last_chunk(users):
    _book(users)
    day = business_date_get()
    cob.close_day(day)
    for run in DayCloseStepRun.objects.filter(close__day=day):
        finished = DayCloseStep.objects.filter(day=day, step=run.step).values_list("finished_at", flat=True)
        if run.chunks_planned == 0:  # nothing to do on this book (the warning parts of a small one)
            assert not finished and run.finished_at == run.started_at
            continue
        last = max(finished)
        assert run.finished_at == last
        assert run.started_at <= run.finished_at


def test_an_alongside_step_that_fails_stops_the_close_and_the_resume_finishes_it(users):
    _book(users)
    day = business_date_get()
    with step_failing("lending_figures", RuntimeError("disk full")):
        cob.close_day(day)
    record = DayClose.objects.get(day=day)
    assert record.status == DayClose.Status.FAILED
    assert record.error_step == "lending_figures"
    assert "disk full" in record.error
    # Nothing of the failed step and nothing after its stage was recorded; the date did not move.
    assert not DayCloseStep.objects.filter(day=day, step="lending_figures").exists()
    assert not DayCloseStep.objects.filter(day=day, step="escalation").exists()
    assert not AggregateDay.objects.filter(day=day + dt.timedelta(days=1)).exists()
    assert business_date_get() == day

    cob.close_day(day)
    assert DayClose.objects.get(day=day).status == DayClose.Status.DONE
    assert DailyNodeFigures.objects.filter(day=day + dt.timedelta(days=1)).exists()
    assert AggregateDay.objects.get(day=day + dt.timedelta(days=1)).rows > 0
    assert business_date_get() == day + dt.timedelta(days=1)


def test_every_step_of_the_close_has_a_name_in_words_for_the_console():
    from postloan.close_progress import STEP_LABELS

    assert sorted(STEP_LABELS) == sorted(step.name for step in cob.STEPS)
