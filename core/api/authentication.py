"""API tokens that expire: ``API_TOKEN_TTL_HOURS`` after they were issued, by the wall clock.

DRF's tokens live until deleted. Here a token is good for a working day (8 hours by default); after that
it answers 401 ``token_expired`` and the client asks ``POST /api/v1/auth/token/`` for a new one, which
replaces it. Expiry is security, not business: it reads the wall clock, never the business date.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication
from rest_framework.authtoken.models import Token

from core.audit import AuditAction, audit_record
from core.error_codes import ErrorCode


def token_expires_at(token: Token) -> dt.datetime:
    created: dt.datetime = token.created
    return created + dt.timedelta(hours=settings.API_TOKEN_TTL_HOURS)


def token_expired(token: Token, *, now: dt.datetime | None = None) -> bool:
    return (now or timezone.now()) >= token_expires_at(token)


class ExpiringTokenAuthentication(TokenAuthentication):
    """``Authorization: Token …`` as DRF reads it, refused with ``token_expired`` once the token is too old."""

    def authenticate_credentials(self, key: str) -> tuple[Any, Token]:
        user, token = super().authenticate_credentials(key)
        if token_expired(token):
            raise exceptions.AuthenticationFailed(
                _("The token has expired. Ask for a new one at /api/v1/auth/token/."), code=ErrorCode.TOKEN_EXPIRED
            )
        return user, token


@transaction.atomic
def token_issue(*, user: Any) -> Token:
    """The user's token while it is valid; once it has expired, a new one (the old one is deleted)."""
    token = Token.objects.select_for_update().filter(user=user).first()
    if token is not None:
        if not token_expired(token):
            return token
        token.delete()
    # get_or_create: a concurrent first request for the same user may have made one meanwhile.
    token, created = Token.objects.get_or_create(user=user)
    if created:
        audit_record(actor=user, action=AuditAction.API_TOKEN_ISSUE, subject=user, expires_at=token_expires_at(token))
    return token


@transaction.atomic
def token_revoke(*, user: Any) -> None:
    """Delete the user's token: the next request with it is refused."""
    deleted, _rows = Token.objects.filter(user=user).delete()
    if deleted:
        audit_record(actor=user, action=AuditAction.API_TOKEN_REVOKE, subject=user)
