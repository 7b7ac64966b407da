"""The Content-Security-Policy in real Chromium: the pages' inline scripts (charts, the row panel htmx
swaps in), the language switcher, the API docs and the admin all run under it, and nothing is refused."""

import pytest

from tests.e2e.conftest import log_in, screenshot
from tests.e2e.test_dashboards_in_chromium import PAGES, _charts_drawn, dashboards  # noqa: F401 - the fixture
from tests.factories import PASSWORD
from tests.origination.test_batch_processing import batch  # noqa: F401 - the fixture
from tests.origination.test_review_pages import processed  # noqa: F401 - the fixture

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Every violation the page reports, whether or not the browser also logs it.
LISTEN = """window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__cspViolations.push(`${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`);
});"""


@pytest.fixture
def watched(page):
    """The page, with a list of the console errors and script errors it gives."""
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(f"uncaught: {error}"))
    page.add_init_script(LISTEN)
    page.errors = errors
    return page


def _nothing_refused(page) -> None:
    violations = page.evaluate("window.__cspViolations || []")
    refused = [e for e in page.errors if "Content Security Policy" in e or "Content-Security-Policy" in e]
    assert violations == [] and refused == [], (violations, refused)
    assert not [e for e in page.errors if e.startswith("uncaught")], page.errors


def test_the_dashboards_draw_their_charts_under_the_policy(live_server, dashboards, watched):  # noqa: F811
    log_in(watched, live_server.url, "leader", PASSWORD)
    for name, charts in PAGES:
        response = watched.goto(f"{live_server.url}/dashboards/{name}/")
        assert "'nonce-" in response.headers["content-security-policy"]
        _charts_drawn(watched, charts)
        _nothing_refused(watched)

    # the quarter and language selects submit their forms from the site's script, not an inline handler
    watched.goto(f"{live_server.url}/dashboards/ranking/")
    watched.get_by_role("button", name="leader").click()
    with watched.expect_navigation():
        watched.get_by_label("语言").select_option("en")
    assert watched.locator("html").get_attribute("lang") == "en"
    _nothing_refused(watched)


def test_the_row_panel_htmx_swaps_in_draws_its_chart_under_the_policy(live_server, users, processed, watched):  # noqa: F811
    log_in(watched, live_server.url, "manager", PASSWORD)
    watched.goto(f"{live_server.url}/batches/{processed.pk}/review/")
    watched.get_by_role("link", name="甲").click()
    watched.get_by_test_id("row-panel").wait_for()
    # the panel's inline script ran (with the page's nonce, given by htmx) and drew the monthly orders
    watched.wait_for_function(
        """() => { const c = document.querySelector("#rowChart canvas");
                   return c && c.width > 0 && c.getContext("2d").getImageData(0, 0, c.width, c.height).data
                     .some((v, i) => i % 4 === 3 && v !== 0); }"""
    )
    screenshot(watched, "csp-row-panel")
    _nothing_refused(watched)


def test_the_api_docs_render_swagger_ui_under_the_policy(live_server, users, watched):
    log_in(watched, live_server.url, "manager", PASSWORD)
    watched.goto(f"{live_server.url}/api/docs/")
    watched.locator(".swagger-ui .opblock").first.wait_for()
    assert watched.locator(".swagger-ui .opblock").count() > 10
    assert "/api/v1/auth/token/" in watched.locator(".swagger-ui").inner_text()
    # and a call tried from the page reaches the API
    operation = watched.locator("#operations-v1-v1_business_date_retrieve")
    operation.locator(".opblock-summary").click()
    operation.get_by_role("button", name="Try it out").click()
    operation.get_by_role("button", name="Execute").click()
    operation.locator(".live-responses-table tbody .response-col_status").first.wait_for()
    assert operation.locator(".live-responses-table tbody .response-col_status").first.inner_text().strip() == "200"
    screenshot(watched, "csp-api-docs")
    _nothing_refused(watched)


def test_the_admin_works_under_the_policy(live_server, users, watched):
    log_in(watched, live_server.url, "admin", PASSWORD)
    watched.goto(f"{live_server.url}/admin/")
    watched.get_by_role("link", name="用户").first.click()
    watched.wait_for_load_state("networkidle")
    watched.locator("#result_list tbody th a").first.click()  # a change form, with the admin's own scripts
    watched.wait_for_load_state("networkidle")
    assert watched.locator("form").count() >= 1
    _nothing_refused(watched)
