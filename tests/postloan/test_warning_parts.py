"""The rules split over the loans: on the days they fire for much of the book the close runs them a range of
loan ids at a time."""

import dataclasses
import datetime as dt
import threading
import time
from decimal import Decimal

import pytest
from django.db import connections, transaction
from django.db.models import Sum

from origination.models import Loan
from origination.services.drawdown import loan_disburse
from postloan import cob, warning_run
from postloan.models import DayCloseStep, RiskWarning, WarningRule
from postloan.models_close import DayCloseStepRun
from postloan.rules import RULES
from servicing.services.repayments import repayment_record
from tests.factories import make_lending_world

D = dt.date
pytestmark = pytest.mark.django_db
SPLIT = {rule.code for rule in RULES if rule.split_over_loans}
SETTLED = D(2027, 3, 20)  # the loans' first interest falls due, unpaid: INTEREST_OVERDUE for each


def _book(users):
    _program, _farmer, limit = make_lending_world(users, on=D(2027, 3, 5), margin="100.00", margin_ratio=Decimal("0"))
    return [
        loan_disburse(credit_limit=limit, amount=Decimal(amount), term_months=3, actor=users["manager"])
        for amount in ("100000.00", "50000.00", "20000.00")
    ]


def _large_book(monkeypatch, settings):
    """This small book closes like a large one (a settled loan is many), a loan per part."""
    monkeypatch.setattr(warning_run, "RULES_SPLIT_FROM_LOANS", 1)
    settings.COB_CHUNK_LOANS = 1


def _warnings():
    """The warnings without their ids (ids differ between runs on PostgreSQL); subjects by their place."""
    order = {pk: index for index, pk in enumerate(Loan.objects.order_by("id").values_list("id", flat=True))}
    return sorted(
        (code, order.get(subject) if kind == "loan" else None, *rest)
        for code, kind, subject, *rest in RiskWarning.objects.values_list(
            "rule__code", "subject_type", "subject_id", "raised_on", "active", "cleared_on", "status", "fact"
        )
    )


def test_the_parts_raise_what_one_run_of_the_rules_raises_each_rule_once(users, monkeypatch, settings):
    with transaction.atomic():
        _book(users)
        cob.close_business_days(to=SETTLED + dt.timedelta(days=2))
        whole = _warnings()
        assert not DayCloseStep.objects.filter(step=warning_run.WARNING_PARTS_STEP).exists()  # a small book
        transaction.set_rollback(True)
    _large_book(monkeypatch, settings)
    loans = _book(users)
    cob.close_business_days(to=SETTLED + dt.timedelta(days=2))
    assert _warnings() == whole
    # Parts only when the split rules have much to do: the 20th's settlement moved every loan, and the day
    # after their warnings are active; the days before, the rules ran whole among the others.
    planned = DayCloseStepRun.objects.filter(step=warning_run.WARNING_PARTS_STEP, chunks_planned__gt=0)
    assert set(planned.values_list("close__day", flat=True)) == {SETTLED, SETTLED + dt.timedelta(days=1)}
    raised = {code for code, *_rest in whole}
    assert "INTEREST_OVERDUE" in raised
    # The 20th's close: a part per loan, and the split rules' warnings raised by the parts alone.
    parts = DayCloseStep.objects.filter(day=SETTLED, step=warning_run.WARNING_PARTS_STEP)
    assert parts.count() == len(loans)
    on_the_21st = RiskWarning.objects.filter(raised_on=SETTLED + dt.timedelta(days=1))
    assert parts.aggregate(rows=Sum("rows"))["rows"] == on_the_21st.filter(rule__code__in=SPLIT).count() == len(loans)
    by_rules = DayCloseStep.objects.filter(day=SETTLED, step="warnings").aggregate(rows=Sum("rows"))["rows"]
    assert by_rules == on_the_21st.exclude(rule__code__in=SPLIT).count()


def test_a_part_clears_only_the_warnings_of_its_own_loans(users, monkeypatch, settings):
    _large_book(monkeypatch, settings)
    first, second, third = _book(users)
    cob.close_business_days(to=SETTLED + dt.timedelta(days=2))
    overdue = RiskWarning.objects.filter(rule__code="INTEREST_OVERDUE", active=True)
    assert set(overdue.values_list("subject_id", flat=True)) == {loan.pk for loan in (first, second, third)}
    for loan in (first, second):
        loan.refresh_from_db()
        repayment_record(loan=loan, amount=loan.interest_overdue, actor=users["manager"])
    day = SETTLED + dt.timedelta(days=2)
    warning_run.warning_parts_chunk(day, second.pk, second.pk)
    assert set(overdue.values_list("subject_id", flat=True)) == {first.pk, third.pk}  # the first not looked at
    warning_run.warning_parts_chunk(day, first.pk, first.pk)
    assert set(overdue.values_list("subject_id", flat=True)) == {third.pk}
    cleared = RiskWarning.objects.get(rule__code="INTEREST_OVERDUE", subject_id=first.pk)
    assert (cleared.status, cleared.resolution, cleared.cleared_on) == ("closed", "cleared", day + dt.timedelta(days=1))


def test_a_close_killed_after_one_part_resumes_at_the_next_and_ends_the_same(users, monkeypatch, settings):
    _large_book(monkeypatch, settings)
    with transaction.atomic():
        _book(users)
        cob.close_business_days(to=SETTLED + dt.timedelta(days=1))
        uninterrupted = _warnings()
        transaction.set_rollback(True)
    _book(users)
    cob.close_business_days(to=SETTLED)
    index = next(i for i, step in enumerate(cob.STEPS) if step.name == warning_run.WARNING_PARTS_STEP)
    real = cob.STEPS[index]
    done = []

    def killed_after_one(day, first_id, last_id):
        if done:
            raise SystemExit("killed between two parts")
        done.append(first_id)
        return real.run(day, first_id, last_id)

    cob.STEPS[index] = dataclasses.replace(real, run=killed_after_one)
    try:
        with pytest.raises(SystemExit):
            cob.close_business_days(to=SETTLED + dt.timedelta(days=1))
    finally:
        cob.STEPS[index] = real
    assert DayCloseStep.objects.filter(day=SETTLED, step=warning_run.WARNING_PARTS_STEP).count() == 1
    cob.close_business_days(to=SETTLED + dt.timedelta(days=1))
    assert _warnings() == uninterrupted
    assert sum(1 for code, *_rest in uninterrupted if code == "INTEREST_OVERDUE") == 3


def test_only_a_loan_rule_that_looks_at_every_loan_alone_may_split():
    interest = next(rule for rule in RULES if rule.code == "INTEREST_OVERDUE")
    maturity = next(rule for rule in RULES if rule.code == "MATURITY_SOON")
    with pytest.raises(ValueError, match="MATURITY_SOON"):
        dataclasses.replace(maturity, split_over_loans=True)  # it looks at what changed
    farmer_rule = next(rule for rule in RULES if rule.subject_type != interest.subject_type)
    with pytest.raises(ValueError, match=farmer_rule.code):
        dataclasses.replace(farmer_rule, split_over_loans=True)
    assert {"INTEREST_OVERDUE", "PRINCIPAL_OVERDUE"} == SPLIT


@pytest.mark.django_db(transaction=True)
def test_parts_of_a_rule_run_side_by_side_and_a_whole_run_waits_for_them(users, monkeypatch, settings):
    """A part holds its transaction open after raising: a part of other loans runs to its end meanwhile (the
    parts share the rule's lock), a whole run of the rules waits, then raises only what is left to raise."""
    _large_book(monkeypatch, settings)
    first, second, third = _book(users)
    cob.close_business_days(to=SETTLED + dt.timedelta(days=1))
    RiskWarning.objects.filter(rule__code="INTEREST_OVERDUE").delete()
    raised, release, second_done = threading.Event(), threading.Event(), threading.Event()
    results: dict[str, object] = {}

    def part_of(loan, name, hold=False):
        def run() -> None:
            try:
                if name != "first":
                    raised.wait(timeout=20)
                with transaction.atomic():
                    results[name] = warning_run.warning_parts_chunk(SETTLED, loan.pk, loan.pk)
                    if hold:
                        raised.set()
                        release.wait(timeout=20)
            except Exception as exc:  # inspected below
                results[name] = exc
            finally:
                raised.set()
                if name == "second":
                    second_done.set()
                connections.close_all()

        return run

    def whole() -> None:
        try:
            raised.wait(timeout=20)
            results["whole"] = warning_run.warnings_run(SETTLED + dt.timedelta(days=1))
        except Exception as exc:  # inspected below
            results["whole"] = exc
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=part_of(first, "first", hold=True)),
        threading.Thread(target=part_of(second, "second")),
        threading.Thread(target=whole),
    ]
    for thread in threads:
        thread.start()
    assert second_done.wait(timeout=20)  # while the first part still holds its transaction
    time.sleep(1.0)  # the whole run is now blocked behind the first part
    assert "whole" not in results
    release.set()
    for thread in threads:
        thread.join(timeout=60)
    assert results["first"] == results["second"] == 1, results
    assert isinstance(results["whole"], warning_run.RunSummary), results
    assert results["whole"].raised["INTEREST_OVERDUE"] == 1  # the third loan's
    active = RiskWarning.objects.filter(rule__code="INTEREST_OVERDUE", active=True)
    assert sorted(active.values_list("subject_id", flat=True)) == sorted(loan.pk for loan in (first, second, third))


def test_parts_only_when_the_split_rules_work_reaches_the_fixed_number_and_a_tenth_of_the_book(monkeypatch):
    monkeypatch.setattr(warning_run, "RULES_SPLIT_FROM_LOANS", 2)
    warning_run.rules_ensure()
    assert not warning_run.warning_parts_wanted(settled=1, book=10)  # under the fixed number
    assert warning_run.warning_parts_wanted(settled=2, book=10)
    assert not warning_run.warning_parts_wanted(settled=2, book=30)  # under a tenth of the book
    assert warning_run.warning_parts_wanted(settled=3, book=30)
    WarningRule.objects.filter(code__in=SPLIT).update(enabled=False)
    assert not warning_run.warning_parts_wanted(settled=30, book=30)  # nothing to split
