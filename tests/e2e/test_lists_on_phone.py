"""At 390 px the warning and loan lists are cards (no sideways scroll, no column one character wide), and a
loan's repayment form comes before its history."""

from decimal import Decimal

import pytest

from origination.models import Loan
from postloan.warning_run import warnings_run
from tests.e2e.conftest import log_in, screenshot
from tests.factories import PASSWORD
from tests.factories import SOUND_BOOK_DAY as TODAY

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# A cell of a card shows its label and its value on a line or two; a squeezed column is many lines tall.
TALLEST_CELL = 80


def _fits_a_phone(page, table):
    assert page.evaluate("document.documentElement.scrollWidth") <= 390, "the page must not scroll sideways"
    heights = page.locator(f"{table} tbody td").evaluate_all(
        "cells => cells.map(c => c.getBoundingClientRect().height)"
    )
    assert heights and max(heights) <= TALLEST_CELL, heights


def test_the_warning_and_loan_lists_are_cards_on_a_phone(live_server, world, phone_page):
    loan = world["loan"]
    Loan.objects.filter(pk=loan.pk).update(interest_overdue=Decimal("391.50"), oldest_due_date=TODAY)
    warnings_run(TODAY)
    log_in(phone_page, live_server.url, "manager", PASSWORD)

    phone_page.goto(f"{live_server.url}/warnings/")
    assert "欠息" in phone_page.get_by_test_id("warning-table").inner_text()
    _fits_a_phone(phone_page, "[data-testid=warning-table]")
    screenshot(phone_page, "warning-list-phone")

    phone_page.goto(f"{live_server.url}/loans/")
    assert world["farmer"].name in phone_page.get_by_test_id("loan-table").inner_text()
    _fits_a_phone(phone_page, "[data-testid=loan-table]")
    screenshot(phone_page, "loan-list-phone")


def test_the_anchor_and_programme_lists_are_cards_on_a_phone(live_server, world, phone_page):
    log_in(phone_page, live_server.url, "approver", PASSWORD)
    for address, name in (("/anchors/", world["program"].anchor.name), ("/programs/", world["program"].name)):
        phone_page.goto(f"{live_server.url}{address}")
        assert name in phone_page.locator("table.table-cards").inner_text()
        _fits_a_phone(phone_page, "table.table-cards")


def test_the_repayment_form_comes_before_the_history_on_a_phone(live_server, world, phone_page):
    log_in(phone_page, live_server.url, "manager", PASSWORD)
    phone_page.goto(f"{live_server.url}/loans/{world['loan'].pk}/")
    form = phone_page.get_by_test_id("repayment-form").bounding_box()
    ledger = phone_page.get_by_test_id("loan-history").bounding_box()
    repayments = phone_page.get_by_test_id("repayment-history").bounding_box()
    assert form and ledger and repayments
    assert form["y"] < ledger["y"] and form["y"] < repayments["y"]
    assert phone_page.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(phone_page, "loan-detail-phone")
