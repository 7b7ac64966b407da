import pytest

from partners.models import Anchor, Program
from tests.e2e.conftest import log_in, screenshot
from tests.factories import PASSWORD, uscc_with_check

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_manager_registers_an_anchor_an_approver_approves_it_and_creates_a_programme(live_server, users, page):
    # given an account manager on the anchor form
    log_in(page, live_server.url, "manager", PASSWORD)
    page.goto(f"{live_server.url}/anchors/new/")
    page.get_by_label("企业名称").fill("特驱集团")
    page.get_by_label("统一社会信用代码").fill(uscc_with_check("91510100MA6CX0001"))
    page.get_by_label("担保能力（元）").fill("500000000")
    page.get_by_role("button", name="保存").click()
    page.wait_for_load_state("networkidle")
    assert page.get_by_test_id("anchor-status").inner_text() == "待审批"
    anchor = Anchor.objects.get()

    # when a risk approver approves it from its page
    page.context.clear_cookies()
    log_in(page, live_server.url, "approver", PASSWORD)
    page.goto(f"{live_server.url}/anchors/{anchor.pk}/")
    page.get_by_role("button", name="批准准入").click()
    page.wait_for_load_state("networkidle")
    assert page.get_by_test_id("anchor-status").inner_text() == "已批准"

    # and creates a programme with the programme defaults
    page.get_by_role("link", name="新建合作方案").click()
    page.get_by_label("方案名称").fill("特驱养殖贷")
    page.get_by_label("年利率").fill("0.0435")
    page.get_by_role("button", name="设立方案").click()
    page.wait_for_load_state("networkidle")

    # then the programme page shows it active with its parameters
    assert page.get_by_test_id("program-status").inner_text() == "正常"
    assert page.locator("[data-param=order_ratio]").inner_text() == "30.00%"
    program = Program.objects.get()
    assert program.anchor_id == anchor.pk and program.status == "active"
    screenshot(page, "programme-created")
