"""The reconciliation of the whole book: balances against the ledger, and no ledger row, due or repayment
without what it refers to."""

import datetime as dt
from decimal import Decimal

from django.db.models import Max

from origination.models import Loan, LoanDue, LoanEntry, Repayment
from origination.services.drawdown import loan_disburse
from partners.models import User
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
    loan.refresh_from_db()
    loan_interest_before = loan.interest_due + loan.interest_overdue

    # The loan keys of the ledger are the application's (no database key would refuse these rows).
    missing = Loan.objects.aggregate(high=Max("id"))["high"] + 1000
    LoanEntry.objects.create(
        loan_id=missing, business_date=D(2027, 3, 25), kind=LoanEntry.Kind.INTEREST_CHARGE, amount=Decimal("1.25")
    )
    LoanEntry.objects.create(
        loan_id=missing, business_date=D(2027, 3, 25), kind=LoanEntry.Kind.INTEREST_CHARGE, amount=Decimal("2.00")
    )
    LoanDue.objects.create(loan_id=missing, kind=LoanDue.Kind.INTEREST, due_on=D(2027, 4, 20), amount=Decimal("3.25"))
    # So are a repayment's loan and recorder, and an entry's repayment.
    split = {"penalty": Decimal(0), "interest": Decimal("4.00"), "principal": Decimal(0)}
    Repayment.objects.create(
        loan_id=missing, business_date=D(2027, 3, 25), amount=Decimal("4.00"), recorded_by=users["manager"], **split
    )
    no_user = User.objects.aggregate(high=Max("id"))["high"] + 1000
    Repayment.objects.create(
        loan=loan, business_date=D(2027, 3, 25), amount=Decimal("4.00"), recorded_by_id=no_user, **split
    )
    no_repayment = Repayment.objects.aggregate(high=Max("id"))["high"] + 1000
    LoanEntry.objects.create(
        loan=loan,
        business_date=D(2027, 3, 25),
        kind=LoanEntry.Kind.REPAID_INTEREST,
        amount=Decimal("0.50"),
        repayment_id=no_repayment,
    )

    assert sorted(loans_reconcile(), key=lambda mismatch: mismatch.field) == [
        Mismatch(missing, "due_without_loan", Decimal("0"), Decimal("3.25")),
        Mismatch(missing, "entry_without_loan", Decimal("0"), Decimal("3.25")),
        Mismatch(loan.pk, "entry_without_repayment", Decimal("0"), Decimal("0.50")),
        # The loan's own balances no longer match its ledger either (the entry of 0.50 repaid interest).
        Mismatch(loan.pk, "interest", loan_interest_before, loan_interest_before - Decimal("0.50")),
        Mismatch(missing, "repayment_without_loan", Decimal("0"), Decimal("4.00")),
        Mismatch(loan.pk, "repayment_without_recorder", Decimal("0"), Decimal("4.00")),
    ]
    # A check of given loans looks at those loans' balances only.
    assert loans_reconcile([loan.pk]) == [
        Mismatch(loan.pk, "interest", loan_interest_before, loan_interest_before - Decimal("0.50"))
    ]
