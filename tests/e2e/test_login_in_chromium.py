import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import log_in, screenshot
from tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_manager_logs_in_through_the_real_page_and_sees_the_chinese_home(live_server, users, page):
    log_in(page, live_server.url, "manager", PASSWORD)
    assert page.locator("h1").inner_text().startswith("您好")
    assert page.get_by_test_id("home-business-date").inner_text()
    assert "客户经理" in page.content()
    screenshot(page, "home-desktop")


def test_the_menu_collapses_on_a_phone(live_server, users, phone_page):
    log_in(phone_page, live_server.url, "leader", PASSWORD)
    toggler = phone_page.locator(".navbar-toggler")
    assert toggler.is_visible()
    toggler.click()
    # The menu opens with an animation: wait for it, then the groups open their links.
    expect(phone_page.get_by_role("link", name="首页")).to_be_visible()
    phone_page.get_by_role("button", name="贷款").click()
    expect(phone_page.get_by_role("link", name="贷款", exact=True)).to_be_visible()
    screenshot(phone_page, "home-phone")


def test_a_wrong_password_shows_a_chinese_error(live_server, users, page):
    log_in(page, live_server.url, "manager", "wrong-password")
    assert "用户名或密码不正确" in page.content()
