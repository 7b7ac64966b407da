"""Alerts to the administrators about the close of business: shown in the product (the operations console
and their home page) and sent as a message through the notification outbox, once per kind and day."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

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


def _alert_text(kind: str, day: dt.date) -> str:
    if kind == OperationsAlert.Kind.CLOSE_FAILED:
        return _(
            "The close of business of %(day)s failed and stopped. Resume it from the operations console once the "
            "cause is fixed."
        ) % {"day": day.isoformat()}
    return _(
        "The close of business of %(day)s is not finished %(minutes)s minutes after its time (%(time)s). Look at "
        "the operations console."
    ) % {"day": day.isoformat(), "minutes": settings.COB_ALERT_AFTER_MINUTES, "time": settings.COB_TIME}


@transaction.atomic
def _alert_raise(kind: str, day: dt.date) -> OperationsAlert:
    with translation.override(settings.LANGUAGE_CODE):
        text = _alert_text(kind, day)
    alert, created = OperationsAlert.objects.get_or_create(kind=kind, day=day, defaults={"message": text})
    if not created:
        return alert
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
