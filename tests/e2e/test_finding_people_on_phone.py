"""At 390 px a farmer is found by his phone's tail from the farmer list's box, and the farmer list and the
whitelist are cards (no sideways scroll), each with the limit figures."""

import pytest

from origination.models import WhitelistEntry
from tests.e2e.conftest import log_in, screenshot
from tests.factories import PASSWORD
from tests.factories import SOUND_BOOK_DAY as TODAY

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TALLEST_CELL = 80


def _fits_a_phone(page, table):
    assert page.evaluate("document.documentElement.scrollWidth") <= 390, "the page must not scroll sideways"
    heights = page.locator(f"[data-testid={table}] tbody td").evaluate_all(
        "cells => cells.map(c => c.getBoundingClientRect().height)"
    )
    assert heights and max(heights) <= TALLEST_CELL, heights


def test_a_farmer_is_found_by_his_phone_tail_on_a_phone(live_server, world, phone_page):
    farmer, limit = world["farmer"], world["limit"]
    WhitelistEntry.objects.create(program=world["program"], farmer=farmer, credit_limit=limit, added_on=TODAY)
    log_in(phone_page, live_server.url, "manager", PASSWORD)

    phone_page.goto(f"{live_server.url}/farmers/")
    phone_page.locator("input[name=q]").fill(farmer.phone[-4:])
    phone_page.locator("form[role=search] button[type=submit]").click()
    phone_page.wait_for_url("**/farmers/?q=*")
    table = phone_page.get_by_test_id("farmer-table").inner_text()
    assert farmer.name in table and "100,000.00" in table and "50,000.00" in table
    _fits_a_phone(phone_page, "farmer-table")
    screenshot(phone_page, "farmer-list-phone")

    phone_page.goto(f"{live_server.url}/whitelist/?q={farmer.id_masked[-4:]}")
    assert farmer.name in phone_page.get_by_test_id("whitelist-table").inner_text()
    _fits_a_phone(phone_page, "whitelist-table")
    screenshot(phone_page, "whitelist-phone")
