"""Masking of personal information, done on the server only."""

from __future__ import annotations

import hashlib
import hmac

from django.conf import settings


def mask_id_number(value: str | None) -> str:
    """``110101199003070021`` → ``1101**********0021``: first four and last four kept."""
    if not value:
        return ""
    if len(value) <= 8:
        return "*" * len(value)
    return value[:4] + "*" * (len(value) - 8) + value[-4:]


def mask_phone(value: str | None) -> str:
    """``13812345678`` → ``138****5678``."""
    if not value:
        return ""
    if len(value) < 8:
        return "*" * len(value)
    return value[:3] + "*" * (len(value) - 7) + value[-4:]


def mask_region_code(value: str | None) -> str:
    """``511521`` → ``5115**``: digits 5–6 of a resident ID are those its mask hides, so they go too."""
    if not value:
        return ""
    return value[:4] + "*" * max(0, len(value) - 4)


def mask_name(value: str | None) -> str:
    """``张三丰`` → ``张**``: the surname is enough to recognise a customer in a list."""
    if not value:
        return ""
    return value[0] + "*" * (len(value) - 1)


def pii_hash(value: str) -> str:
    """Keyed hash (HMAC-SHA256) used to look up and de-duplicate identity numbers."""
    key = settings.PII_HASH_KEY.encode()
    return hmac.new(key, value.strip().upper().encode(), hashlib.sha256).hexdigest()
