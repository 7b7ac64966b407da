"""The notification outbox: rows written with their cause, sent afterwards by a task.

A row is claimed with ``SELECT … FOR UPDATE SKIP LOCKED``, so two workers
never send the same message; it is marked sent in the same transaction as
the claim. Should a worker die between the gateway's acceptance and the
commit, the retry carries the same idempotency key, which the gateway uses
to drop the repeat.
"""

from __future__ import annotations

import logging

from celery import shared_task
from django.db import transaction
from django.utils import timezone

from origination.models import Notification
from origination.sms import sms_backend

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 5
BATCH = 200


def notifications_send_pending(limit: int = 10_000) -> dict[str, int]:
    """Send pending messages (at most ``limit``); returns how many were sent and how many failed."""
    backend = sms_backend()
    sent = failed = 0
    while sent + failed < limit:
        with transaction.atomic():
            claimed = list(
                Notification.objects.select_for_update(skip_locked=True)
                .filter(status=Notification.Status.PENDING)
                .order_by("id")[:BATCH]
            )
            if not claimed:
                break
            for message in claimed:
                message.attempts += 1
                message.last_error = ""
                try:
                    message.provider_message_id = backend.send(
                        recipient=message.recipient,
                        text=message.text,
                        idempotency_key=message.idempotency_key,
                    )
                except Exception as exc:  # a gateway error of any kind: keep the row and try again later
                    log.warning("notification %s failed: %s", message.pk, exc)
                    message.last_error = str(exc)[:1000]
                    if message.attempts >= MAX_ATTEMPTS:
                        message.status = Notification.Status.FAILED
                    failed += 1
                else:
                    message.status = Notification.Status.SENT
                    message.sent_at = timezone.now()
                    sent += 1
            Notification.objects.bulk_update(
                claimed, ["attempts", "provider_message_id", "last_error", "status", "sent_at"]
            )
        if any(message.status != Notification.Status.SENT for message in claimed):
            break  # the gateway is failing: leave the rest for the next run
    return {"sent": sent, "failed": failed}


def notification_receipts_apply(receipts: list[dict[str, str]]) -> int:
    """Record the gateway's delivery receipts of notifications: a failed one marks its row failed with the
    gateway's error (a delivered one leaves it sent). Idempotent; returns how many rows changed."""
    failed = {
        str(r.get("message_id", "")): str(r.get("error", ""))[:1000] for r in receipts if r.get("status") == "failed"
    }
    changed = 0
    for message in Notification.objects.filter(
        provider_message_id__in=[key for key in failed if key], status=Notification.Status.SENT
    ):
        message.status = Notification.Status.FAILED
        message.last_error = failed[message.provider_message_id] or "failed on delivery"
        message.save(update_fields=["status", "last_error"])
        changed += 1
    return changed


@shared_task(name="origination.notifications_send", autoretry_for=(), ignore_result=True)
def notifications_send() -> dict[str, int]:
    return notifications_send_pending()
