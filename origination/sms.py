"""Pluggable SMS backends. The default writes the message to the log (no gateway needed): the demo's only.

It logs at DEBUG: a batch approval sends hundreds of messages, and the outbox
rows (admin: Notifications) keep every one. ``LOG_LEVEL=DEBUG`` shows them as they go.

``HttpSmsBackend`` is the real one: the SMS gateway over HTTP (``SMS_GATEWAY_URL``, ``SMS_GATEWAY_KEY``).
Each request is signed: ``X-Timestamp`` (Unix seconds) and ``X-Signature``, the hex HMAC-SHA256 of
``"<timestamp>." + body`` under the key, the same scheme as the data provider's pushes; the gateway's
delivery receipts come back signed the same way (``signature_verify``). A 5xx answer, a timeout or a
refused connection is tried again with backoff (``SMS_GATEWAY_TRIES``); any other refusal is not, and
raises ``SmsRejected``. The outbox (``origination.outbox``) and the campaigns (``campaigns.sending``) both
take their backend from ``sms_backend()``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
import urllib.error
import urllib.request
from typing import Protocol

from django.conf import settings
from django.utils.module_loading import import_string

from core.masking import mask_phone

log = logging.getLogger("origination.sms")
SIGNATURE_MAX_AGE_SECONDS = 300
BACKOFF_SECONDS = 0.2


class SmsBackend(Protocol):
    def send(self, *, recipient: str, text: str, idempotency_key: str) -> str:
        """Send one message; returns the gateway's message id. The key lets a gateway drop a repeat."""


class SmsError(Exception):
    """The gateway did not take the message."""


class SmsRejected(SmsError):
    """The gateway refused the message (a 4xx but 401 and 403, which are about us): sending it again would not
    help. Any other ``SmsError`` leaves the message to be sent later."""


class SmsUnavailable(SmsError):
    """The gateway failed (5xx) or did not answer in time on every try: the message may be sent later."""


class LogSmsBackend:
    def send(self, *, recipient: str, text: str, idempotency_key: str) -> str:
        log.debug("SMS to %s [%s]: %s", mask_phone(recipient), idempotency_key, text)
        return f"log:{idempotency_key}"


def signature_of(key: str, timestamp: str, body: bytes) -> str:
    """The hex HMAC-SHA256 of ``"<timestamp>." + body`` under ``key``: a request's or a receipt's ``X-Signature``."""
    return hmac.new(key.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def signature_verify(*, key: str, timestamp: str, signature: str, body: bytes, now: float | None = None) -> bool:
    """Whether ``signature`` signs ``body`` at ``timestamp`` under ``key``, the timestamp within five minutes."""
    if not key or not timestamp.isdigit():
        return False
    if abs((time.time() if now is None else now) - int(timestamp)) > SIGNATURE_MAX_AGE_SECONDS:
        return False
    expected = signature_of(key, timestamp, body)
    return hmac.compare_digest(expected.encode(), signature.encode("utf-8", "replace"))


class HttpSmsBackend:
    """The SMS gateway over HTTP: ``POST <SMS_GATEWAY_URL>/messages`` with a signed JSON body.

    The body is ``{"to", "text", "idempotency_key"}``; the answer ``{"message_id"}``. The gateway drops a
    repeated idempotency key and answers with the first message's id, so a message tried again after a
    worker died is not delivered twice.
    """

    def __init__(
        self,
        url: str | None = None,
        key: str | None = None,
        *,
        timeout: float | None = None,
        tries: int | None = None,
        backoff: float = BACKOFF_SECONDS,
    ) -> None:
        self.url = (url if url is not None else settings.SMS_GATEWAY_URL).rstrip("/")
        self.key = key if key is not None else settings.SMS_GATEWAY_KEY
        self.timeout = float(timeout if timeout is not None else settings.SMS_GATEWAY_TIMEOUT)
        self.tries = tries if tries is not None else settings.SMS_GATEWAY_TRIES
        self.backoff = backoff
        if not self.url or not self.key:
            raise SmsError("SMS_GATEWAY_URL and SMS_GATEWAY_KEY must be set for the HTTP gateway.")
        if not self.url.startswith(("http://", "https://")):
            raise SmsError("SMS_GATEWAY_URL must be an http:// or https:// address.")

    def send(self, *, recipient: str, text: str, idempotency_key: str) -> str:
        body = json.dumps(
            {"to": recipient, "text": text, "idempotency_key": idempotency_key}, ensure_ascii=False
        ).encode()
        last: Exception | None = None
        for attempt in range(self.tries):
            if attempt:
                time.sleep(self.backoff * 2 ** (attempt - 1))
            timestamp = str(int(time.time()))
            request = urllib.request.Request(  # noqa: S310 - the URL is the operator's setting, http(s) only
                f"{self.url}/messages",
                data=body,
                method="POST",
                headers={
                    "Content-Type": "application/json; charset=utf-8",
                    "X-Timestamp": timestamp,
                    "X-Signature": signature_of(self.key, timestamp, body),
                    "X-Idempotency-Key": idempotency_key,
                },
            )
            try:
                with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                    answer = json.loads(response.read() or b"{}")
            except urllib.error.HTTPError as exc:
                if exc.code >= 500:
                    last = exc
                    continue
                if exc.code in (401, 403):  # our key or account, not the message: every message would fail
                    raise SmsError(f"gateway refused our credentials: HTTP {exc.code}") from exc
                raise SmsRejected(f"gateway refused the message: HTTP {exc.code}") from exc
            except (TimeoutError, urllib.error.URLError, ConnectionError) as exc:
                last = exc
                continue
            message_id = answer.get("message_id") if isinstance(answer, dict) else None
            if not isinstance(message_id, str) or not message_id:
                raise SmsRejected("gateway answered without a message id")
            return message_id
        raise SmsUnavailable(f"gateway unavailable after {self.tries} tries: {last}")


def sms_backend() -> SmsBackend:
    backend: SmsBackend = import_string(settings.SMS_BACKEND)()
    return backend
