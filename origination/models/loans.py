"""Credit limits and loans.

A loan's ledger (``LoanEntry``) is the record of every movement. The balance
columns on ``Loan`` are its running projection, written in the same
transaction (or the same SQL statement, in the close of business) as the
entries, so the daily job reads and updates one row per loan; a
reconciliation check proves they equal the ledger sums.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _

from core.models import MoneyField, PrincipalDaysField, RatioField, TimeStampedModel
from partners.models import Farmer, OrgNode, Program, User


class CreditLimit(TimeStampedModel):
    """预授信额度: an approved, revolving limit of one farmer in one programme."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        FROZEN = "frozen", _("Frozen")
        EXPIRED = "expired", _("Expired")
        REVOKED = "revoked", _("Revoked")
        CLOSED = "closed", _("Closed")

    # Live limits count against the caps and are watched by the warning run; only an active one lends.
    LIVE_STATUSES = (Status.ACTIVE, Status.FROZEN)

    farmer = models.ForeignKey(Farmer, verbose_name=_("farmer"), on_delete=models.PROTECT, related_name="limits")
    # The farmer's node, kept on the limit as a loan keeps it (a farmer's node never changes): the close's
    # figures sum the limits in force per node without joining a million farmers. ``save`` fills it; a bulk
    # insert gives it.
    org_node = models.ForeignKey(
        OrgNode, verbose_name=_("node"), on_delete=models.PROTECT, related_name="+", db_index=False, editable=False
    )
    program = models.ForeignKey(Program, verbose_name=_("programme"), on_delete=models.PROTECT, related_name="limits")
    batch_row = models.OneToOneField(
        "origination.BatchRow", null=True, blank=True, on_delete=models.PROTECT, related_name="credit_limit"
    )
    amount = MoneyField(_("limit"))
    approved_on = models.DateField(_("approved on"))
    expires_on = models.DateField(_("expires on"))
    approved_by = models.ForeignKey(User, verbose_name=_("approved by"), on_delete=models.PROTECT, related_name="+")
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.ACTIVE)
    # Who froze it: a person (whom the four-eyes rule keeps from lifting it) or, when empty on a frozen
    # limit, the close of business on an adverse event.
    frozen_by = models.ForeignKey(
        User, verbose_name=_("frozen by"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    renewal_of = models.OneToOneField(
        "self", verbose_name=_("renewal of"), null=True, blank=True, on_delete=models.PROTECT, related_name="renewed_by"
    )

    class Meta:
        verbose_name = _("credit limit")
        verbose_name_plural = _("credit limits")
        indexes = [
            models.Index(fields=["program", "status", "expires_on"]),
            models.Index(fields=["farmer", "status"]),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="credit_limit_positive"),
            models.CheckConstraint(condition=models.Q(expires_on__gt=models.F("approved_on")), name="limit_dates"),
        ]

    def __str__(self) -> str:
        return f"{self.farmer} {self.amount}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.org_node_id is None and self.farmer_id is not None:
            self.org_node_id = Farmer.objects.values_list("org_node_id", flat=True).get(pk=self.farmer_id)
        super().save(*args, **kwargs)


class CreditLimitChange(models.Model):
    """Each change in a limit's life after its grant: who (or the close), when, why, and what it changed."""

    class Kind(models.TextChoices):
        FROZEN = "frozen", _("Frozen")
        UNFROZEN = "unfrozen", _("Unfrozen")
        EXPIRED = "expired", _("Expired")
        RENEWED = "renewed", _("Renewed")
        REDUCED = "reduced", _("Reduced")
        CLOSED = "closed", _("Closed")
        REVOKED = "revoked", _("Revoked")

    credit_limit = models.ForeignKey(CreditLimit, on_delete=models.CASCADE, related_name="changes")
    kind = models.CharField(_("change"), max_length=16, choices=Kind.choices)
    from_status = models.CharField(_("from"), max_length=16, choices=CreditLimit.Status.choices)
    to_status = models.CharField(_("to"), max_length=16, choices=CreditLimit.Status.choices)
    from_amount = MoneyField(_("amount before"), null=True, blank=True)
    to_amount = MoneyField(_("amount after"), null=True, blank=True)
    actor = models.ForeignKey(
        User, verbose_name=_("by"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )  # empty: the close of business
    business_date = models.DateField(_("business date"))
    reason = models.TextField(_("reason"), blank=True)
    # The adverse event that made the close freeze the limit.
    event = models.ForeignKey(
        "risk.MonitoringEvent",
        verbose_name=_("event"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("credit limit change")
        verbose_name_plural = _("credit limit changes")
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.credit_limit_id}: {self.kind}"


class Loan(TimeStampedModel):
    """贷款: interest monthly on the 20th, principal at maturity (按月付息, 到期还本)."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        CLOSED = "closed", _("Paid off")
        WRITTEN_OFF = "written_off", _("Written off")

    class Classification(models.TextChoices):
        NORMAL = "normal", _("Normal")
        SPECIAL_MENTION = "special_mention", _("Special mention")
        SUBSTANDARD = "substandard", _("Substandard")
        DOUBTFUL = "doubtful", _("Doubtful")
        LOSS = "loss", _("Loss")

    credit_limit = models.ForeignKey(CreditLimit, on_delete=models.PROTECT, related_name="loans")
    # No index of their own: the (farmer, status) and (program, status) indexes begin with them, and
    # every index on this table is written again whenever a close of business cannot update in place.
    farmer = models.ForeignKey(
        Farmer, verbose_name=_("farmer"), on_delete=models.PROTECT, related_name="loans", db_index=False
    )
    program = models.ForeignKey(
        Program, verbose_name=_("programme"), on_delete=models.PROTECT, related_name="loans", db_index=False
    )
    org_node = models.ForeignKey(OrgNode, verbose_name=_("node"), on_delete=models.PROTECT, related_name="+")
    account_manager = models.ForeignKey(
        User,
        verbose_name=_("account manager"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    # Terms, fixed at disbursement.
    principal = MoneyField(_("principal"))
    annual_rate = RatioField(_("annual interest rate"))
    penalty_markup = RatioField(_("penalty markup"))
    term_months = models.PositiveSmallIntegerField(_("term (months)"))
    disbursed_on = models.DateField(_("disbursed on"))
    maturity_on = models.DateField(_("maturity"))
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.ACTIVE)
    closed_on = models.DateField(_("closed on"), null=True, blank=True)
    # Running balances (projection of the ledger).
    principal_outstanding = MoneyField(_("principal outstanding"))
    principal_overdue = MoneyField(_("overdue principal"), default=0)
    # Principal-days (积数) are kept as a base plus the day it runs to: principal only changes on
    # events, so days without one need no write (principal-days through X = base + principal × days).
    interest_base = PrincipalDaysField(_("principal-days not yet charged"), default=0)
    accrued_through = models.DateField(_("interest accrued through"))
    penalty_base = PrincipalDaysField(_("overdue principal-days not yet charged"), default=0)
    penalty_through = models.DateField(_("penalty accrued through"), null=True, blank=True)
    interest_due = MoneyField(_("interest charged, not yet due"), default=0)
    interest_overdue = MoneyField(_("overdue interest"), default=0)
    penalty_due = MoneyField(_("penalty interest"), default=0)
    compensated = MoneyField(_("compensated by the anchor"), default=0)
    # What the farmer has paid back to the anchor of what it paid for him (追偿; never above compensated).
    # Database defaults too: rows written in SQL (the demo, the benchmarks) name only their own columns.
    recovered = MoneyField(_("reimbursed to the anchor"), default=0, db_default=0)
    # 核销: the balances taken off the book when the loan was written off, and what came in after.
    written_off = MoneyField(_("written off"), default=0, db_default=0)
    recovered_after_write_off = MoneyField(_("recovered after write-off"), default=0, db_default=0)
    # Delinquency: the bank's view and the farmer's own ("shadow", whoever paid).
    oldest_due_date = models.DateField(_("oldest unpaid due date"), null=True, blank=True)
    shadow_oldest_due_date = models.DateField(_("oldest due date the farmer missed"), null=True, blank=True)
    classification = models.CharField(
        _("classification"), max_length=16, choices=Classification.choices, default=Classification.NORMAL
    )
    manual_classification = models.CharField(
        _("manual classification"), max_length=16, choices=Classification.choices, blank=True
    )

    class Meta:
        verbose_name = _("loan")
        verbose_name_plural = _("loans")
        indexes = [
            models.Index(fields=["program", "status"]),
            models.Index(fields=["status", "maturity_on"]),
            models.Index(fields=["farmer", "status"]),
            # Deliberately no index on the columns the close of business writes (balances, dates,
            # oldest_due_date, classification): PostgreSQL then rewrites a loan in place (a HOT update,
            # no index touched; see the fillfactor set in migrations 0002 and 0012), which is what lets the 20th,
            # when every active loan is charged and falls overdue, close in time. Lists of overdue
            # loans read them in id order and filter.
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(principal__gt=0), name="loan_principal_positive"),
            models.CheckConstraint(
                condition=models.Q(principal_outstanding__gte=0)
                & models.Q(principal_outstanding__lte=models.F("principal")),
                name="loan_outstanding_in_range",
            ),
            models.CheckConstraint(
                condition=models.Q(principal_overdue__gte=0)
                & models.Q(principal_overdue__lte=models.F("principal_outstanding")),
                name="loan_overdue_in_range",
            ),
            models.CheckConstraint(
                condition=models.Q(interest_due__gte=0)
                & models.Q(interest_overdue__gte=0)
                & models.Q(penalty_due__gte=0),
                name="loan_dues_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.farmer} {self.principal}"


class LoanDue(models.Model):
    """An amount due on a date (interest on the 20th, principal at maturity); DPD counts from the oldest."""

    class Kind(models.TextChoices):
        INTEREST = "interest", _("Interest")
        PRINCIPAL = "principal", _("Principal")

    # The unique (loan, kind, due_on) constraint begins with the loan: no index of its own. Kept by the
    # application, not by a database key, like the entries' (see ``LoanEntry.loan``).
    loan = models.ForeignKey(Loan, on_delete=models.PROTECT, related_name="dues", db_index=False, db_constraint=False)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    due_on = models.DateField(_("due on"))
    amount = MoneyField(_("amount"))
    paid = MoneyField(_("paid by the farmer"), default=0)
    compensated = MoneyField(_("paid by the anchor"), default=0)
    settled_on = models.DateField(_("settled on"), null=True, blank=True)

    class Meta:
        verbose_name = _("amount due")
        verbose_name_plural = _("amounts due")
        constraints = [
            models.UniqueConstraint(fields=["loan", "kind", "due_on"], name="loan_due_unique"),
            models.CheckConstraint(
                condition=models.Q(paid__gte=0)
                & models.Q(compensated__gte=0)
                & models.Q(amount__gte=models.F("paid") + models.F("compensated")),
                name="loan_due_not_overpaid",
            ),
        ]
        indexes = [
            models.Index(fields=["loan", "due_on"], name="loan_due_open", condition=models.Q(settled_on__isnull=True))
        ]

    def __str__(self) -> str:
        return f"{self.loan_id} {self.kind} {self.due_on} {self.amount}"

    @property
    def remaining(self) -> Decimal:
        return Decimal(self.amount - self.paid - self.compensated)


# The ledger kinds that change a loan's principal outstanding (values of LoanEntry.Kind): a write-off
# takes it off the book too, and the loans whose warnings may clear are found by these.
PRINCIPAL_MOVES = ("disbursement", "repaid_principal", "compensated_principal", "written_off_principal")


class LoanEntry(models.Model):
    """分户账: one movement of a loan. Never edited; balances are sums of these."""

    class Kind(models.TextChoices):
        DISBURSEMENT = "disbursement", _("Disbursement")
        INTEREST_CHARGE = "interest_charge", _("Interest charged")
        PENALTY_CHARGE = "penalty_charge", _("Penalty interest charged")
        REPAID_PENALTY = "repaid_penalty", _("Penalty repaid")
        REPAID_INTEREST = "repaid_interest", _("Interest repaid")
        REPAID_PRINCIPAL = "repaid_principal", _("Principal repaid")
        COMPENSATED_PENALTY = "compensated_penalty", _("Penalty compensated by the anchor")
        COMPENSATED_INTEREST = "compensated_interest", _("Interest compensated by the anchor")
        COMPENSATED_PRINCIPAL = "compensated_principal", _("Principal compensated by the anchor")
        # The farmer's payment reimbursing the anchor for what it paid for him (追偿), before the bank's dues.
        RECOVERED_FOR_ANCHOR = "recovered_for_anchor", _("Reimbursed to the anchor")
        # 核销: the balances taken off the book, and money received on the loan afterwards.
        WRITTEN_OFF_PRINCIPAL = "written_off_principal", _("Principal written off")
        WRITTEN_OFF_INTEREST = "written_off_interest", _("Interest written off")
        WRITTEN_OFF_PENALTY = "written_off_penalty", _("Penalty written off")
        RECOVERED_AFTER_WRITE_OFF = "recovered_written_off", _("Recovered after write-off")

    # The (loan, business_date) index begins with the loan: no index of its own.
    # Kept by the application, not by a database key: on the 20th the close writes an entry and a due
    # for nearly every loan, and their two deferred key checks per loan at each chunk's commit were a
    # quarter of the settlement's cost (decision 17). Entries and dues are written only by the services,
    # holding the loan row, and by the close, from the loan rows it reads and updates in the same
    # transaction; no loan is ever deleted (PROTECT), and ``loans_reconcile`` over the whole book
    # reports any ledger row without its loan.
    loan = models.ForeignKey(
        Loan, on_delete=models.PROTECT, related_name="entries", db_index=False, db_constraint=False
    )
    business_date = models.DateField(_("business date"))
    kind = models.CharField(_("kind"), max_length=24, choices=Kind.choices)
    amount = MoneyField(_("amount"))
    # Not indexed: a repayment's entries share its loan and business date, which the (loan, business_date)
    # index finds, and the close writes one for each debit it applies. Kept by the application like the loan
    # (decision 17): an entry of a repayment is written in the same transaction as the repayment;
    # ``loans_reconcile`` reports one whose repayment is missing.
    repayment = models.ForeignKey(
        "origination.Repayment",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="entries",
        db_index=False,
        db_constraint=False,
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("loan ledger entry")
        verbose_name_plural = _("loan ledger entries")
        ordering = ["id"]
        indexes = [
            models.Index(fields=["loan", "business_date"]),
            # The movements of principal by date: what the daily warning run looks at again. The close's
            # own charges are not in it, so the index stays small and the 20th does not write it.
            models.Index(
                fields=["business_date"],
                name="loan_entry_principal_moves",
                condition=models.Q(kind__in=PRINCIPAL_MOVES),
            ),
        ]
        constraints = [models.CheckConstraint(condition=models.Q(amount__gt=0), name="loan_entry_positive")]

    def __str__(self) -> str:
        return f"{self.loan_id} {self.kind} {self.amount}"


class Repayment(models.Model):
    """还款: one payment by the farmer, split by the waterfall into ledger entries."""

    # Both keys kept by the application (decision 17): the close writes a repayment for each debit of the
    # core's file, a million on a day, and their deferred key checks at each chunk's commit cost more than
    # a quarter of applying them. A repayment is written only by the services, holding its loan row, and by
    # the close, from the loan rows it updates; no loan or user is ever deleted (PROTECT), and
    # ``loans_reconcile`` over the whole book reports a repayment without its loan or its recorder.
    loan = models.ForeignKey(Loan, on_delete=models.PROTECT, related_name="repayments", db_constraint=False)
    business_date = models.DateField(_("business date"))
    amount = MoneyField(_("amount"))
    penalty = MoneyField(_("to penalty"))
    interest = MoneyField(_("to interest"))
    principal = MoneyField(_("to principal"))
    # The part that reimbursed the anchor first (追偿), and the part received after a write-off.
    recovered = MoneyField(_("to the anchor"), default=0, db_default=0)
    after_write_off = MoneyField(_("recovered after write-off"), default=0, db_default=0)
    # No index: nothing looks repayments up by who recorded them, and the close writes a million at a time.
    recorded_by = models.ForeignKey(
        User, on_delete=models.PROTECT, related_name="+", db_index=False, db_constraint=False
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("repayment")
        verbose_name_plural = _("repayments")

    def __str__(self) -> str:
        return f"{self.loan_id} {self.amount}"
