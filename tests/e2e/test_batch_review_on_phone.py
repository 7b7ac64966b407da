"""On a phone the batch review's row panel lies below the table: tapping a farmer brings it into sight."""

import pytest

from tests.e2e.conftest import log_in, screenshot
from tests.factories import PASSWORD
from tests.origination.test_batch_processing import batch  # noqa: F401 - the fixture
from tests.origination.test_review_pages import processed  # noqa: F401 - the fixture

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PANEL_TOP = "document.getElementById('rowPanel').getBoundingClientRect().top"


def test_tapping_a_row_scrolls_to_its_panel(live_server, users, processed, phone_page):  # noqa: F811
    # a short phone: the review's three rows (the mismatch's decision form is two lines) fill the screen
    phone_page.set_viewport_size({"width": 390, "height": 500})
    log_in(phone_page, live_server.url, "manager", PASSWORD)
    phone_page.goto(f"{live_server.url}/batches/{processed.pk}/review/")
    assert phone_page.evaluate(PANEL_TOP) > 500, "the panel starts out of sight, below the table"

    phone_page.get_by_role("link", name="甲").click()
    phone_page.get_by_test_id("row-panel").wait_for()
    phone_page.wait_for_function(f"() => {{ const top = {PANEL_TOP}; return top >= 0 && top < 300; }}")
    screenshot(phone_page, "batch-review-row-panel-phone")
