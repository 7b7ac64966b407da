"""Page middleware: a refusal raised from a page becomes a page that says why, never a server error; every
HTML page carries a Content-Security-Policy."""

from __future__ import annotations

import secrets
from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import BadRequest
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from core.db_errors import database_refusal
from core.errors import DomainError


class NulCharacterMiddleware:
    """A query string with a NUL character is refused as a bad request (400, ``bad_request``), for the API and
    the pages alike: PostgreSQL text can hold no NUL, so a filter or search reading it would fail in the
    database. Bodies need no guard here: Django's and DRF's text fields refuse NUL themselves."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if any("\x00" in key or any("\x00" in value for value in values) for key, values in request.GET.lists()):
            raise BadRequest("a NUL character in the query string")
        return self.get_response(request)


class DomainErrorPageMiddleware:
    """A refusal, or a raw database error of concurrent writes (``core.db_errors``: 409 ``conflict`` or
    ``busy``), raised from a page is the refusal page with its status; the API answers its own."""

    def __init__(self, get_response):  # type: ignore[no-untyped-def]
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)  # type: ignore[no-any-return]

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if request.path.startswith("/api/"):
            return None
        refusal = exception if isinstance(exception, DomainError) else database_refusal(exception)
        if refusal is None:
            return None
        return render(request, "refused.html", {"error": refusal}, status=refusal.status)


class ContentSecurityPolicyMiddleware:
    """A Content-Security-Policy header on every HTML response (Django 5.2 has none of its own).

    Each request gets a fresh nonce (``request.csp_nonce``) that the page's inline scripts carry; the
    policy (``CSP_POLICY``, or the one ``CSP_PATH_POLICIES`` gives the path) names it where it says
    ``{nonce}``. A response that already has the header keeps it.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        nonce = secrets.token_urlsafe(18)
        request.csp_nonce = nonce  # type: ignore[attr-defined]
        response = self.get_response(request)
        if (
            settings.CSP_ENABLED
            and "Content-Security-Policy" not in response
            and response.get("Content-Type", "").startswith("text/html")
        ):
            response["Content-Security-Policy"] = csp_policy_for(request.path).replace("{nonce}", nonce)
        return response


def csp_policy_for(path: str) -> str:
    """The policy of a path: the longest matching prefix of ``CSP_PATH_POLICIES``, else ``CSP_POLICY``."""
    prefixes = [prefix for prefix in settings.CSP_PATH_POLICIES if path.startswith(prefix)]
    if prefixes:
        return str(settings.CSP_PATH_POLICIES[max(prefixes, key=len)])
    return str(settings.CSP_POLICY)
