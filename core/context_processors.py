from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from core.business_date import business_date_get


def business_context(request: HttpRequest) -> dict[str, Any]:
    """The business date in every page header, once the user is signed in."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"business_date": business_date_get()}
