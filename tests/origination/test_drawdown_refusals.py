"""A drawdown that breaks several rules is refused with the first that applies, in the contract's order."""

import datetime as dt

from tests.conftest import api_as
from tests.factories import make_lending_world


def test_a_drawdown_too_long_and_too_large_is_refused_for_its_term_first(users):
    # given: a limit of 100,000.00 and a programme whose loans run at most 12 months
    _program, _farmer, limit = make_lending_world(users, on=dt.date(2027, 3, 5), amount="100000.00")
    # when: the farmer asks for more than the limit over a longer term
    response = api_as(users["manager"]).post(
        "/api/v1/loans/", {"credit_limit": limit.pk, "amount": "200000.00", "term_months": 24}, format="json"
    )
    # then: term_too_long comes before limit_exceeded
    assert response.status_code == 400
    assert response.json()["code"] == "term_too_long"


def test_a_drawdown_within_its_term_but_over_the_limit_is_refused_as_limit_exceeded(users):
    _program, _farmer, limit = make_lending_world(users, on=dt.date(2027, 3, 5), amount="100000.00")
    response = api_as(users["manager"]).post(
        "/api/v1/loans/", {"credit_limit": limit.pk, "amount": "200000.00", "term_months": 6}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["code"] == "limit_exceeded"
