"""The close's interest due and demand of the 20th: a due a service stored that day is added to, a demand of
the day stored already is kept, and a due another transaction stores while the close writes is added to."""

import datetime as dt
import threading
import time
from decimal import Decimal

import pytest
from django.db import connection, connections, transaction
from django.db.models import Sum

from origination.models import CompensationDemand, LoanDue, LoanEntry
from origination.services.drawdown import loan_disburse
from postloan import cob
from servicing.reconcile import loans_reconcile
from servicing.services.repayments import repayment_record
from tests.factories import make_lending_world

TWENTIETH = dt.date(2027, 3, 20)


def _loans_to_the_twentieth(users):
    _program, _farmer, limit = make_lending_world(users, on=dt.date(2027, 3, 5))
    loans = [
        loan_disburse(credit_limit=limit, amount=Decimal(amount), term_months=3, actor=users["manager"])
        for amount in ("100000.00", "50000.00")
    ]
    cob.close_business_days(to=TWENTIETH)
    return loans


def _charged_on_the_twentieth(loan) -> Decimal:
    entries = LoanEntry.objects.filter(loan=loan, kind="interest_charge", business_date=TWENTIETH)
    return entries.aggregate(total=Sum("amount"))["total"]


def _due_of_the_twentieth(loan) -> LoanDue:
    return LoanDue.objects.get(loan=loan, kind="interest", due_on=TWENTIETH)


def test_each_loan_gets_its_due_and_a_due_charged_during_the_day_is_added_to(users):
    paying, other = _loans_to_the_twentieth(users)
    # A repayment on the 20th charges the interest accrued so far into the due of the 20th.
    repayment_record(loan=paying, amount=Decimal("10.00"), actor=users["manager"])
    charged_by_the_repayment = _due_of_the_twentieth(paying).amount
    assert charged_by_the_repayment > 0
    cob.close_day(TWENTIETH)
    for loan in (paying, other):
        assert _due_of_the_twentieth(loan).amount == _charged_on_the_twentieth(loan) > 0
    assert _charged_on_the_twentieth(paying) > charged_by_the_repayment  # the close added its charge
    assert loans_reconcile() == []


def test_each_unpaid_loan_gets_its_demand_and_a_demand_of_the_day_stored_already_is_kept(users):
    kept, other = _loans_to_the_twentieth(users)
    stored = CompensationDemand.objects.create(
        loan=kept, program_id=kept.program_id, raised_on=TWENTIETH, amount=Decimal("1.00")
    )
    cob.close_day(TWENTIETH)
    assert list(CompensationDemand.objects.filter(loan=kept, raised_on=TWENTIETH)) == [stored]
    assert CompensationDemand.objects.get(pk=stored.pk).amount == Decimal("1.00")
    raised = CompensationDemand.objects.get(loan=other, raised_on=TWENTIETH)
    assert raised.amount == _charged_on_the_twentieth(other) > 0


def _waiting(cursor, start: str) -> bool:
    """Whether a backend's statement beginning with ``start`` waits on a lock (read afresh: within a
    transaction PostgreSQL keeps the activity it read first)."""
    cursor.execute("SELECT pg_stat_clear_snapshot()")
    cursor.execute(
        "SELECT left(query, 60) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()"
    )
    return any(query.startswith(start) for (query,) in cursor.fetchall())


def _until(condition) -> bool:
    for _attempt in range(400):
        if condition():
            return True
        time.sleep(0.05)
    return False


@pytest.mark.django_db(transaction=True)
def test_a_due_stored_by_another_transaction_while_the_close_inserts_is_added_to(users):
    loan, other = _loans_to_the_twentieth(users)
    held, failures = threading.Event(), []
    chunk_lock = cob._chunk_lock_keys(TWENTIETH, "settlement", 0)

    def store_while_the_close_settles() -> None:
        """Hold the close at its settlement chunk, store the loan's due of the 20th (nothing due yet: a row
        of another transaction, found by the unique key only), let the close go on, and commit once the
        close's insert of the dues waits on that row."""
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_lock(%s, %s)", chunk_lock)
                held.set()
                if not _until(lambda: _waiting(cursor, "SELECT pg_advisory_xact_lock")):
                    failures.append("the close never reached its settlement")
                with transaction.atomic():
                    LoanDue.objects.create(loan_id=loan.pk, kind="interest", due_on=TWENTIETH, amount=Decimal("0"))
                    cursor.execute("SELECT pg_advisory_unlock(%s, %s)", chunk_lock)
                    if not _until(lambda: _waiting(cursor, "INSERT INTO origination_loandue")):
                        failures.append("the close's insert never waited on the other transaction's due")
        except Exception as exc:  # reported by the test's thread, not lost in this one
            failures.append(repr(exc))
        finally:
            held.set()
            connections.close_all()

    other_transaction = threading.Thread(target=store_while_the_close_settles)
    other_transaction.start()
    assert held.wait(10)
    cob.close_day(TWENTIETH)
    other_transaction.join(30)
    assert failures == []
    for each in (loan, other):
        assert _due_of_the_twentieth(each).amount == _charged_on_the_twentieth(each) > 0
    assert LoanDue.objects.filter(loan=loan, kind="interest", due_on=TWENTIETH).count() == 1
    assert loans_reconcile() == []
