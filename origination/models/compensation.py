"""代偿: what the anchor owes when its farmers' amounts fall overdue."""

from __future__ import annotations

import datetime as dt

from django.contrib.postgres.indexes import BrinIndex
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.calendar import month_end
from core.models import MoneyField
from origination.models.loans import Loan
from partners.models import Anchor, MarginEntry, Program, User


class CompensationDemand(models.Model):
    """Raised by the close of business the day an amount falls overdue; settled within the month."""

    class Status(models.TextChoices):
        OPEN = "open", _("Demanded")
        PAID = "paid", _("Paid by the farmer")
        COMPENSATED = "compensated", _("Deducted from the margin")
        CLAIM = "claim", _("Claim on the anchor")
        ANCHOR_PAID = "anchor_paid", _("Paid by the anchor")

    # The 20th raises a demand for nearly every loan, so its two references cost what they must:
    # - no index of their own: the unique (loan, raised_on) and the (programme, status) indexes below
    #   serve the look-ups by loan and by programme;
    # - kept by the application, not the database (as the warning run's are): the close of business
    #   copies both from the loan row it updates in the same statement (``servicing.settlement.settle``),
    #   and no loan or programme is ever deleted (PROTECT). Two deferred key checks per demand at the
    #   chunk's commit cost about as much as raising the demands (bench/bench_cob.py, the 20th).
    loan = models.ForeignKey(
        Loan, on_delete=models.PROTECT, related_name="compensation_demands", db_index=False, db_constraint=False
    )
    program = models.ForeignKey(
        Program, on_delete=models.PROTECT, related_name="compensation_demands", db_index=False, db_constraint=False
    )
    raised_on = models.DateField(_("raised on"))
    amount = MoneyField(_("amount demanded"))
    compensated = MoneyField(_("deducted from the margin"), default=0)
    unrecovered = MoneyField(_("left as a claim on the anchor"), default=0)
    # What the anchor paid from its own funds against this demand (``AnchorPayment``), beside the margin.
    # A database default as well: the close inserts demands in SQL, naming only the columns it sets.
    anchor_paid = MoneyField(_("paid by the anchor from its own funds"), default=0, db_default=0)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.OPEN)
    settled_on = models.DateField(_("settled on"), null=True, blank=True)

    class Meta:
        verbose_name = _("compensation demand")
        verbose_name_plural = _("compensation demands")
        constraints = [models.UniqueConstraint(fields=["loan", "raised_on"], name="one_demand_per_loan_day")]
        indexes = [
            models.Index(fields=["program", "status"]),
            # The day's demands for the notices: rows arrive in raised_on order, so a BRIN index (a few
            # pages, nearly free to keep on the 20th's insert) skips every older month.
            BrinIndex(fields=["raised_on"], name="demand_raised_on_brin"),
        ]

    def __str__(self) -> str:
        return f"{self.loan_id} {self.raised_on} {self.amount}"

    @property
    def deadline(self) -> dt.date:
        """The anchor compensates within the month (当月内代偿): what is unpaid then comes off the margin."""
        return month_end(self.raised_on)


class AnchorPayment(models.Model):
    """The anchor pays its demands and claims from its own funds: recorded by bank staff, checked by another.

    Only an approved payment moves anything; it is then applied to the anchor's open demands and claims,
    oldest first (``AnchorPaymentLine``). A rejected payment's transfer reference may be recorded again.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for the check")
        APPLIED = "applied", _("Checked and applied")
        REJECTED = "rejected", _("Rejected")

    anchor = models.ForeignKey(Anchor, verbose_name=_("anchor"), on_delete=models.PROTECT, related_name="payments")
    reference = models.CharField(_("transfer reference"), max_length=64)
    amount = MoneyField(_("amount"))
    value_date = models.DateField(_("value date"))
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.PENDING)
    note = models.CharField(_("note"), max_length=200, blank=True)
    recorded_by = models.ForeignKey(User, verbose_name=_("recorded by"), on_delete=models.PROTECT, related_name="+")
    recorded_on = models.DateField(_("recorded on"))
    checked_by = models.ForeignKey(
        User, verbose_name=_("checked by"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    checked_on = models.DateField(_("checked on"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("anchor payment")
        verbose_name_plural = _("anchor payments")
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="anchor_payment_amount_positive"),
            # One live payment per transfer: a second recording of the same transfer would apply it twice.
            models.UniqueConstraint(
                fields=["reference"], condition=~Q(status="rejected"), name="anchor_payment_reference_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.amount}"


class AnchorPaymentLine(models.Model):
    """What an applied payment settled on one demand's loan, by bucket (booked as compensation, by_anchor)."""

    payment = models.ForeignKey(AnchorPayment, on_delete=models.PROTECT, related_name="lines")
    demand = models.ForeignKey(CompensationDemand, on_delete=models.PROTECT, related_name="payment_lines")
    loan = models.ForeignKey(Loan, on_delete=models.PROTECT, related_name="+")
    amount = MoneyField(_("amount"))
    penalty = MoneyField(_("penalty"), default=0)
    interest = MoneyField(_("interest"), default=0)
    principal = MoneyField(_("principal"), default=0)

    class Meta:
        verbose_name = _("anchor payment line")
        verbose_name_plural = _("anchor payment lines")
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.payment_id} → {self.demand_id} {self.amount}"


class AnchorRecovery(models.Model):
    """追偿: a part of a farmer's repayment that reimbursed the anchor for what it paid for him.

    Back where it came from: a margin deduction is restored to the margin (``margin_entry``, a posted
    deposit); what the anchor paid from its own funds is a refund the bank owes the anchor.
    """

    class Source(models.TextChoices):
        MARGIN = "margin", _("Restored to the margin")
        ANCHOR_FUNDS = "anchor_funds", _("Refund to the anchor")

    loan = models.ForeignKey(Loan, on_delete=models.PROTECT, related_name="anchor_recoveries")
    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="+")
    repayment = models.ForeignKey(
        "origination.Repayment", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    business_date = models.DateField(_("business date"))
    source = models.CharField(_("source"), max_length=16, choices=Source.choices)
    amount = MoneyField(_("amount"))
    margin_entry = models.ForeignKey(MarginEntry, null=True, blank=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("recovery for the anchor")
        verbose_name_plural = _("recoveries for the anchor")
        ordering = ["id"]
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="anchor_recovery_positive")]

    def __str__(self) -> str:
        return f"{self.loan_id} {self.source} {self.amount}"


class WriteOff(models.Model):
    """核销 of a loss-class loan: proposed by one person, approved by two others, then off the book."""

    class Status(models.TextChoices):
        PROPOSED = "proposed", _("Proposed")
        APPROVED = "approved", _("Written off")
        REJECTED = "rejected", _("Rejected")

    loan = models.ForeignKey(Loan, on_delete=models.PROTECT, related_name="write_offs")
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.PROPOSED)
    reason = models.TextField(_("reason"))
    proposed_by = models.ForeignKey(User, verbose_name=_("proposed by"), on_delete=models.PROTECT, related_name="+")
    proposed_on = models.DateField(_("proposed on"))
    first_approver = models.ForeignKey(
        User, verbose_name=_("first approval"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    second_approver = models.ForeignKey(
        User, verbose_name=_("second approval"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_on = models.DateField(_("decided on"), null=True, blank=True)
    principal = MoneyField(_("principal written off"), default=0)
    interest = MoneyField(_("interest written off"), default=0)
    penalty = MoneyField(_("penalty written off"), default=0)

    class Meta:
        verbose_name = _("write-off")
        verbose_name_plural = _("write-offs")
        ordering = ["-id"]
        constraints = [
            # One write-off under way or done per loan.
            models.UniqueConstraint(fields=["loan"], condition=~Q(status="rejected"), name="one_live_write_off")
        ]

    def __str__(self) -> str:
        return f"{self.loan_id} {self.status}"
