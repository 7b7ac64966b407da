"""Pluggable SMS backends. The default writes the message to the log (no gateway needed).

It logs at DEBUG: a batch approval sends hundreds of messages, and the outbox
rows (admin: Notifications) keep every one. ``LOG_LEVEL=DEBUG`` shows them as they go.
"""

from __future__ import annotations

import logging
from typing import Protocol

from django.conf import settings
from django.utils.module_loading import import_string

from core.masking import mask_phone

log = logging.getLogger("origination.sms")


class SmsBackend(Protocol):
    def send(self, *, recipient: str, text: str, idempotency_key: str) -> str:
        """Send one message; returns the gateway's message id. The key lets a gateway drop a repeat."""


class LogSmsBackend:
    def send(self, *, recipient: str, text: str, idempotency_key: str) -> str:
        log.debug("SMS to %s [%s]: %s", mask_phone(recipient), idempotency_key, text)
        return f"log:{idempotency_key}"


def sms_backend() -> SmsBackend:
    backend: SmsBackend = import_string(settings.SMS_BACKEND)()
    return backend
