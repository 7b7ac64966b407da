"""SMS campaigns (短信营销活动): templates, campaigns to the whitelist, their messages, and the farmers' opt-outs.

A campaign is made by one person and approved by another (maker-checker); its approval writes one message per
farmer of its audience (unique per campaign and farmer, with an idempotency key the gateway drops repeats by),
and the sending tasks send them at the gateway's rate, outside quiet hours, to farmers who have not opted out
and are under the marketing cap. The gateway's delivery receipts update each message.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from core.models import MoneyField
from partners.models import Anchor, Farmer, OrgNode, Program, User


class SmsTemplate(models.Model):
    """短信模板: the words of a marketing message, with variables in braces (``{farmer_name}``)."""

    name = models.CharField(_("template name"), max_length=100)
    body = models.TextField(_("text"))
    created_by = models.ForeignKey(User, verbose_name=_("created by"), on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("SMS template")
        verbose_name_plural = _("SMS templates")
        ordering = ["-id"]

    def __str__(self) -> str:
        return self.name


class Campaign(models.Model):
    """短信营销活动: one message to each farmer of an audience taken from the whitelist."""

    class Status(models.TextChoices):
        PENDING_APPROVAL = "pending_approval", _("Waiting for approval")
        SENDING = "sending", _("Approved, sending")
        DONE = "done", _("Sent")
        REJECTED = "rejected", _("Rejected")

    name = models.CharField(_("campaign name"), max_length=100)
    template = models.ForeignKey(SmsTemplate, verbose_name=_("template"), on_delete=models.PROTECT, related_name="+")
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.PENDING_APPROVAL)
    # The audience: whitelisted farmers with a limit in force under the maker's node, narrowed by these.
    org_node = models.ForeignKey(OrgNode, verbose_name=_("node"), on_delete=models.PROTECT, related_name="+")
    program = models.ForeignKey(
        Program, verbose_name=_("programme"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    anchor = models.ForeignKey(
        Anchor, verbose_name=_("anchor"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    min_amount = MoneyField(_("limit from"), null=True, blank=True)
    max_amount = MoneyField(_("limit up to"), null=True, blank=True)
    send_after = models.DateTimeField(_("send from"), null=True, blank=True)
    created_by = models.ForeignKey(User, verbose_name=_("created by"), on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    decided_by = models.ForeignKey(
        User, verbose_name=_("decided by"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    reject_reason = models.CharField(_("reason"), max_length=500, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("SMS campaign")
        verbose_name_plural = _("SMS campaigns")
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(min_amount__isnull=True)
                | models.Q(max_amount__isnull=True)
                | models.Q(min_amount__lte=models.F("max_amount")),
                name="campaign_amount_range",
            )
        ]

    def __str__(self) -> str:
        return self.name


class Message(models.Model):
    """One campaign's message to one farmer: written once at approval, sent once, its receipt recorded."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting")
        SENT = "sent", _("Sent")
        DELIVERED = "delivered", _("Delivered")
        FAILED = "failed", _("Failed")
        OPTED_OUT = "opted_out", _("Opted out")
        CAPPED = "capped", _("Skipped: frequency cap")

    campaign = models.ForeignKey(
        Campaign, verbose_name=_("campaign"), on_delete=models.PROTECT, related_name="messages"
    )
    farmer = models.ForeignKey(Farmer, verbose_name=_("farmer"), on_delete=models.PROTECT, related_name="+")
    phone = models.CharField(_("mobile phone"), max_length=11)
    text = models.TextField(_("text"))
    idempotency_key = models.CharField(max_length=64, unique=True)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.CharField(_("last error"), max_length=500, blank=True)
    gateway_message_id = models.CharField(_("gateway message id"), max_length=100, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    receipt_at = models.DateTimeField(_("receipt at"), null=True, blank=True)

    class Meta:
        verbose_name = _("campaign message")
        verbose_name_plural = _("campaign messages")
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "farmer"], name="campaign_message_once_per_farmer"),
        ]
        indexes = [
            models.Index(
                fields=["campaign", "id"], name="campaign_message_pending", condition=models.Q(status="pending")
            ),
            models.Index(fields=["campaign", "status"], name="campaign_message_status"),
            models.Index(fields=["farmer", "sent_at"], name="campaign_message_farmer_sent"),
            models.Index(
                fields=["gateway_message_id"],
                name="campaign_message_gateway_id",
                condition=~models.Q(gateway_message_id=""),
            ),
        ]

    def __str__(self) -> str:
        return self.idempotency_key


class OptOut(models.Model):
    """退订: a phone that replied T (or asked an outlet); it never gets a marketing message again."""

    class Source(models.TextChoices):
        GATEWAY = "gateway", _("Reply T through the gateway")
        STAFF = "staff", _("Recorded by staff")

    phone = models.CharField(_("mobile phone"), max_length=11, unique=True)
    source = models.CharField(_("source"), max_length=16, choices=Source.choices)
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)
    recorded_by = models.ForeignKey(
        User, verbose_name=_("recorded by"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("SMS opt-out")
        verbose_name_plural = _("SMS opt-outs")
        ordering = ["-id"]

    def __str__(self) -> str:
        return self.phone
