"""Loan pages: drawdown from the farmer's limit, the loan with schedule and ledger, repayment, downgrade."""

import datetime as dt
from decimal import Decimal

from django.test import Client

from origination.models import Loan
from postloan.cob import close_business_days
from tests.factories import make_lending_world

D = dt.date
CONFIRM_100000_6 = {"amount": "100000", "term_months": "6", "action": "confirm"}


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_drawdown_from_the_farmer_page_then_the_loan_page(users):
    _program, farmer, limit = make_lending_world(users, on=D(2027, 3, 5))
    client = client_for(users["manager"])
    assert "提款" in client.get(f"/farmers/{farmer.pk}/").content.decode()
    response = client.post(f"/limits/{limit.pk}/drawdown/", CONFIRM_100000_6, follow=True)
    loan = Loan.objects.get()
    assert response.redirect_chain[-1][0] == f"/loans/{loan.pk}/"
    page = response.content.decode()
    assert "还款计划" in page and "分户账" in page and "100,000.00" in page


def test_a_drawdown_above_the_limit_shows_why(users):
    _program, _farmer, limit = make_lending_world(users, on=D(2027, 3, 5), amount="50000.00")
    response = client_for(users["manager"]).post(
        f"/limits/{limit.pk}/drawdown/", {"amount": "60000", "term_months": "6"}, follow=True
    )
    assert "可用金额仅为 50,000.00 元" in response.content.decode()
    assert not Loan.objects.exists()


def test_repayment_and_downgrade_from_the_loan_page(users):
    _program, _farmer, limit = make_lending_world(users, on=D(2027, 3, 5))
    client_for(users["manager"]).post(f"/limits/{limit.pk}/drawdown/", CONFIRM_100000_6)
    loan = Loan.objects.get()
    close_business_days(to=D(2027, 3, 21))
    page = client_for(users["manager"]).post(f"/loans/{loan.pk}/repay/", {"amount": "193.33"}, follow=True)
    assert "还款已入账" in page.content.decode()
    client_for(users["approver"]).post(
        f"/loans/{loan.pk}/classify/", {"classification": "substandard", "reason": "借款人涉诉，经营恶化"}
    )
    loan.refresh_from_db()
    assert loan.classification == "substandard" and loan.manual_classification == "substandard"
    # a manual classification never upgrades below what DPD says; it may be raised again by a later review
    client_for(users["approver"]).post(f"/loans/{loan.pk}/classify/", {"classification": "loss", "reason": "核销准备"})
    assert Loan.objects.get(pk=loan.pk).classification == "loss"


def test_the_programme_page_shows_its_health(users):
    program, _farmer, limit = make_lending_world(users, on=D(2027, 3, 5), margin="50.00", margin_ratio=Decimal("0"))
    client_for(users["manager"]).post(f"/limits/{limit.pk}/drawdown/", CONFIRM_100000_6)
    close_business_days(to=D(2027, 4, 1))
    page = client_for(users["leader"]).get(f"/programs/{program.pk}/").content.decode()
    assert "项目健康度" in page
    assert 'data-testid="gross-delinquency">193.33<' in page
