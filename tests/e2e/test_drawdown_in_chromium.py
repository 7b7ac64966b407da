"""A drawdown in a real browser on a phone: the schedule first, then the confirmation disburses."""

import datetime as dt

import pytest

from origination.models import Loan
from tests.e2e.conftest import log_in, screenshot
from tests.factories import PASSWORD, make_lending_world

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_schedule_then_the_confirmation_on_a_phone(live_server, users, phone_page):
    _program, _farmer, limit = make_lending_world(users, on=dt.date(2027, 3, 5))
    log_in(phone_page, live_server.url, "manager", PASSWORD)
    phone_page.goto(f"{live_server.url}/limits/{limit.pk}/drawdown/")
    phone_page.locator("#amount").fill("100,000")
    phone_page.locator("#term").select_option("3")
    phone_page.locator("button[name=action][value=preview]").click()
    phone_page.wait_for_load_state("networkidle")
    # the schedule, with the typed values kept in the form above it
    assert phone_page.get_by_test_id("total-interest").inner_text().strip() == "1,123.74"
    assert phone_page.locator("#amount").input_value() == "100,000"
    assert phone_page.evaluate("document.documentElement.scrollWidth") <= 390, "the page must not scroll sideways"
    schedule = phone_page.get_by_test_id("drawdown-preview").locator(".table-responsive")
    assert schedule.evaluate("el => el.scrollWidth <= el.clientWidth"), "the schedule must fit without scrolling"
    assert not Loan.objects.exists()
    screenshot(phone_page, "drawdown-preview-phone")
    phone_page.get_by_test_id("confirm").click()
    phone_page.wait_for_load_state("networkidle")
    loan = Loan.objects.get()
    assert phone_page.url.endswith(f"/loans/{loan.pk}/")
    assert loan.term_months == 3 and str(loan.principal) == "100000.00"
