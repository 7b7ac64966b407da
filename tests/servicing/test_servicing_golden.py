"""Hand-worked servicing figures, through the real services and the real close of business.

100,000.00 at 4.35 % a year, actual/360: one day of interest is 100,000 × 0.0435 / 360 = 12.083333…
"""

import datetime as dt
from decimal import Decimal

import pytest

from core.business_date import business_date_get
from origination.models import CompensationDemand, Loan, LoanEntry
from origination.services.drawdown import loan_disburse
from partners.services.margin import margin_balance
from postloan.cob import close_business_days
from servicing.reconcile import loans_reconcile
from servicing.services.repayments import loan_dpd, repayment_record
from tests.conftest import api_as
from tests.factories import make_lending_world

D = dt.date


@pytest.fixture
def loan(users):
    _program, _farmer, limit = make_lending_world(users, on=D(2027, 3, 5))
    response = api_as(users["manager"]).post(
        "/api/v1/loans/", {"credit_limit": limit.pk, "amount": "100000.00", "term_months": 6}, format="json"
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["disbursed_on"] == "2027-03-05" and body["maturity_on"] == "2027-09-05"
    return Loan.objects.get(pk=body["id"])


def close_to(day):
    close_business_days(to=day)
    assert business_date_get() == day


def charges(loan):
    return [e.amount for e in LoanEntry.objects.filter(loan=loan, kind="interest_charge").order_by("id")]


def test_first_settlement_after_a_mid_month_drawdown(users, loan):
    # 5–20 March inclusive is 16 days: 100,000 × 16 × 0.0435 / 360 = 193.333… → 193.33
    close_to(D(2027, 3, 21))
    loan.refresh_from_db()
    assert charges(loan) == [Decimal("193.33")]
    body = api_as(users["manager"]).get(f"/api/v1/loans/{loan.pk}/").json()
    assert body["interest_due"] == "193.33"
    assert body["overdue_amount"] == "193.33"
    assert body["dpd"] == 1  # due on the 20th, unpaid on the 21st
    assert body["classification"] == "special_mention"


def test_a_full_month_between_two_settlements(users, loan):
    # 21 March – 20 April is 31 days: 100,000 × 31 × 0.0435 / 360 = 374.583… → 374.58
    close_to(D(2027, 3, 21))
    repayment_record(loan=loan, amount=Decimal("193.33"), actor=users["manager"])
    close_to(D(2027, 4, 21))
    assert charges(Loan.objects.get(pk=loan.pk)) == [Decimal("193.33"), Decimal("374.58")]


def test_paying_the_interest_the_next_morning_clears_the_dpd(users, loan):
    close_to(D(2027, 3, 21))
    repayment = repayment_record(loan=loan, amount=Decimal("193.33"), actor=users["manager"])
    assert (repayment.penalty, repayment.interest, repayment.principal) == (0, Decimal("193.33"), 0)
    close_to(D(2027, 3, 22))
    loan.refresh_from_db()
    assert loan_dpd(loan, business_date_get()) == 0
    assert loan.classification == "normal"


def test_early_full_repayment_pays_interest_to_the_day_before(users, loan):
    # Repaid on 15 March: 5–14 March is 10 days of interest → 120.83; the 15th itself does not count.
    close_to(D(2027, 3, 15))
    body = api_as(users["manager"]).post(f"/api/v1/loans/{loan.pk}/repayments/", {"amount": "100120.83"}, format="json")
    assert body.status_code == 201, body.json()
    assert body.json()["allocated"] == {"penalty": "0.00", "interest": "120.83", "principal": "100000.00"}
    loan.refresh_from_db()
    assert loan.status == "closed" and loan.principal_outstanding == 0
    close_to(D(2027, 3, 25))
    assert charges(Loan.objects.get(pk=loan.pk)) == [Decimal("120.83")]


def test_early_partial_repayment_lowers_the_principal_from_that_day(users, loan):
    # On 10 March pay 50,120.83: 5 days (5–9 March) of interest = 60.42, principal 50,060.41.
    close_to(D(2027, 3, 10))
    repayment = repayment_record(loan=loan, amount=Decimal("50120.83"), actor=users["manager"])
    assert repayment.interest == Decimal("60.42") and repayment.principal == Decimal("50060.41")
    # 10–20 March is 11 days on 49,939.59: 49,939.59 × 11 × 0.0435 / 360 = 66.377… → 66.38
    close_to(D(2027, 3, 21))
    assert charges(Loan.objects.get(pk=loan.pk)) == [Decimal("60.42"), Decimal("66.38")]


def test_an_overpayment_is_refused_and_changes_nothing(users, loan):
    close_to(D(2027, 3, 15))
    response = api_as(users["manager"]).post(
        f"/api/v1/loans/{loan.pk}/repayments/", {"amount": "100120.84"}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["code"] == "overpayment"
    assert not LoanEntry.objects.filter(loan=loan).exclude(kind="disbursement").exists()


@pytest.mark.slow
def test_maturity_charges_the_rest_and_the_principal_falls_due(users, loan):
    # Pay each settlement on the next morning, then reach maturity on 5 September.
    for month in range(3, 9):
        close_to(D(2027, month, 21))
        loan.refresh_from_db()
        repayment_record(loan=loan, amount=loan.interest_overdue, actor=users["manager"])
    # 21 August – 5 September is 16 days (the maturity day counts when the principal is still out): 193.33
    close_to(D(2027, 9, 6))
    loan.refresh_from_db()
    assert charges(loan)[-1] == Decimal("193.33")
    assert loan.principal_overdue == Decimal("100000.00")
    assert loan_dpd(loan, business_date_get()) == 1


@pytest.mark.slow
def test_penalty_interest_on_overdue_principal(users, loan):
    test_maturity_charges_the_rest_and_the_principal_falls_due(users, loan)
    # 6–15 September: 10 days of penalty on 100,000 at 4.35 % × 1.5 → 100,000 × 10 × 0.06525 / 360 = 181.25
    close_to(D(2027, 9, 16))
    body = api_as(users["manager"]).get(f"/api/v1/loans/{loan.pk}/").json()
    assert body["penalty_due"] == "181.25"
    repayment = repayment_record(loan=Loan.objects.get(pk=loan.pk), amount=Decimal("181.25"), actor=users["manager"])
    assert repayment.penalty == Decimal("181.25") and repayment.principal == 0


@pytest.mark.slow
def test_dpd_90_then_91_moves_the_loan_to_substandard(users):
    # No margin to compensate from, and the first interest (193.33, due 20 March) is never paid.
    _program, _farmer, limit = make_lending_world(users, on=D(2027, 3, 5), margin="0.01", margin_ratio=Decimal("0"))
    loan = loan_disburse(credit_limit=limit, amount=Decimal("100000.00"), term_months=6, actor=users["manager"])
    close_to(D(2027, 6, 18))  # 20 March + 90 days = 18 June
    loan.refresh_from_db()
    assert loan_dpd(loan, business_date_get()) == 90
    assert loan.classification == "special_mention"
    close_to(D(2027, 6, 19))
    loan.refresh_from_db()
    assert loan_dpd(loan, business_date_get()) == 91
    assert loan.classification == "substandard"


def test_month_end_deducts_what_is_still_overdue_from_the_margin(users):
    # Margin 150.00 covers part of the 193.33 interest overdue since 20 March.
    program, _farmer, limit = make_lending_world(users, on=D(2027, 3, 5), margin="150.00", margin_ratio=Decimal("0"))
    loan = loan_disburse(credit_limit=limit, amount=Decimal("100000.00"), term_months=6, actor=users["manager"])
    close_to(D(2027, 3, 31))
    demand = CompensationDemand.objects.get(loan=loan)
    assert (demand.raised_on, demand.amount, demand.status) == (D(2027, 3, 20), Decimal("193.33"), "open")
    close_to(D(2027, 4, 1))  # the close of 31 March is the month's last business day
    loan.refresh_from_db()
    demand.refresh_from_db()
    assert margin_balance(program.pk) == Decimal("0.00")
    assert loan.interest_overdue == Decimal("43.33")  # 193.33 − 150.00, no penalty on interest
    assert loan.compensated == Decimal("150.00")
    assert (demand.status, demand.compensated, demand.unrecovered) == (
        "claim",
        Decimal("150.00"),
        Decimal("43.33"),
    )
    assert loan_dpd(loan, business_date_get()) == 12  # the bank is still owed 43.33 since 20 March
    assert loans_reconcile([loan.pk]) == []


def test_compensation_clears_the_bank_but_not_the_farmers_record(users):
    _program, _farmer, limit = make_lending_world(users, on=D(2027, 3, 5), margin="10000.00", margin_ratio=Decimal("0"))
    loan = loan_disburse(credit_limit=limit, amount=Decimal("100000.00"), term_months=6, actor=users["manager"])
    close_to(D(2027, 4, 1))
    body = api_as(users["manager"]).get(f"/api/v1/loans/{loan.pk}/").json()
    assert body["dpd"] == 0 and body["overdue_amount"] == "0.00"
    assert body["compensated"] == "193.33"
    assert body["shadow_dpd"] == 12  # he was late since 20 March, whoever paid
