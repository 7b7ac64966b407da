from decimal import Decimal

import pytest

from core.errors import DomainError
from origination.services.margin import margin_withdraw
from partners.models import MarginEntry
from partners.services.margin import margin_balance, margin_deposit
from tests.concurrency import run_concurrently
from tests.factories import make_anchor, make_program


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_withdrawals_cannot_overdraw_the_margin(users):
    # given a balance of 1,000.00 and no loans (nothing required)
    program = make_program(make_anchor(users["manager"], approver=users["approver"]), users["approver"])
    margin_deposit(program=program, amount=Decimal("1000.00"), actor=users["manager"])

    # when two people withdraw 600.00 at the same moment
    def withdraw(user):
        return lambda: margin_withdraw(program=program, amount=Decimal("600.00"), actor=user)

    results = run_concurrently(withdraw(users["manager"]), withdraw(users["approver"]))

    # then exactly one succeeds and the balance never goes below zero
    succeeded = [r for r in results if isinstance(r, MarginEntry)]
    refused = [r for r in results if isinstance(r, DomainError)]
    assert len(succeeded) == 1, results
    assert len(refused) == 1 and refused[0].code == "margin_insufficient"
    assert margin_balance(program.pk) == Decimal("400.00")
