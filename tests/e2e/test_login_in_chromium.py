import pytest

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
    assert phone_page.get_by_role("link", name="首页").is_visible()
    screenshot(phone_page, "home-phone")


def test_a_wrong_password_shows_a_chinese_error(live_server, users, page):
    log_in(page, live_server.url, "manager", "wrong-password")
    assert "用户名或密码不正确" in page.content()
