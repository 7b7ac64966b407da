"""Django's error handlers (400, 403, 404, 500): a page in the site's layout, ``{code, detail}`` under /api/.

Django calls these only when ``DEBUG`` is off; with it on, it shows its technical pages instead.
"""

from __future__ import annotations

import logging

from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    HttpResponseForbidden,
    HttpResponseNotFound,
    HttpResponseServerError,
)
from django.template import loader
from django.urls import get_script_prefix
from django.utils.html import format_html
from django.utils.translation import gettext as _
from rest_framework import exceptions

from core.api.exceptions import BadRequest, ServerError, error_response

log = logging.getLogger(__name__)

API_PREFIX = "/api/"


def _is_api(request: HttpRequest) -> bool:
    return request.path_info.startswith(API_PREFIX)


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    if _is_api(request):
        return error_response(BadRequest())
    # Rendered without the request, as Django does: a malformed request (a host not allowed,
    # say) is not safe to hand to the context processors.
    return HttpResponseBadRequest(loader.render_to_string("400.html"))


def permission_denied(request: HttpRequest, exception: Exception) -> HttpResponse:
    if _is_api(request):
        return error_response(exceptions.PermissionDenied())
    return HttpResponseForbidden(loader.render_to_string("403.html", request=request))


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    if _is_api(request):
        return error_response(
            exceptions.NotFound(_("There is no API endpoint at this address. The endpoints are listed at /api/docs/."))
        )
    return HttpResponseNotFound(loader.render_to_string("404.html", request=request))


def server_error(request: HttpRequest) -> HttpResponse:
    """Never fails itself: no request context (no database), and plain HTML should the template fail too."""
    if _is_api(request):
        return error_response(ServerError())
    try:
        return HttpResponseServerError(loader.render_to_string("500.html"))
    except Exception:  # whatever broke the request may break the layout too (a missing static file, say)
        log.exception("the 500 page could not be rendered")
    title = _("Something went wrong")
    return HttpResponseServerError(
        format_html(
            '<!doctype html><html><head><meta charset="utf-8"><title>{}</title></head>'
            '<body><h1>{}</h1><p>{}</p><p><a href="{}">{}</a></p></body></html>',
            title,
            title,
            _("The server ran into an error. Please try again later."),
            get_script_prefix(),
            _("Back to the home page"),
        )
    )
