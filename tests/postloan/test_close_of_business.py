"""The close of business: resumable after a crash, never twice, ending on the --to date."""

import dataclasses
import datetime as dt
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction

from core.business_date import business_date_get
from core.errors import DomainError
from origination.models import Loan, LoanDue, LoanEntry
from origination.services.drawdown import loan_disburse
from postloan import cob, warning_run
from postloan.models import DayClose, DayCloseStep, RiskWarning, WarningRule
from postloan.rules import RULES
from servicing.services.repayments import repayment_record
from tests.factories import make_lending_world

D = dt.date


def _book(users):
    _program, _farmer, limit = make_lending_world(users, on=D(2027, 3, 5), margin="100.00", margin_ratio=Decimal("0"))
    first = loan_disburse(credit_limit=limit, amount=Decimal("100000.00"), term_months=3, actor=users["manager"])
    second = loan_disburse(credit_limit=limit, amount=Decimal("50000.00"), term_months=1, actor=users["manager"])
    return first, second


def _step_index(name):
    """Where the close's step ``name`` stands in ``cob.STEPS`` (a test swaps it for one that is killed)."""
    return next(i for i, step in enumerate(cob.STEPS) if step.name == name)


def _scenario(users, crash):
    first, _second = _book(users)
    cob.close_business_days(to=D(2027, 3, 25))
    repayment_record(loan=first, amount=Decimal("100.00"), actor=users["manager"])
    if crash:
        # Killed at the classification, after settlement and compensation have committed.
        index = _step_index("classification")
        real = cob.STEPS[index]

        def killed(*args):
            raise SystemExit("killed half-way")

        cob.STEPS[index] = dataclasses.replace(real, run=killed)
        try:
            with pytest.raises(SystemExit):
                cob.close_business_days(to=D(2027, 4, 10))
        finally:
            cob.STEPS[index] = real
        assert business_date_get() == D(2027, 3, 25)  # the day did not move
    cob.close_business_days(to=D(2027, 4, 10))
    return _snapshot()


def _snapshot():
    """The book without its ids (PostgreSQL does not roll sequences back, so ids differ between runs)."""
    loans = list(Loan.objects.order_by("id").values().iterator())
    order = {loan["id"]: index for index, loan in enumerate(loans)}
    for loan in loans:
        for key in [k for k in loan if k == "id" or k.endswith("_id") or k in {"created_at", "updated_at"}]:
            loan.pop(key)
    entries = [
        (order[loan_id], day, kind, amount)
        for loan_id, day, kind, amount in LoanEntry.objects.order_by("id").values_list(
            "loan_id", "business_date", "kind", "amount"
        )
    ]
    dues = [
        (order[row[0]], *row[1:])
        for row in LoanDue.objects.order_by("id").values_list(
            "loan_id", "kind", "due_on", "amount", "paid", "compensated"
        )
    ]
    steps = sorted(DayCloseStep.objects.values_list("day", "step", "chunk", "rows"))
    return loans, entries, dues, steps, business_date_get()


def test_a_run_killed_half_way_finishes_on_the_next_call_as_if_never_stopped(users):
    with transaction.atomic():
        uninterrupted = _scenario(users, crash=False)
        transaction.set_rollback(True)
    resumed = _scenario(users, crash=True)
    assert resumed == uninterrupted
    assert DayClose.objects.get(day=D(2027, 3, 25)).attempts == 2


def _warnings():
    """The warnings without their ids and subject ids (ids differ between runs on PostgreSQL)."""
    return sorted(
        RiskWarning.objects.values_list(
            "rule__code", "subject_type", "raised_on", "active", "cleared_on", "status", "escalated"
        )
    )


def _killed_after(chunks_done: int):
    """Replace the close's warning step by one that stops the run after ``chunks_done`` of its chunks."""
    index = _step_index("warnings")
    real = cob.STEPS[index]
    calls = []

    def run(day, first_id, last_id):
        if len(calls) == chunks_done:
            raise SystemExit("killed between two rules")
        calls.append(first_id)
        return real.run(day, first_id, last_id)

    cob.STEPS[index] = dataclasses.replace(real, run=run)
    return index, real


def test_a_close_killed_between_two_warning_rules_resumes_at_the_next_rule(users, monkeypatch):
    monkeypatch.setattr(warning_run, "RULES_SPLIT_FROM_LOANS", 1)  # this small book closes like a large one
    with transaction.atomic():
        _book(users)
        cob.close_business_days(to=D(2027, 4, 2))
        uninterrupted = _warnings()
        transaction.set_rollback(True)
    _book(users)
    cob.close_business_days(to=D(2027, 4, 1))
    index, real = _killed_after(3)
    try:
        with pytest.raises(SystemExit):
            cob.close_business_days(to=D(2027, 4, 2))
    finally:
        cob.STEPS[index] = real
    # three rules committed with their records; the day did not move
    assert DayCloseStep.objects.filter(day=D(2027, 4, 1), step="warnings").count() == 3
    assert business_date_get() == D(2027, 4, 1)
    cob.close_business_days(to=D(2027, 4, 2))
    assert _warnings() == uninterrupted
    assert any(code == "INTEREST_OVERDUE" for code, *_rest in uninterrupted)
    assert DayCloseStep.objects.filter(day=D(2027, 4, 1), step="warnings").count() == len(warning_run.warning_chunks())


def test_the_warning_chunks_take_each_rule_once_and_the_readers_of_a_shared_set_together(users, monkeypatch):
    _book(users)
    assert len(warning_run.warning_chunks()) == 1  # a small book: every rule in one transaction
    monkeypatch.setattr(warning_run, "RULES_SPLIT_FROM_LOANS", 1)
    chunks = warning_run.warning_chunks()
    code_of = dict(WarningRule.objects.values_list("pk", "code"))
    taken = [[code_of[pk] for pk in sorted(code_of) if first <= pk <= last] for _n, first, last in chunks]
    assert sorted(code for codes in taken for code in codes) == sorted(rule.code for rule in RULES)
    readers = {rule.code for rule in RULES if rule.reads}
    assert len(readers) > 1
    assert sum(1 for codes in taken if readers & set(codes)) == 1
    assert len(chunks) > len(RULES) // 2


def test_the_command_closes_up_to_the_day_before_to(users):
    _book(users)
    call_command("close_business_day", "--to", "2027-03-10")
    assert business_date_get() == D(2027, 3, 10)
    assert list(DayClose.objects.order_by("day").values_list("day", flat=True)) == [
        D(2027, 3, 5),
        D(2027, 3, 6),
        D(2027, 3, 7),
        D(2027, 3, 8),
        D(2027, 3, 9),
    ]
    call_command("close_business_day")
    assert business_date_get() == D(2027, 3, 11)


def test_a_day_cannot_be_closed_twice(users):
    _book(users)
    cob.close_business_days(to=D(2027, 3, 6))
    with pytest.raises(DomainError, match="day_already_closed"):
        cob.close_day(D(2027, 3, 5))
    with pytest.raises(CommandError, match="nothing_to_close"):
        call_command("close_business_day", "--to", "2027-03-06")


def test_the_business_date_cannot_go_back_once_loans_exist(users):
    _book(users)
    with pytest.raises(CommandError, match="business_date_backwards"):
        call_command("set_business_date", "2027-03-01")
