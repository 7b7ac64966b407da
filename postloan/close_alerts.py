"""Alerts to the administrators about the close of business: shown in the product (the operations console
and their home page) and sent as a message through the notification outbox, once per kind and day."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone, translation

from core.roles import Role
from origination.models import Notification
from origination.outbox import notifications_send
from partners.models import User
from postloan.models_close import OperationsAlert


def close_failed_alert(day: dt.date) -> OperationsAlert:
    return _alert_raise(OperationsAlert.Kind.CLOSE_FAILED, day)


def close_late_alert(day: dt.date) -> OperationsAlert:
    return _alert_raise(OperationsAlert.Kind.CLOSE_LATE, day)


def close_alerts_clear(day: dt.date) -> int:
    """The close of ``day`` is done: its alerts stop showing (they are kept)."""
    return OperationsAlert.objects.filter(day=day, cleared_at__isnull=True).update(cleared_at=timezone.now())


def open_alerts() -> list[OperationsAlert]:
    return list(OperationsAlert.objects.filter(cleared_at__isnull=True).order_by("-raised_at")[:20])


@transaction.atomic
def _alert_raise(kind: str, day: dt.date) -> OperationsAlert:
    alert, created = OperationsAlert.objects.get_or_create(kind=kind, day=day)
    if not created:
        return alert
    with translation.override(settings.LANGUAGE_CODE):
        text = alert.text
    administrators = User.objects.filter(Q(role=Role.ADMINISTRATOR) | Q(is_superuser=True), is_active=True).exclude(
        phone=""
    )
    Notification.objects.bulk_create(
        [
            Notification(
                idempotency_key=f"ops-alert:{alert.pk}:{user.pk}",
                recipient=user.phone,
                template=f"ops_{kind}",
                text=text,
            )
            for user in administrators.order_by("pk")
        ],
        ignore_conflicts=True,
    )
    transaction.on_commit(notifications_send.delay)
    return alert
