"""The core banking system's debit files (核心扣款文件) and their debits.

A file is kept only when every row of it is good (all or nothing); each debit is kept once, by the core's
reference (核心流水号), so a file delivered again adds nothing. The close of a debit's value date applies
it to its loan through the repayment waterfall (``corebank.apply``) and records what it paid and what is
left for refund.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from core.models import MoneyField, StoredFile
from origination.models import Loan, Repayment
from partners.models import User


class DebitFile(models.Model):
    """One delivery of the core's debit file: its bytes (SHA-256), when and by whom, and what it brought."""

    name = models.CharField(_("file name"), max_length=255)
    sha256 = models.CharField(_("SHA-256"), max_length=64, db_index=True)
    size = models.PositiveBigIntegerField(_("size"))
    file = models.ForeignKey(StoredFile, verbose_name=_("file"), on_delete=models.PROTECT, related_name="+")
    received_at = models.DateTimeField(_("received at"), auto_now_add=True)
    business_date = models.DateField(_("business date"))
    rows_total = models.PositiveIntegerField(_("rows"))
    accepted = models.PositiveIntegerField(_("accepted"))
    duplicates = models.PositiveIntegerField(_("duplicates"))
    received_by = models.ForeignKey(User, verbose_name=_("received by"), on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("core debit file")
        verbose_name_plural = _("core debit files")
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.sha256[:12]})"


class Debit(models.Model):
    """One debit of a farmer's account in the core system, to be applied to his loan by the close."""

    class State(models.TextChoices):
        PENDING = "pending", _("Waiting for the close")
        APPLIED = "applied", _("Applied")
        PARTLY_APPLIED = "partly_applied", _("Applied in part, the rest to refund")

    # Its own index would repeat the first column of (file, row), and the import writes every index once a debit.
    file = models.ForeignKey(
        DebitFile, verbose_name=_("file"), on_delete=models.PROTECT, related_name="debits", db_index=False
    )
    row = models.PositiveIntegerField(_("row"))
    # No database key to the loan, like the ledger's (decision 17): the import checks every loan exists,
    # no loan is ever deleted, and a million debits need no key check at commit.
    loan = models.ForeignKey(
        Loan, verbose_name=_("loan"), on_delete=models.PROTECT, related_name="+", db_index=False, db_constraint=False
    )
    value_date = models.DateField(_("value date"))
    amount = MoneyField(_("amount"))
    # Unique by a constraint, not ``unique=True``: that would add a second, pattern-matching index that no query
    # reads and that the import writes for every debit.
    reference = models.CharField(_("core reference"), max_length=64)
    state = models.CharField(_("state"), max_length=16, choices=State.choices, default=State.PENDING)
    applied = MoneyField(_("applied"), default=0)
    refund = MoneyField(_("to refund"), default=0)
    repayment = models.ForeignKey(
        Repayment,
        verbose_name=_("repayment"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )

    class Meta:
        verbose_name = _("core debit")
        verbose_name_plural = _("core debits")
        ordering = ["id"]
        # No index reads the state, and the table is stored half full (fillfactor 50, migration 0004): when
        # the close marks a debit applied, the new version of its row fits on the same page and no index is
        # written again (a heap-only update). A refund above zero is the exception: its index takes the row.
        # The close finds the debits to apply in ``PendingDebit``, not here.
        indexes = [
            models.Index(fields=["file", "row"]),
            models.Index(fields=["refund"], name="corebank_debit_refund", condition=models.Q(refund__gt=0)),
        ]
        constraints = [
            models.UniqueConstraint(fields=["reference"], name="corebank_debit_reference_unique"),
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="corebank_debit_positive"),
            models.CheckConstraint(
                condition=models.Q(applied__gte=0) & models.Q(refund__gte=0), name="corebank_debit_split"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.loan_id} {self.amount}"


class PendingDebit(models.Model):
    """The close's work queue: a debit still to apply, written with it by the import, deleted by the close
    in the transaction that applies it. The debit's state says the same; this small table is what the close
    looks up, chunk by chunk, so that marking a debit applied writes no index of ``Debit``."""

    debit = models.OneToOneField(
        Debit, primary_key=True, on_delete=models.CASCADE, related_name="+", db_constraint=False
    )
    # The loan's index is the close's lookup: a chunk's loans, whatever the value date (never after the day).
    loan = models.ForeignKey(Loan, on_delete=models.PROTECT, related_name="+", db_constraint=False)
    value_date = models.DateField(_("value date"))
    amount = MoneyField(_("amount"))
    # Who received the file: the repayment's recorder.
    recorded_by = models.ForeignKey(
        User, on_delete=models.PROTECT, related_name="+", db_index=False, db_constraint=False
    )

    class Meta:
        verbose_name = _("core debit to apply")
        verbose_name_plural = _("core debits to apply")

    def __str__(self) -> str:
        return f"{self.debit_id} {self.loan_id} {self.amount}"
