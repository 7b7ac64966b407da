"""The signed-in user of a request, typed as our User (views only run for authenticated users)."""

from __future__ import annotations

from typing import Any, cast

from partners.models import User


def acting_user(request: Any) -> User:
    return cast(User, request.user)
