"""The two ways the close applies a debit book the same, and as a payment at the counter would.

Two loans with the same terms on the same day: one takes the debit, the other the comparison. The set-based
path (a settling loan with nothing overdue) is compared with the exact one-loan-at-a-time path; the exact
path with ``repayment_record`` made the next morning, before the close of that day (the counter charges
interest through the day before, as the close of the debit's day does through that day).
"""

import datetime as dt
from decimal import Decimal

import pytest

from core.business_date import business_date_get
from corebank import apply
from corebank.debit_files import debit_file_import
from corebank.models import Debit
from origination.models import Loan, LoanDue, LoanEntry, Repayment
from postloan.cob import close_business_days
from servicing.reconcile import loans_reconcile
from servicing.services.repayments import repayment_record
from servicing.settlement import settle
from tests.corebank.debits import debit_csv, lending_loans

pytestmark = pytest.mark.django_db
D = dt.date
BALANCES = (
    "principal_outstanding",
    "principal_overdue",
    "interest_base",
    "accrued_through",
    "penalty_base",
    "penalty_through",
    "interest_due",
    "interest_overdue",
    "penalty_due",
    "compensated",
    "oldest_due_date",
    "shadow_oldest_due_date",
    "classification",
    "status",
)


def books(loan_id, *, dates=True):
    """A loan's balances, ledger, dues and repayments, comparable between two loans."""
    loan = Loan.objects.get(pk=loan_id)
    entries = sorted(
        ((e.business_date if dates else None), e.kind, e.amount, e.repayment_id is not None)
        for e in LoanEntry.objects.filter(loan_id=loan_id)
    )
    dues = sorted(
        (d.kind, d.due_on, d.amount, d.paid, d.compensated, d.settled_on if dates else None)
        for d in LoanDue.objects.filter(loan_id=loan_id)
    )
    repayments = sorted(
        ((r.business_date if dates else None), r.amount, r.penalty, r.interest, r.principal)
        for r in Repayment.objects.filter(loan_id=loan_id)
    )
    return {field: getattr(loan, field) for field in BALANCES}, entries, dues, repayments


def send(users, loan, amount, reference):
    day = business_date_get().isoformat()
    debit_file_import(
        content=debit_csv([(loan.pk, day, amount, reference)]), filename=f"{reference}.csv", actor=users["admin"]
    )


@pytest.fixture
def twins(users):
    return lending_loans(users, amounts=("100000.00", "100000.00"))


@pytest.mark.parametrize("amount", ["100.00", "193.33", "5000.00", "100193.33", "200000.00"])
def test_the_set_based_path_books_what_the_exact_path_books(users, twins, monkeypatch, amount):
    close_business_days(to=D(2027, 3, 20))
    a, b = twins
    send(users, a, amount, "A")
    send(users, b, amount, "B")
    day = business_date_get()

    def not_here(**_kwargs):
        raise AssertionError("the set-based path should have applied this debit")

    with monkeypatch.context() as patch:
        patch.setattr(apply, "debit_apply_exact", not_here)
        settle(day, a.pk, a.pk)
    with monkeypatch.context() as patch:
        patch.setattr(apply, "SET_BASED", False)
        settle(day, b.pk, b.pk)
    assert books(a.pk) == books(b.pk)
    split = [Debit.objects.filter(reference=ref).values_list("state", "applied", "refund").get() for ref in "AB"]
    assert split[0] == split[1]
    assert loans_reconcile([a.pk, b.pk]) == []


@pytest.mark.parametrize("amount", ["50.00", "10000.00", "100132.92"])
def test_a_debit_on_an_ordinary_day_books_what_the_counter_books_the_next_morning(users, twins, amount):
    close_business_days(to=D(2027, 3, 15))
    a, b = twins
    send(users, a, amount, "A")
    close_business_days(to=D(2027, 3, 16))
    repayment_record(loan=b, amount=Decimal(amount), actor=users["manager"])
    assert books(a.pk, dates=False) == books(b.pk, dates=False)
    assert Debit.objects.get(reference="A").state == "applied"
    assert loans_reconcile([a.pk, b.pk]) == []


@pytest.mark.parametrize("amount", ["100.00", "50000.00"])
def test_a_debit_on_an_overdue_loan_books_what_the_counter_books_the_next_morning(users, twins, amount):
    close_business_days(to=D(2027, 3, 25))  # the interest of 20 March is overdue on both
    a, b = twins
    assert Loan.objects.get(pk=a.pk).interest_overdue == Decimal("193.33")
    send(users, a, amount, "A")
    close_business_days(to=D(2027, 3, 26))
    repayment_record(loan=b, amount=Decimal(amount), actor=users["manager"])
    debited, paid = books(a.pk, dates=False), books(b.pk, dates=False)
    # The close classifies after applying the debit; the counter's payment waits for the next close.
    assert debited[0].pop("classification") == ("normal" if amount == "50000.00" else "special_mention")
    assert paid[0].pop("classification") == "special_mention"
    assert debited == paid
    assert loans_reconcile([a.pk, b.pk]) == []


class _Undo(Exception):
    """Raised to take back what a checkpoint booked, so that the walk goes on from the same book."""


# (day the debits are for, their amounts) for loans of two months: settling with nothing overdue; a 20th
# with last month's interest overdue; maturity with interest overdue; after maturity, principal overdue and
# penalty running (an ordinary day and a 20th, neither a settlement of the loan).
CHECKPOINTS = (
    (D(2027, 3, 20), ("100.00", "193.33", "100193.33", "200000.00"), None),
    (D(2027, 4, 20), ("50.00", "193.33", "300.00", "100500.00", "200000.00"), None),
    # A payment at the counter that morning charged the interest so far, due today: today's interest due
    # exists before the close's charge is added to it.
    (D(2027, 4, 20), ("50.00", "300.00", "100500.00"), "250.00"),
    (D(2027, 5, 5), ("100.00", "400.00", "100300.00", "100600.00", "200000.00"), None),
    (D(2027, 5, 15), ("10.00", "500.00", "100400.00", "100700.00", "200000.00"), None),
    (D(2027, 5, 20), ("10.00", "100700.00", "200000.00"), None),
)


def test_both_paths_book_the_same_overdue_maturing_and_matured_loans(users, monkeypatch):
    """Pairs of equal loans left unpaid through their life; at each checkpoint one of a pair takes its debit
    by the set-based path, the other by the exact one, and their books must be equal to the fen."""
    from django.db import transaction

    pairs = max(len(amounts) for _day, amounts, _counter in CHECKPOINTS)
    # No margin: month ends compensate nothing (a loan the anchor paid for goes one at a time, by design).
    loans = lending_loans(users, amounts=("100000.00",) * (2 * pairs), margin=None, term_months=2)
    for day, amounts, counter in CHECKPOINTS:
        if business_date_get() < day:
            close_business_days(to=day)
        assert business_date_get() == day
        try:
            with transaction.atomic():
                for number, amount in enumerate(amounts):
                    a, b = loans[2 * number], loans[2 * number + 1]
                    if counter:
                        for loan in (a, b):
                            repayment_record(
                                loan=Loan.objects.get(pk=loan.pk), amount=Decimal(counter), actor=users["manager"]
                            )
                        assert Loan.objects.get(pk=a.pk).interest_due > 0
                    send(users, a, amount, f"A{number}")
                    send(users, b, amount, f"B{number}")

                    def not_here(_day=day, _amount=amount, **_kwargs):
                        raise AssertionError(f"{_day} {_amount}: the set-based path should have applied this debit")

                    with monkeypatch.context() as patch:
                        patch.setattr(apply, "debit_apply_exact", not_here)
                        settle(day, a.pk, a.pk)
                    with monkeypatch.context() as patch:
                        patch.setattr(apply, "SET_BASED", False)
                        settle(day, b.pk, b.pk)
                    assert books(a.pk) == books(b.pk), (day, amount)
                    split = [
                        Debit.objects.filter(reference=ref).values_list("state", "applied", "refund").get()
                        for ref in (f"A{number}", f"B{number}")
                    ]
                    assert split[0] == split[1], (day, amount)
                    assert Debit.objects.get(reference=f"A{number}").applied > 0
                    assert loans_reconcile([a.pk, b.pk]) == []
                raise _Undo
        except _Undo:
            pass
    # The walk reached loans in every state it means to compare.
    matured = Loan.objects.get(pk=loans[0].pk)
    assert matured.principal_overdue == Decimal("100000.00") and matured.penalty_through is not None
