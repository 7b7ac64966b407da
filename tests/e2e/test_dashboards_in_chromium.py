"""A branch manager opens the dashboards on a PC and on a phone: charts drawn, figures drilled down to the list."""

import datetime as dt

import pytest
from django.core.cache import cache

from core.roles import Role
from partners.models import OrgNode
from partners.services.org import org_node_create
from postloan.dashboards.aggregates import aggregates_write
from postloan.models import RiskWarning
from tests.e2e.conftest import log_in, screenshot
from tests.factories import PASSWORD, make_user
from tests.postloan.dashboard_book import DAY, hold, make_book, on, products_ensure, warning

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NEXT = DAY + dt.timedelta(days=1)
PAGES = (
    ("warnings", 3),
    ("programmes", 4),
    ("cross-selling", 2),
    ("ranking", 1),
)
# Pixels of each ECharts canvas that are not transparent (the chart drew something).
PAINTED = """() => Array.from(document.querySelectorAll("[data-chart]")).map((box) => {
  const canvas = box.querySelector("canvas");
  if (!canvas || !canvas.width || !canvas.height) { return 0; }
  const pixels = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
  let painted = 0;
  for (let i = 3; i < pixels.length; i += 4) { if (pixels[i] !== 0) { painted += 1; } }
  return painted;
})"""


@pytest.fixture
def dashboards(users, org):
    cache.clear()  # the live server shares this process's cache
    products_ensure()
    # a third priority sub-branch that lends nothing: last of its class
    sub_c = org_node_create(
        code="SC", name="锦江支行", kind=OrgNode.Kind.SUB_BRANCH, parent=org.branch, sub_branch_class="priority"
    )
    org_node_create(code="OC", name="春熙网点", kind=OrgNode.Kind.OUTLET, parent=sub_c)
    on(DAY)
    aggregates_write(DAY)  # the opening figures, before any loan
    book = make_book(users, org)
    hold(book.farmer_a, "DEBIT_CARD", DAY - dt.timedelta(days=200))
    hold(book.farmer_b, "MOBILE_BANKING", DAY - dt.timedelta(days=20))
    for subject, node, who in (
        (1, org.outlet_a, "manager"),
        (2, org.outlet_a, "manager"),
        (3, org.outlet_b, "manager_b"),
    ):
        warning(node, raised_on=DAY - dt.timedelta(days=subject), assignee=users[who], subject_id=subject)
    warning(org.outlet_b, rule="PRINCIPAL_OVERDUE", raised_on=DAY, assignee=users["manager_b"], subject_id=4)
    warning(
        org.outlet_a,
        raised_on=DAY - dt.timedelta(days=6),
        closed_on=DAY,
        resolution="false_alarm",
        assignee=users["manager"],
        subject_id=5,
    )
    aggregates_write(NEXT)
    on(NEXT)
    make_user("leader_sa", Role.BRANCH_MANAGER, org.sub_a)
    return book


def _charts_drawn(page, count):
    page.wait_for_function(f"({PAINTED})().filter((n) => n > 200).length >= {count}")
    painted = page.evaluate(PAINTED)
    assert len(painted) >= count and all(n > 200 for n in painted[:count]), painted


def test_a_branch_manager_reads_every_dashboard_on_a_pc_and_drills_down(live_server, dashboards, page):
    log_in(page, live_server.url, "leader", PASSWORD)
    for name, charts in PAGES:
        page.goto(f"{live_server.url}/dashboards/{name}/")
        _charts_drawn(page, charts)
        screenshot(page, f"dashboard-{name}-desktop")

    # the ranking marks the sub-branch that lent nothing
    page.goto(f"{live_server.url}/dashboards/ranking/")
    assert page.get_by_test_id("downgrade-SC").is_visible()
    assert not page.get_by_test_id("downgrade-SA").count()

    # from the open warnings of a rule to the list behind the figure
    page.goto(f"{live_server.url}/dashboards/warnings/")
    assert page.get_by_test_id("kpi-open").inner_text() == "4"
    page.get_by_test_id("drill-rule-INTEREST_OVERDUE-open").click()
    page.wait_for_url("**/warnings/?rule=INTEREST_OVERDUE&status=open")
    listed = page.locator("table tbody a[href^='/warnings/']")
    assert listed.count() == RiskWarning.objects.filter(rule__code="INTEREST_OVERDUE", status="open").count() == 3
    screenshot(page, "dashboard-drilldown-desktop")


def test_a_sub_branch_leader_reads_the_dashboards_on_his_phone(live_server, dashboards, phone_page):
    log_in(phone_page, live_server.url, "leader_sa", PASSWORD)
    for name, charts in PAGES:
        phone_page.goto(f"{live_server.url}/dashboards/{name}/")
        _charts_drawn(phone_page, charts)
        width = phone_page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"{name} must not scroll sideways on a phone"
        screenshot(phone_page, f"dashboard-{name}-phone")

    # only his sub-branch: the warnings of sub-branch B are not his
    phone_page.goto(f"{live_server.url}/dashboards/warnings/")
    assert phone_page.get_by_test_id("kpi-open").inner_text() == "2"
    assert not phone_page.get_by_test_id("drill-branch-SB-open").count()
    phone_page.get_by_test_id("drill-branch-SA-open").click()
    phone_page.wait_for_url("**/warnings/?branch=SA&status=open")
    assert phone_page.locator("table tbody a[href^='/warnings/']").count() == 2
    screenshot(phone_page, "dashboard-drilldown-phone")
