"""Properties of servicing over random sequences of days and payments, against the reference model."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.business_date import business_date_get
from core.roles import Role
from origination.models import Loan
from origination.services.drawdown import loan_disburse
from postloan.cob import close_business_days
from servicing.interest import ReferenceLoan
from servicing.reconcile import loans_reconcile
from servicing.services.repayments import loan_owed, repayment_record
from tests.factories import make_lending_world, make_org_tree, make_user

START = dt.date(2027, 3, 5)

events = st.lists(
    st.tuples(st.integers(min_value=1, max_value=40), st.integers(min_value=0, max_value=100)),
    min_size=1,
    max_size=6,
)


@pytest.mark.slow
@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    plan=events,
    amount=st.integers(min_value=1_000, max_value=500_000),
    term=st.integers(min_value=1, max_value=6),
)
def test_any_sequence_of_days_and_payments_reconciles_and_matches_the_reference(db, plan, amount, term):
    # Each example runs in its own transaction, rolled back at the end, so examples do not meet.
    with transaction.atomic():
        _example(plan, amount, term)
        transaction.set_rollback(True)


def _example(plan, amount, term):
    org = make_org_tree()
    users = {
        "manager": make_user("m", Role.ACCOUNT_MANAGER, org.outlet_a),
        "approver": make_user("a", Role.RISK_APPROVER, org.branch),
    }
    # No margin: month-end compensation would pay what the reference model leaves overdue.
    _program, _farmer, limit = make_lending_world(users, on=START, margin=None, margin_ratio=Decimal("0"))
    principal = Decimal(amount)
    loan = loan_disburse(credit_limit=limit, amount=principal, term_months=term, actor=users["manager"])
    reference = ReferenceLoan()
    reference.disburse(principal, START, term, loan.annual_rate, loan.penalty_markup)
    for days, percent in plan:
        target = business_date_get() + dt.timedelta(days=days)
        while reference.business_day < target:
            reference.close_day(reference.business_day)
        close_business_days(to=target)
        loan = Loan.objects.get(pk=loan.pk)
        if loan.status != Loan.Status.ACTIVE:
            break
        owed = loan_owed(loan, target).total
        assert owed == reference.payoff(target).total
        payment = (owed * percent / 100).quantize(Decimal("0.01"))
        if payment > 0:
            repayment_record(loan=loan, amount=payment, actor=users["manager"])
            reference.repay(payment, target)
        loan = Loan.objects.get(pk=loan.pk)
        # no balance is ever negative, the row equals its ledger, and both equal the reference
        for field in (
            "principal_outstanding",
            "principal_overdue",
            "interest_due",
            "interest_overdue",
            "penalty_due",
        ):
            assert getattr(loan, field) >= 0, field
        assert loans_reconcile([loan.pk]) == []
        assert loan.principal_outstanding == reference.principal_outstanding
        assert loan.interest_due + loan.interest_overdue == reference.interest_due
