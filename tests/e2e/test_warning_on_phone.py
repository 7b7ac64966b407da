from decimal import Decimal

import pytest

from origination.models import Loan
from postloan.models import RiskWarning
from postloan.warning_run import warnings_run
from tests.e2e.conftest import log_in, screenshot
from tests.factories import PASSWORD
from tests.factories import SOUND_BOOK_DAY as TODAY

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_account_manager_handles_a_warning_on_his_phone(live_server, world, phone_page):
    # given an overdue interest on one of his loans
    Loan.objects.filter(pk=world["loan"].pk).update(interest_overdue=Decimal("96.67"), oldest_due_date=TODAY)
    warnings_run(TODAY)
    warning = RiskWarning.objects.get(rule__code="INTEREST_OVERDUE")

    # when he opens his warnings on a phone, records a callback and closes it
    log_in(phone_page, live_server.url, "manager", PASSWORD)
    phone_page.goto(f"{live_server.url}/warnings/mine/")
    assert phone_page.get_by_test_id("my-count").inner_text() == "1"
    phone_page.get_by_text("欠息").first.click()
    phone_page.wait_for_url(f"**/warnings/{warning.pk}/")
    assert "96.67" in phone_page.get_by_test_id("warning-fact").inner_text()
    phone_page.get_by_label("处置方式").select_option("callback")
    phone_page.get_by_label("情况说明").fill("电话回访：借款人因出栏延迟，承诺本周内还息。")
    phone_page.get_by_role("button", name="保存处置记录").click()
    phone_page.wait_for_load_state("networkidle")
    phone_page.get_by_label("关闭结论").select_option("confirmed_risk")
    phone_page.get_by_label("原因").fill("借款人短期资金紧张，已纳入重点关注。")
    phone_page.get_by_role("button", name="关闭预警").click()
    phone_page.wait_for_load_state("networkidle")

    # then the warning is closed as a confirmed risk, and nothing is left in his list
    assert "确认风险" in phone_page.get_by_test_id("warning-status").inner_text()
    width = phone_page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, "the page must not scroll sideways on a phone"
    screenshot(phone_page, "warning-handled-phone")
    phone_page.goto(f"{live_server.url}/warnings/mine/")
    assert phone_page.get_by_test_id("my-count").inner_text() == "0"
    warning.refresh_from_db()
    assert (warning.status, warning.resolution, warning.actions.count()) == ("closed", "confirmed_risk", 1)
