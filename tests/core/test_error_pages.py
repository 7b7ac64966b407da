"""400, 403, 404 and 500: a Chinese page in the site's layout; ``{code, detail}`` JSON under /api/."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, SuspiciousOperation
from django.http import HttpRequest, HttpResponse
from django.test import Client, RequestFactory
from django.urls import path

from config.urls import handler400, handler403, handler404, handler500  # noqa: F401  (this module is the URLconf)
from config.urls import urlpatterns as site_urlpatterns
from core.error_pages import server_error

SITE_TITLE = "普惠金融智慧平台"
HOME_LINK = "返回首页"


def _refuse(request: HttpRequest) -> HttpResponse:
    raise PermissionDenied


def _malformed(request: HttpRequest) -> HttpResponse:
    raise SuspiciousOperation("a malformed request")


def _crash(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("a bug")


# The site's URLs, the site's error handlers, and views that fail on purpose.
urlpatterns = [
    path("broken/refused/", _refuse),
    path("broken/malformed/", _malformed),
    path("broken/crash/", _crash),
    path("api/v1/broken/refused/", _refuse),
    path("api/v1/broken/malformed/", _malformed),
    path("api/v1/broken/crash/", _crash),
    *site_urlpatterns,
]

pytestmark = pytest.mark.urls(__name__)


@pytest.fixture
def browser(db: None) -> Client:
    """A client that gets the 500 page rather than the exception, as a browser would."""
    return Client(raise_request_exception=False)


def _page(response: HttpResponse) -> str:
    assert response["Content-Type"].startswith("text/html")
    return response.content.decode()


@pytest.mark.parametrize(
    ("url", "status", "heading"),
    [
        ("/broken/malformed/", 400, "请求有误"),
        ("/broken/refused/", 403, "无权访问"),
        ("/no-such-page/", 404, "页面不存在"),
        ("/broken/crash/", 500, "系统出错了"),
    ],
)
def test_each_error_page_says_in_chinese_what_happened_in_the_sites_layout(browser, url, status, heading):
    response = browser.get(url)
    assert response.status_code == status
    page = _page(response)
    assert f"<title>{heading} · {SITE_TITLE}</title>" in page
    assert 'class="navbar-brand' in page and SITE_TITLE in page
    assert str(status) in page and heading in page
    assert HOME_LINK in page and 'href="/"' in page


def test_the_404_page_of_a_signed_in_user_keeps_the_menu(browser, users):
    browser.force_login(users["manager"])
    page = _page(browser.get("/no-such-page/"))
    assert "页面不存在" in page
    assert 'data-testid="business-date"' in page


def test_the_500_page_renders_without_the_request_context_or_the_database():
    """No ``db`` fixture here: a query would fail the test. The request carries no user or session."""
    response = server_error(RequestFactory().get("/loans/"))
    assert response.status_code == 500
    page = _page(response)
    assert "系统出错了" in page and SITE_TITLE in page and HOME_LINK in page


def test_the_500_page_still_answers_in_chinese_when_the_layout_itself_fails(settings, caplog):
    # A manifest storage without a collected manifest: every {% static %} of the layout raises.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"},
    }
    response = server_error(RequestFactory().get("/loans/"))
    assert response.status_code == 500
    page = _page(response)
    assert "系统出错了" in page and "服务器出错，请稍后再试。" in page and HOME_LINK in page
    assert "the 500 page could not be rendered" in caplog.text


@pytest.mark.parametrize("url", ["/api/v1/nope/", "/api/v1/nope", "/api/nope/"])
def test_an_unknown_api_address_answers_404_with_code_and_detail_in_json(browser, url):
    response = browser.get(url)
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"code": "not_found", "detail": "此地址没有 API 接口，接口列表见 /api/docs/。"}


def test_a_known_api_resource_that_is_missing_still_answers_with_code_and_detail(browser, users):
    browser.force_login(users["manager"])
    response = browser.get("/api/v1/loans/999999/")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


@pytest.mark.parametrize(
    ("url", "status", "code"),
    [
        ("/api/v1/broken/malformed/", 400, "bad_request"),
        ("/api/v1/broken/refused/", 403, "permission_denied"),
        ("/api/v1/broken/crash/", 500, "server_error"),
    ],
)
def test_an_api_error_outside_the_api_views_answers_with_code_and_detail_in_json(browser, url, status, code):
    response = browser.get(url)
    assert response.status_code == status
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert set(body) == {"code", "detail"} and body["code"] == code
    assert any("\u4e00" <= char <= "\u9fff" for char in body["detail"]), body["detail"]


def test_the_500_handler_answers_json_for_an_api_path_without_the_database():
    response = server_error(RequestFactory().get("/api/v1/loans/"))
    assert response.status_code == 500
    assert response["Content-Type"] == "application/json"
    assert response.content.decode() == '{"code": "server_error", "detail": "服务器出错，请稍后再试。"}'


def test_a_browser_asking_for_favicon_ico_gets_the_sites_icon_rather_than_a_404(browser):
    response = browser.get("/favicon.ico", follow=True)
    assert response.redirect_chain == [("/static/favicon.svg", 301)]
    assert response.status_code == 200
    assert response["Content-Type"] == "image/svg+xml"


@pytest.mark.django_db
@pytest.mark.parametrize("query", ["q=%00", "q=a%00b", "%00=1", "list=1&q=x%00"])
def test_a_nul_character_in_the_query_string_is_a_bad_request_not_a_server_error(client, users, query):
    client.force_login(users["manager"])
    api = client.get(f"/api/v1/list-entries/?{query}")
    assert api.status_code == 400 and api.json()["code"] == "bad_request"
    for page in ("/lists/", "/loans/", "/farmers/"):
        response = client.get(f"{page}?{query}")
        assert response.status_code == 400, page
        assert "普惠金融智慧平台" in response.content.decode()
