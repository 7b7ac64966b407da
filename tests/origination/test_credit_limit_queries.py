"""The credit-limit list, in the API and on the limit and renewal pages, asks the database the same number of
questions whatever the number of limits."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from origination.models import CreditLimit
from origination.services.drawdown import loan_disburse
from tests.conftest import api_as
from tests.factories import make_farmer, make_lending_world

ON = dt.date(2027, 6, 15)


def limits_added(users, program, first: int, count: int) -> None:
    """``count`` more limits, each of its own farmer; every other one already past its expiry."""
    for n in range(first, first + count):
        farmer = make_farmer(users["manager"].org_node, body17=f"5115211970081{n:04d}", name=f"农户{n}")
        approved_on = ON - dt.timedelta(days=500) if n % 2 else ON
        CreditLimit.objects.create(
            farmer=farmer,
            program=program,
            amount=Decimal("50000.00"),
            approved_on=approved_on,
            expires_on=approved_on + dt.timedelta(days=400),
            approved_by=users["approver"],
        )


def queries_of_the_list(user, program) -> tuple[int, dict[str, object]]:
    client = api_as(user)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(f"/api/v1/credit-limits/?program={program.pk}")
    assert response.status_code == 200
    return len(queries), response.json()


def test_the_credit_limit_list_costs_the_same_for_2_and_for_12_limits(users):
    program, _farmer, limit = make_lending_world(users, on=ON)
    loan_disburse(credit_limit=limit, amount=Decimal("1000.00"), term_months=6, actor=users["manager"])
    limits_added(users, program, 0, 1)
    few, listing = queries_of_the_list(users["manager"], program)
    assert listing["count"] == 2

    limits_added(users, program, 1, 10)
    many, listing = queries_of_the_list(users["manager"], program)
    assert listing["count"] == 12

    assert many == few
    statuses = [item["status"] for item in listing["results"]]
    assert statuses.count("expired") == 5 and statuses.count("active") == 7
    assert listing["results"][0]["available"] == "999000.00"


def queries_of_the_page(user, path: str) -> tuple[int, str]:
    client = Client()
    client.force_login(user)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path)
    assert response.status_code == 200
    return len(queries), response.content.decode()


@pytest.mark.parametrize("path", ["/limits/", "/renewals/"])
def test_the_limit_and_renewal_pages_cost_the_same_for_2_and_for_12_limits(users, path):
    """Each limit's farmer, manager, programme and what is drawn come with the list, not one query per row."""
    program, _farmer, limit = make_lending_world(users, on=ON)
    loan_disburse(credit_limit=limit, amount=Decimal("1000.00"), term_months=6, actor=users["manager"])
    limits_added(users, program, 0, 1)
    # Within the renewal window: every limit expires in 30 days.
    CreditLimit.objects.update(expires_on=ON + dt.timedelta(days=30))
    few, page = queries_of_the_page(users["approver"], path)
    assert "农户0" in page

    limits_added(users, program, 1, 10)
    CreditLimit.objects.update(expires_on=ON + dt.timedelta(days=30))
    many, page = queries_of_the_page(users["approver"], path)
    assert "农户10" in page

    assert many == few
