"""追偿: after the anchor paid for the farmer, his repayments reimburse the anchor first, oldest payment first,
each part back where it came from (the margin, or a refund of the anchor's own funds); then the bank."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.business_date import business_date_get
from core.roles import Role
from origination.models import AnchorRecovery, Loan, Repayment
from origination.services.drawdown import loan_disburse
from partners.services.margin import margin_balance
from postloan.cob import close_business_days
from servicing.anchor_payments import anchor_owed_total, anchor_payment_approve, anchor_payment_record
from servicing.interest import ReferenceLoan
from servicing.reconcile import loans_reconcile
from servicing.recovery import refunds_owed
from servicing.services.repayments import loan_owed, repayment_record
from tests.conftest import api_as
from tests.factories import make_lending_world, make_org_tree, make_user

D = dt.date
pytestmark = pytest.mark.django_db


def close_to(day):
    close_business_days(to=day)
    assert business_date_get() == day


@pytest.fixture
def compensated(users):
    """100.00 deducted from the margin on 31 March, then 93.33 + 374.58 paid by the anchor on 21 April."""
    program, _farmer, limit = make_lending_world(users, on=D(2027, 3, 5), margin="100.00", margin_ratio=Decimal("0"))
    loan = loan_disburse(credit_limit=limit, amount=Decimal("100000.00"), term_months=6, actor=users["manager"])
    close_to(D(2027, 4, 21))
    payment = anchor_payment_record(
        anchor=program.anchor,
        reference="HX1",
        amount=Decimal("467.91"),
        value_date=D(2027, 4, 21),
        actor=users["manager"],
    )
    anchor_payment_approve(payment=payment, actor=users["approver"])
    loan = Loan.objects.get(pk=loan.pk)
    assert (loan.compensated, loan.recovered, margin_balance(program.pk)) == (Decimal("567.91"), 0, 0)
    return program, loan


def recoveries(loan):
    return list(AnchorRecovery.objects.filter(loan=loan).order_by("id").values_list("source", "amount"))


def test_the_margin_is_reimbursed_first_then_the_anchors_own_funds_then_the_bank(users, compensated):
    program, loan = compensated
    first = repayment_record(loan=loan, amount=Decimal("60.00"), actor=users["manager"])
    assert (first.recovered, first.interest, first.principal) == (Decimal("60.00"), 0, 0)
    assert margin_balance(program.pk) == Decimal("60.00")  # restored to the margin: the oldest payment
    assert recoveries(loan) == [("margin", Decimal("60.00"))]
    second = repayment_record(loan=Loan.objects.get(pk=loan.pk), amount=Decimal("600.00"), actor=users["manager"])
    # 40.00 more to the margin, 467.91 to refund the anchor's own funds, 92.09 to the bank: no interest is
    # accrued since the 20th's charge (which the anchor paid), so to current principal.
    assert (second.recovered, second.interest, second.principal) == (Decimal("507.91"), 0, Decimal("92.09"))
    assert recoveries(loan)[1:] == [("margin", Decimal("40.00")), ("anchor_funds", Decimal("467.91"))]
    assert margin_balance(program.pk) == Decimal("100.00")
    assert refunds_owed(program.anchor_id) == Decimal("467.91")
    loan = Loan.objects.get(pk=loan.pk)
    assert loan.recovered == loan.compensated == Decimal("567.91")
    assert loans_reconcile() == []
    assert Repayment.objects.filter(loan=loan).count() == 2


def test_the_amount_owed_counts_what_is_due_to_the_anchor(users, compensated):
    _program, loan = compensated
    bank = loan_owed(loan, business_date_get()).total
    response = api_as(users["manager"]).post(
        f"/api/v1/loans/{loan.pk}/repayments/", {"amount": f"{bank + Decimal('567.92'):.2f}"}, format="json"
    )
    assert response.status_code == 400 and response.json()["code"] == "overpayment"
    assert response.json()["owed"] == f"{bank + Decimal('567.91'):.2f}"


START = D(2027, 3, 5)
events = st.lists(
    st.tuples(
        st.integers(min_value=1, max_value=40),
        st.integers(min_value=0, max_value=100),
        st.sampled_from(["farmer", "anchor"]),
    ),
    min_size=1,
    max_size=6,
)


@pytest.mark.slow
@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(plan=events, amount=st.integers(min_value=1_000, max_value=500_000), term=st.integers(min_value=1, max_value=6))
def test_compensation_and_recovery_match_the_reference_to_the_fen(db, plan, amount, term):
    with transaction.atomic():
        _example(plan, amount, term)
        transaction.set_rollback(True)


def _example(plan, amount, term):
    org = make_org_tree()
    users = {
        "manager": make_user("m", Role.ACCOUNT_MANAGER, org.outlet_a),
        "approver": make_user("a", Role.RISK_APPROVER, org.branch),
    }
    # No margin: the anchor pays only from its own funds, when the plan says so.
    program, _farmer, limit = make_lending_world(users, on=START, margin=None, margin_ratio=Decimal("0"))
    loan = loan_disburse(credit_limit=limit, amount=Decimal(amount), term_months=term, actor=users["manager"])
    reference = ReferenceLoan()
    reference.disburse(Decimal(amount), START, term, loan.annual_rate, loan.penalty_markup)
    for number, (days, percent, who) in enumerate(plan):
        target = business_date_get() + dt.timedelta(days=days)
        while reference.business_day < target:
            reference.close_day(reference.business_day)
        close_business_days(to=target)
        loan = Loan.objects.get(pk=loan.pk)
        if who == "anchor":
            owed = anchor_owed_total(program.anchor_id, target)
            assert owed == (reference.anchor_owed(target).total if loan.status == "active" else 0)
            payment = (owed * percent / 100).quantize(Decimal("0.01"))
            if payment > 0:
                recorded = anchor_payment_record(
                    anchor=program.anchor,
                    reference=f"R{number}",
                    amount=payment,
                    value_date=target,
                    actor=users["manager"],
                )
                anchor_payment_approve(payment=recorded, actor=users["approver"])
                reference.compensate(payment, target)
        else:
            bank = loan_owed(loan, target).total if loan.status == "active" else Decimal(0)
            owed = bank + loan.compensated - loan.recovered
            assert bank == (reference.payoff(target).total if loan.status == "active" else 0)
            payment = (owed * percent / 100).quantize(Decimal("0.01"))
            if payment > 0:
                repayment_record(loan=loan, amount=payment, actor=users["manager"])
                reference.farmer_pays(payment, target)
        loan = Loan.objects.get(pk=loan.pk)
        assert loans_reconcile([loan.pk]) == []
        assert (loan.compensated, loan.recovered) == (reference.compensated, reference.recovered)
        assert loan.principal_outstanding == reference.principal_outstanding
        assert loan.interest_due + loan.interest_overdue == reference.interest_due
        assert loan.penalty_due == reference.penalty_due
