"""The campaign pages in real Chromium at 375 px: no sideways scroll, and axe finds nothing serious."""

from __future__ import annotations

from pathlib import Path

import pytest

from campaigns.models import Campaign
from campaigns.services import campaign_approve, campaign_create, sms_template_create
from tests.campaigns.world import whitelisted
from tests.e2e.conftest import log_in, screenshot
from tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
AXE_RUN = """async () => {
  const result = await axe.run(document, {resultTypes: ["violations"]});
  return result.violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => ({id: v.id, nodes: v.nodes.slice(0, 3).map((n) => n.target.join(" "))}));
}"""
BODY = "{farmer_name}您好！您在{programme}的预授信额度尚可用{limit_room}元，可到{outlet}或致电{outlet_phone}办理。"


@pytest.fixture
def narrow_page(browser):
    context = browser.new_context(
        viewport={"width": 375, "height": 812}, locale="zh-CN", is_mobile=True, bypass_csp=True
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def test_every_campaign_page_fits_a_phone_and_passes_axe(live_server, users, narrow_page, settings):
    settings.SMS_QUIET_HOURS = "00:00-00:00"  # never quiet: the approval sends at once, whatever the hour
    whitelisted(users, 4)
    template = sms_template_create(name="额度可用提醒", body=BODY, actor=users["manager"])
    sent = campaign_create(name="春季补栏额度提醒", template=template, actor=users["manager"])
    campaign_approve(campaign=sent, actor=users["leader"])  # sent in process through the log backend
    waiting = campaign_create(name="夏季饲料采购提醒", template=template, actor=users["manager"])
    assert Campaign.objects.get(pk=sent.pk).status == Campaign.Status.DONE
    log_in(narrow_page, live_server.url, "leader", PASSWORD)
    pages = [
        "/campaigns/",
        "/campaigns/templates/",
        "/campaigns/opt-outs/",
        f"/campaigns/{sent.pk}/",
        f"/campaigns/{waiting.pk}/",
        f"/campaigns/{sent.pk}/messages/",
    ]
    problems = []
    for address in pages:
        response = narrow_page.goto(f"{live_server.url}{address}")
        assert response is not None and response.status == 200, address
        width = narrow_page.evaluate("document.documentElement.scrollWidth")
        if width > 375:
            problems.append(f"{address}: {width} px wide")
        narrow_page.add_script_tag(path=str(AXE))
        violations = narrow_page.evaluate(AXE_RUN)
        if violations:
            problems.append(f"{address}: {violations}")
        screenshot(narrow_page, "campaign" + address.replace("/", "-").rstrip("-"))
    narrow_page.context.clear_cookies()
    log_in(narrow_page, live_server.url, "manager", PASSWORD)
    narrow_page.goto(f"{live_server.url}/campaigns/new/")
    if narrow_page.evaluate("document.documentElement.scrollWidth") > 375:
        problems.append("/campaigns/new/ too wide")
    narrow_page.add_script_tag(path=str(AXE))
    if violations := narrow_page.evaluate(AXE_RUN):
        problems.append(f"/campaigns/new/: {violations}")
    assert problems == []
