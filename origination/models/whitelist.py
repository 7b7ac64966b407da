"""The whitelist (白名单) and the notification outbox (通知提款)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from origination.models.loans import CreditLimit
from partners.models import Farmer, Program


class WhitelistEntry(models.Model):
    """An approved farmer, whom outlets may market to and who may draw down."""

    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="whitelist")
    farmer = models.ForeignKey(Farmer, on_delete=models.PROTECT, related_name="whitelist_entries")
    credit_limit = models.OneToOneField(CreditLimit, on_delete=models.PROTECT, related_name="whitelist_entry")
    added_on = models.DateField(_("added on"))

    class Meta:
        verbose_name = _("whitelist entry")
        verbose_name_plural = _("whitelist")

    def __str__(self) -> str:
        return f"{self.program_id}:{self.farmer_id}"


class Notification(models.Model):
    """One message to send, written in the same transaction as its cause; sent once by a task."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")

    idempotency_key = models.CharField(max_length=120, unique=True)
    channel = models.CharField(_("channel"), max_length=16, default="sms")
    recipient = models.CharField(_("recipient"), max_length=32)
    farmer = models.ForeignKey(Farmer, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    template = models.CharField(_("template"), max_length=64)
    text = models.TextField(_("text"))
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    provider_message_id = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        indexes = [models.Index(fields=["status", "id"])]

    def __str__(self) -> str:
        return f"{self.template} → {self.recipient} ({self.status})"
