"""The home page on a 390-pixel phone: the cards stack, one under the other, and nothing runs off the screen."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page

from tests.e2e.conftest import log_in, screenshot
from tests.factories import PASSWORD, make_anchor_operator

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _stacked(page: Page, selector: str) -> None:
    boxes = [page.locator(selector).nth(i).bounding_box() for i in range(page.locator(selector).count())]
    assert len(boxes) >= 2
    for box in boxes:
        assert box is not None and box["width"] > 300  # the card takes the phone's width
    tops = [box["y"] for box in boxes if box is not None]
    assert tops == sorted(tops) and len(set(tops)) == len(tops)  # one under the other
    assert page.evaluate("document.documentElement.scrollWidth") <= 390


def test_an_account_managers_cards_stack_on_a_phone(live_server, world, phone_page):
    log_in(phone_page, live_server.url, "manager", PASSWORD)
    assert phone_page.get_by_test_id("home-card-batches-to-review").is_visible()
    _stacked(phone_page, "[data-testid^=home-card-]")
    screenshot(phone_page, "home-manager-phone")


def test_an_anchor_operators_programme_fits_a_phone(live_server, world, phone_page):
    make_anchor_operator("anchor", world["program"].anchor)
    log_in(phone_page, live_server.url, "anchor", PASSWORD)
    programme = phone_page.get_by_test_id(f"home-program-{world['program'].pk}")
    assert programme.is_visible()
    box = programme.bounding_box()
    assert box is not None and box["width"] > 300
    assert phone_page.evaluate("document.documentElement.scrollWidth") <= 390
    _stacked(phone_page, "[data-testid^=home-card-batches-]")
    screenshot(phone_page, "home-anchor-phone")
