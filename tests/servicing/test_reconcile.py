"""The reconciliation of the whole book: balances against the ledger, and no ledger row without its loan."""

import datetime as dt
from decimal import Decimal

from django.db.models import Max

from origination.models import Loan, LoanDue, LoanEntry
from origination.services.drawdown import loan_disburse
from postloan.cob import close_business_days
from servicing.reconcile import Mismatch, loans_reconcile
from servicing.services.repayments import repayment_record
from tests.factories import make_lending_world

D = dt.date


def test_the_whole_book_reconciles_and_a_ledger_row_without_its_loan_is_reported(users):
    _program, _farmer, limit = make_lending_world(users, on=D(2027, 3, 5))
    loan = loan_disburse(credit_limit=limit, amount=Decimal("100000.00"), term_months=6, actor=users["manager"])
    close_business_days(to=D(2027, 3, 25))  # the 20th charged and fell overdue
    repayment_record(loan=loan, amount=Decimal("500.00"), actor=users["manager"])
    assert loans_reconcile() == []

    # The loan keys of the ledger are the application's (no database key would refuse these rows).
    missing = Loan.objects.aggregate(high=Max("id"))["high"] + 1000
    LoanEntry.objects.create(
        loan_id=missing, business_date=D(2027, 3, 25), kind=LoanEntry.Kind.INTEREST_CHARGE, amount=Decimal("1.25")
    )
    LoanEntry.objects.create(
        loan_id=missing, business_date=D(2027, 3, 25), kind=LoanEntry.Kind.INTEREST_CHARGE, amount=Decimal("2.00")
    )
    LoanDue.objects.create(loan_id=missing, kind=LoanDue.Kind.INTEREST, due_on=D(2027, 4, 20), amount=Decimal("3.25"))

    assert loans_reconcile() == [
        Mismatch(missing, "entry_without_loan", Decimal("0"), Decimal("3.25")),
        Mismatch(missing, "due_without_loan", Decimal("0"), Decimal("3.25")),
    ]
    assert loans_reconcile([loan.pk]) == []  # a check of given loans looks at those loans only
