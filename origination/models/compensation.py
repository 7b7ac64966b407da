"""代偿: what the anchor owes when its farmers' amounts fall overdue."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from core.models import MoneyField
from origination.models.loans import Loan
from partners.models import Program


class CompensationDemand(models.Model):
    """Raised by the close of business the day an amount falls overdue; settled within the month."""

    class Status(models.TextChoices):
        OPEN = "open", _("Demanded")
        PAID = "paid", _("Paid by the farmer")
        COMPENSATED = "compensated", _("Deducted from the margin")
        CLAIM = "claim", _("Claim on the anchor")

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
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.OPEN)
    settled_on = models.DateField(_("settled on"), null=True, blank=True)

    class Meta:
        verbose_name = _("compensation demand")
        verbose_name_plural = _("compensation demands")
        constraints = [models.UniqueConstraint(fields=["loan", "raised_on"], name="one_demand_per_loan_day")]
        indexes = [models.Index(fields=["program", "status"])]

    def __str__(self) -> str:
        return f"{self.loan_id} {self.raised_on} {self.amount}"
