"""The drawdown page offers only the terms that can work, keeps what was typed, and shows the schedule first."""

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.test import Client
from django.utils.translation import gettext, override

from core.error_codes import ErrorCode
from core.errors import DomainError
from origination.models import CreditLimit, Loan
from origination.schedule import interest_estimate
from origination.services.drawdown import loan_disburse
from servicing.interest import ReferenceLoan
from tests.factories import make_lending_world

D = dt.date
ESTIMATE = (
    "Interest is an estimate: it assumes the whole amount stays outstanding until maturity. "
    "Repaying earlier charges less."
)


def zh(msgid: str) -> str:
    """The page's sentence in Chinese (the msgid while the catalogue has yet to take it)."""
    with override("zh-hans"):
        return gettext(msgid)


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def offered_terms(page: str) -> list[int]:
    form = page[page.index('data-testid="drawdown-form"') :]
    select = form[form.index('name="term_months"') : form.index("</select>")]
    return [int(n) for n in re.findall(r'<option value="(\d+)"', select)]


def selected_term(page: str) -> int:
    return int(re.search(r'<option value="(\d+)"\s+selected', page).group(1))


@pytest.mark.parametrize(
    ("on", "expires_on", "max_term", "expected"),
    [
        (D(2027, 3, 5), D(2027, 9, 10), 12, 6),  # the limit's expiry binds: 7 months would mature on 5 October
        (D(2027, 3, 5), D(2028, 9, 1), 12, 12),  # the programme's maximum binds
        (D(2027, 1, 31), D(2027, 2, 28), 12, 1),  # month end: one month matures on the expiry day itself
        (D(2027, 3, 5), D(2027, 9, 5), 6, 6),  # both bind on the same day
    ],
)
def test_the_offered_terms_are_exactly_those_the_drawdown_accepts(users, on, expires_on, max_term, expected):
    # given: a limit of 1,000,000 expiring on expires_on, in a programme whose loans run at most max_term months
    _program, _farmer, limit = make_lending_world(users, on=on, max_term_months=max_term)
    CreditLimit.objects.filter(pk=limit.pk).update(expires_on=expires_on)
    limit.refresh_from_db()
    # when: the manager opens the drawdown page
    page = client_for(users["manager"]).get(f"/limits/{limit.pk}/drawdown/").content.decode()
    # then: 1 … expected are offered, the longest chosen, and each of them is accepted
    terms = offered_terms(page)
    assert terms == list(range(1, expected + 1))
    assert selected_term(page) == expected
    for term in terms:
        loan = loan_disburse(credit_limit=limit, amount=Decimal("1000.00"), term_months=term, actor=users["manager"])
        assert loan.maturity_on <= expires_on
    # and the next one is refused for its term
    with pytest.raises(DomainError) as refused:
        loan_disburse(credit_limit=limit, amount=Decimal("1000.00"), term_months=expected + 1, actor=users["manager"])
    assert refused.value.code == ErrorCode.TERM_TOO_LONG


def test_a_limit_no_term_fits_says_so_instead_of_a_form(users):
    _program, _farmer, limit = make_lending_world(users, on=D(2027, 3, 5))
    CreditLimit.objects.filter(pk=limit.pk).update(expires_on=D(2027, 4, 1))
    page = client_for(users["manager"]).get(f"/limits/{limit.pk}/drawdown/").content.decode()
    assert 'data-testid="no-term"' in page and "2027-04-01" in page
    assert 'data-testid="drawdown-form"' not in page
    # and a post cannot draw from it either
    client_for(users["manager"]).post(
        f"/limits/{limit.pk}/drawdown/", {"amount": "1000", "term_months": "1", "action": "confirm"}
    )
    assert not Loan.objects.exists()


def test_an_amount_above_what_is_available_keeps_every_input(users):
    _program, _farmer, limit = make_lending_world(users, on=D(2027, 3, 5), amount="50000.00")
    page = (
        client_for(users["manager"])
        .post(f"/limits/{limit.pk}/drawdown/", {"amount": "60,000", "term_months": "6", "action": "preview"})
        .content.decode()
    )
    assert "可用金额仅为 50,000.00 元" in page
    assert 'value="60,000"' in page and selected_term(page) == 6
    assert 'data-testid="drawdown-preview"' not in page
    assert not Loan.objects.exists()


def test_a_refusal_at_confirmation_keeps_every_input(users):
    # given: the anchor has put up no margin, so the service refuses the loan when it is confirmed
    _program, _farmer, limit = make_lending_world(users, on=D(2027, 3, 5), margin=None)
    page = (
        client_for(users["manager"])
        .post(f"/limits/{limit.pk}/drawdown/", {"amount": "20000.00", "term_months": "3", "action": "confirm"})
        .content.decode()
    )
    assert "保证金" in page  # the service's own reason, margin_insufficient
    assert 'value="20000.00"' in page and selected_term(page) == 3
    assert not Loan.objects.exists()


def test_the_preview_shows_the_schedule_and_creates_nothing_then_confirm_disburses(users):
    _program, _farmer, limit = make_lending_world(users, on=D(2027, 3, 5))
    client = client_for(users["manager"])
    # when: the manager asks for the schedule of 100,000 over 3 months at 4.35 %
    page = client.post(
        f"/limits/{limit.pk}/drawdown/", {"amount": "100000", "term_months": "3", "action": "preview"}
    ).content.decode()
    # then: the 20ths of March, April and May, the maturity on 5 June, and the interest of each
    assert not Loan.objects.exists()
    preview = page[page.index('data-testid="drawdown-preview"') :]
    for day, interest in [
        ("2027-03-20", "193.33"),  # 16 days, 5–20 March
        ("2027-04-20", "374.58"),  # 31 days
        ("2027-05-20", "362.50"),  # 30 days
        ("2027-06-05", "193.33"),  # 16 days, 21 May – 5 June
    ]:
        assert re.search(rf"<td>\s*{day}\s*(<br>.*?)?</td>.*?{interest}</td>", preview, re.S), day
    assert re.search(r'data-testid="maturity">\s*2027-06-05\s*<', preview)
    assert re.search(r'data-testid="total-interest">\s*1,123.74<', preview)
    assert zh(ESTIMATE) in preview  # labelled as an estimate
    # the confirmation carries the same values
    assert re.search(r'name="amount"\s+value="100000.00"', preview)
    assert re.search(r'name="term_months"\s+value="3"', preview)
    # when: he confirms
    response = client.post(
        f"/limits/{limit.pk}/drawdown/", {"amount": "100000.00", "term_months": "3", "action": "confirm"}
    )
    loan = Loan.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/loans/{loan.pk}/"
    assert loan.principal == Decimal("100000.00") and loan.term_months == 3 and loan.maturity_on == D(2027, 6, 5)


@pytest.mark.parametrize(
    ("amount", "on", "term", "rate"),
    [
        ("100000.00", D(2027, 3, 5), 3, "0.0435"),
        ("12345.67", D(2027, 1, 31), 13, "0.0521"),  # month ends
        ("500.00", D(2027, 3, 20), 2, "0.036"),  # disbursed on a 20th
        ("999999.99", D(2027, 12, 21), 12, "0.0785"),  # the day after a 20th, over the year end
        ("1.00", D(2028, 2, 29), 1, "0.0435"),  # a leap day; rounds to the fen
    ],
)
def test_the_estimate_is_what_servicing_charges_when_nothing_is_repaid(amount, on, term, rate):
    # given: servicing's reference model of one loan, closed day by day to maturity without a repayment
    loan = ReferenceLoan()
    loan.disburse(Decimal(amount), on, term, Decimal(rate))
    day = on
    while day <= loan.terms.maturity_on:
        loan.close_day(day)
        day += dt.timedelta(days=1)
    # then: the estimate gives the same dates and the same charges
    estimate = interest_estimate(Decimal(amount), on, term, Decimal(rate))
    assert [(d.on, d.interest) for d in estimate.dates] == [(c.on, c.amount) for c in loan.charges]
    assert estimate.total == loan.interest_charged
    assert estimate.maturity_on == loan.terms.maturity_on
