import datetime as dt

import pytest
from django.core.management import CommandError, call_command

from core.business_date import business_date_get, business_date_set
from core.errors import DomainError


@pytest.mark.django_db
def test_the_business_date_is_set_by_the_command():
    call_command("set_business_date", "2027-03-01")
    assert business_date_get() == dt.date(2027, 3, 1)


@pytest.mark.django_db
def test_the_date_may_move_back_while_there_are_no_loans():
    call_command("set_business_date", "2027-03-01")
    call_command("set_business_date", "2027-02-01")
    assert business_date_get() == dt.date(2027, 2, 1)


@pytest.mark.django_db
def test_moving_back_is_refused_when_not_allowed():
    business_date_set(new_date=dt.date(2027, 3, 1), backwards_allowed=False)
    with pytest.raises(DomainError) as refused:
        business_date_set(new_date=dt.date(2027, 2, 28), backwards_allowed=False)
    assert refused.value.code == "business_date_backwards"
    assert business_date_get() == dt.date(2027, 3, 1)


@pytest.mark.django_db
def test_a_malformed_date_is_a_clear_command_error():
    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        call_command("set_business_date", "2027/03/01")
