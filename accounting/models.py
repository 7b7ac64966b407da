"""What goes out to the core banking system, and what it confirms.

A file sent to the core is kept byte for byte (``core.StoredFile``, with its SHA-256) together with a
record of what it holds, so that exporting the same business date again hands back the same record
and the same bytes instead of a second, different file the core might book twice.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from core.models import MoneyField, StoredFile
from origination.models import Loan
from partners.models import Program, User


class InstructionFile(models.Model):
    """放款指令文件: the disbursement instructions sent to the core for one business date."""

    business_date = models.DateField(_("business date"), unique=True)
    stored_file = models.ForeignKey(StoredFile, on_delete=models.PROTECT, related_name="+")
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    lines = models.PositiveIntegerField(_("instructions"))
    total = MoneyField(_("total amount"))
    created_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("disbursement instruction file")
        verbose_name_plural = _("disbursement instruction files")
        ordering = ["-business_date"]

    def __str__(self) -> str:
        return f"{self.business_date} ({self.lines})"


class DisbursementInstruction(models.Model):
    """放款指令: one drawdown the core is asked to pay out; its confirmation sets the core's reference."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for the core's confirmation")
        ACCEPTED = "accepted", _("Paid out by the core")
        REJECTED = "rejected", _("Rejected by the core")

    number = models.CharField(_("instruction number"), max_length=20, unique=True)
    file = models.ForeignKey(InstructionFile, on_delete=models.PROTECT, related_name="instructions")
    loan = models.OneToOneField(Loan, on_delete=models.PROTECT, related_name="disbursement_instruction")
    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="+", db_index=False)
    amount = MoneyField(_("amount"))
    value_date = models.DateField(_("value date"))
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.PENDING)
    core_reference = models.CharField(_("core disbursement reference"), max_length=64, blank=True)
    confirmed_amount = MoneyField(_("confirmed amount"), null=True, blank=True)
    processed_on = models.DateField(_("processed by the core on"), null=True, blank=True)
    reason = models.CharField(_("reason given by the core"), max_length=200, blank=True)
    confirmation = models.ForeignKey(
        "accounting.ConfirmationFile", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("disbursement instruction")
        verbose_name_plural = _("disbursement instructions")
        ordering = ["number"]
        indexes = [
            # What the warning run reads every day: the few instructions not yet paid out.
            models.Index(fields=["file"], name="instruction_unconfirmed", condition=~models.Q(status="accepted")),
        ]
        constraints = [models.CheckConstraint(condition=models.Q(amount__gt=0), name="instruction_positive")]

    def __str__(self) -> str:
        return self.number


class ConfirmationFile(models.Model):
    """放款确认文件: the core's answer to instructions, applied all or nothing."""

    stored_file = models.ForeignKey(StoredFile, on_delete=models.PROTECT, related_name="+")
    sha256 = models.CharField(_("SHA-256"), max_length=64, db_index=True)
    business_date = models.DateField(_("business date"))
    rows = models.PositiveIntegerField(_("rows"))
    accepted = models.PositiveIntegerField(_("paid out"))
    rejected = models.PositiveIntegerField(_("rejected"))
    unchanged = models.PositiveIntegerField(_("already applied"))
    imported_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("disbursement confirmation file")
        verbose_name_plural = _("disbursement confirmation files")
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.business_date} {self.sha256[:12]}"


class JournalFile(models.Model):
    """会计分录文件: one business day's ledger as balanced double entries for the general ledger."""

    business_date = models.DateField(_("business date"), unique=True)
    stored_file = models.ForeignKey(StoredFile, on_delete=models.PROTECT, related_name="+")
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    lines = models.PositiveIntegerField(_("lines"))
    total_debit = MoneyField(_("total debit"))
    total_credit = MoneyField(_("total credit"))
    created_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("general-ledger journal file")
        verbose_name_plural = _("general-ledger journal files")
        ordering = ["-business_date"]
        constraints = [
            models.CheckConstraint(condition=models.Q(total_debit=models.F("total_credit")), name="journal_balanced")
        ]

    def __str__(self) -> str:
        return f"{self.business_date} ({self.lines})"
