"""Small helpers the browser pages of every app share."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar

from django import forms
from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext as _

from core.error_codes import ErrorCode
from core.errors import DomainError

T = TypeVar("T")


def call_service(form: forms.BaseForm, call: Callable[[], T]) -> T | None:
    """Run a service for a validated form; a refusal becomes the form's error in the user's language.

    A form that was never validated (unbound, or ``is_valid`` not called) has no ``cleaned_data`` and
    cannot carry an error: the refusal then goes on to ``DomainErrorPageMiddleware``, which answers
    with the refusal page and its 4xx status, instead of failing on the form with a server error.
    """
    try:
        return call()
    except DomainError as exc:
        if not hasattr(form, "cleaned_data"):
            raise
        field = exc.extra.get("field")
        form.add_error(field if field in form.fields else None, exc.detail)
        return None


def paginate(request: HttpRequest, queryset: QuerySet[Any], per_page: int = 50) -> Page[Any]:
    return Paginator(queryset, per_page).get_page(request.GET.get("page"))


def form_errors_text(form: forms.BaseForm) -> str:
    """Every error of a form as one sentence, for a message after a redirect."""
    return " ".join(str(error) for errors in form.errors.values() for error in errors)


def typed_amount(text: str) -> Decimal:
    """An amount of yuan as typed in a page's form (thousands separators allowed); a refusal if not a number."""
    try:
        return Decimal(text.replace(",", "").strip())
    except InvalidOperation:
        raise DomainError(ErrorCode.INVALID_AMOUNT, _("The amount is not a number.")) from None
