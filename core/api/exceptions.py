"""One exception handler: every API error is ``{"code", "detail"}`` (plus fields the contract adds).

A raw database error of concurrent writes is answered here, once for every endpoint, as the retryable
refusal ``core.db_errors`` makes of it (409 ``conflict`` or ``busy``).
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, JsonResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler, set_rollback

from core.db_errors import database_refusal
from core.error_codes import ErrorCode
from core.errors import DomainError


class BadRequest(exceptions.APIException):
    status_code = status.HTTP_400_BAD_REQUEST
    default_code = ErrorCode.BAD_REQUEST
    default_detail = gettext_lazy("The request could not be understood.")


class ServerError(exceptions.APIException):
    status_code = status.HTTP_500_INTERNAL_SERVER_ERROR
    default_code = ErrorCode.SERVER_ERROR
    default_detail = gettext_lazy("The server ran into an error. Please try again later.")


def error_body(exc: exceptions.APIException) -> dict[str, Any]:
    """``{"code", "detail"}`` of an API exception: its code, or its class's when it holds several."""
    codes = exc.get_codes()
    code = codes if isinstance(codes, str) else exc.default_code
    return {"code": code, "detail": str(exc.detail)}


def error_response(exc: exceptions.APIException) -> JsonResponse:
    """The same body outside DRF's views, from Django's error handlers (no renderer there)."""
    return JsonResponse(error_body(exc), status=exc.status_code, json_dumps_params={"ensure_ascii": False})


def _first_message(detail: Any) -> str:
    if isinstance(detail, list) and detail:
        return _first_message(detail[0])
    if isinstance(detail, dict) and detail:
        key, value = next(iter(detail.items()))
        message = _first_message(value)
        return message if key == "non_field_errors" else f"{key}: {message}"
    return str(detail)


def domain_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    refusal = database_refusal(exc)
    if refusal is not None:
        # A conflict of concurrent writes (core.db_errors): the request may be sent again, never a 500.
        set_rollback()
        headers = {"Retry-After": "1"} if refusal.code == ErrorCode.BUSY else None
        return Response(refusal.as_dict(), status=refusal.status, headers=headers)
    if isinstance(exc, DomainError):
        return Response(exc.as_dict(), status=exc.status)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    response = exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        response.data = {
            "code": ErrorCode.INVALID,
            "detail": _("The request is invalid: %(reason)s") % {"reason": _first_message(exc.detail)},
            "fields": exc.detail,
        }
        response.status_code = status.HTTP_400_BAD_REQUEST
    elif isinstance(exc, exceptions.APIException):
        response.data = error_body(exc)
    return response
