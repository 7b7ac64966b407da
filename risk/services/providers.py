"""Data providers (三方数据服务商): who they are and how their API pushes are authenticated.

A push is signed with HMAC-SHA256 under the provider's secret over
``"<timestamp>." + body`` and sent with the headers ``X-Provider`` (code),
``X-Timestamp`` (Unix seconds) and ``X-Signature`` (hex digest). A request is
refused when the signature is wrong, when its timestamp is more than five
minutes from the server's clock, or when the same signature came before.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audit import AuditAction, audit_record
from core.error_codes import ErrorCode
from core.errors import DomainError
from core.permissions import require_role
from core.roles import Role
from partners.models import User
from risk.models import DataProvider, ProviderRequestNonce

DEFAULT_PROVIDER_CODE = "default"
DEFAULT_PROVIDER_NAME = "三方数据服务商"  # data, not UI text: the name the bank knows its provider by
MAX_CLOCK_SKEW_SECONDS = 300
CODE_RE = re.compile(r"[a-z0-9][a-z0-9_-]{0,31}")


def provider_secret_new() -> str:
    return secrets.token_hex(32)


def provider_default() -> DataProvider:
    """The provider a delivery without one comes from, created on first use."""
    provider = DataProvider.objects.filter(is_default=True).first()
    if provider is not None:
        return provider
    provider, _created = DataProvider.objects.get_or_create(
        code=DEFAULT_PROVIDER_CODE,
        defaults={"name": DEFAULT_PROVIDER_NAME, "secret": provider_secret_new(), "is_default": True},
    )
    return provider


@transaction.atomic
def provider_create(*, name: str, code: str, actor: User) -> DataProvider:
    """Register a provider with a new signing secret (read it once from the result to hand it over)."""
    require_role(actor, Role.ADMINISTRATOR)
    code = code.strip().lower()
    if not CODE_RE.fullmatch(code):
        raise DomainError(
            ErrorCode.INVALID_PROVIDER_CODE,
            _("A provider code has 1 to 32 lower-case letters, digits, hyphens or underscores."),
        )
    if not name.strip():
        raise DomainError(ErrorCode.NAME_REQUIRED, _("Give the provider's name."))
    if DataProvider.objects.filter(code=code).exists():
        raise DomainError(ErrorCode.DUPLICATE_PROVIDER, _("A provider with this code already exists."), status=409)
    provider = DataProvider.objects.create(code=code, name=name.strip(), secret=provider_secret_new())
    audit_record(actor=actor, action=AuditAction.PROVIDER_CREATE, subject=provider, code=code)
    return provider


@transaction.atomic
def provider_secret_rotate(*, provider: DataProvider, actor: User) -> DataProvider:
    """A new secret: requests signed with the old one are refused from now on."""
    require_role(actor, Role.ADMINISTRATOR)
    provider = DataProvider.objects.select_for_update().get(pk=provider.pk)
    provider.secret = provider_secret_new()
    provider.save(update_fields=["secret", "updated_at"])
    audit_record(actor=actor, action=AuditAction.PROVIDER_SECRET_ROTATE, subject=provider)
    return provider


def provider_signature(*, secret: str, timestamp: str, body: bytes) -> str:
    """The hex HMAC-SHA256 a provider sends in ``X-Signature``."""
    return hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


@transaction.atomic
def provider_verify_request(
    *, provider_code: str, timestamp: str, signature: str, body: bytes, now: float
) -> DataProvider:
    """The provider that signed this request, or a refusal (401, or 409 for a replay).

    ``now`` is the real time (``time.time()``): replay protection is about
    the wall clock, not the business date. The signature is checked before
    the timestamp, so only the holder of the secret learns that a request
    was stale. The nonce is written in the caller's transaction: a push
    whose import fails may be sent again.
    """
    provider = DataProvider.objects.filter(code=provider_code.strip(), is_active=True).first()
    if provider is None:
        raise DomainError(ErrorCode.UNKNOWN_PROVIDER, _("Unknown or inactive data provider."), status=401)
    expected = provider_signature(secret=provider.secret, timestamp=timestamp, body=body)
    given = signature.strip().lower()
    if not hmac.compare_digest(expected.encode(), given.encode("utf-8", "replace")):
        raise DomainError(ErrorCode.BAD_SIGNATURE, _("The request signature is wrong."), status=401)
    try:
        age = abs(now - float(timestamp))
    except ValueError:
        age = float("inf")
    if not age <= MAX_CLOCK_SKEW_SECONDS:  # also refuses nan
        raise DomainError(
            ErrorCode.STALE_REQUEST,
            _("The request timestamp is more than %(seconds)d seconds from the server's clock.")
            % {"seconds": MAX_CLOCK_SKEW_SECONDS},
            status=401,
        )
    try:
        with transaction.atomic():
            ProviderRequestNonce.objects.create(provider=provider, signature=given, received_at=timezone.now())
    except IntegrityError:
        raise DomainError(ErrorCode.REPLAYED_REQUEST, _("This request was received before."), status=409) from None
    return provider
