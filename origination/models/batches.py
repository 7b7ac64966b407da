"""Recommendation batches (推荐): the anchor's farmer list, row by row, and what became of each row."""

from __future__ import annotations

from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.models import MoneyField, StoredFile, TimeStampedModel
from partners.models import Farmer, Program, User


class Batch(TimeStampedModel):
    class Status(models.TextChoices):
        UPLOADED = "uploaded", _("Uploaded")
        VALIDATED = "validated", _("Validated")
        PROCESSED = "processed", _("Processed")
        SUBMITTED = "submitted", _("Submitted for approval")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")

    class Kind(models.TextChoices):
        RECOMMENDATION = "recommendation", _("Recommendation")
        RENEWAL = "renewal", _("Renewal")

    OPEN_STATUSES = (Status.UPLOADED, Status.VALIDATED, Status.PROCESSED, Status.SUBMITTED)

    program = models.ForeignKey(Program, verbose_name=_("programme"), on_delete=models.PROTECT, related_name="batches")
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.UPLOADED)
    # A recommendation comes from the anchor's farmer list; a renewal (年审) is the bank's own list of limits
    # about to expire, re-run on fresh trade data through the same screening, limits and approval.
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.RECOMMENDATION)
    submitted_on = models.DateField(_("submission date"))
    farmer_list = models.ForeignKey(
        StoredFile, verbose_name=_("farmer list"), on_delete=models.PROTECT, related_name="+"
    )
    farmer_list_sha256 = models.CharField(max_length=64)
    scorecard = models.ForeignKey(
        StoredFile,
        verbose_name=_("scorecard"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    recommendation_letter = models.ForeignKey(
        StoredFile,
        verbose_name=_("recommendation letter"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    guarantee_letter = models.ForeignKey(
        StoredFile,
        verbose_name=_("guarantee letter"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    rows_total = models.PositiveIntegerField(_("rows"), default=0)
    rows_valid = models.PositiveIntegerField(_("valid rows"), default=0)
    uploaded_by = models.ForeignKey(User, verbose_name=_("uploaded by"), on_delete=models.PROTECT, related_name="+")
    proposed_by = models.ForeignKey(
        User,
        verbose_name=_("submitted by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    decided_by = models.ForeignKey(
        User, verbose_name=_("approved by"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # Processing: which provider records were used (every record with an id up to this one), and progress.
    trade_snapshot_id = models.BigIntegerField(_("trade records up to id"), null=True, blank=True)
    processed_on = models.DateField(_("processed on"), null=True, blank=True)
    rows_processed = models.PositiveIntegerField(_("rows processed"), default=0)

    class Meta:
        verbose_name = _("recommendation batch")
        verbose_name_plural = _("recommendation batches")
        ordering = ["-id"]
        constraints = [
            # The same farmer list is never imported twice into one programme.
            models.UniqueConstraint(fields=["program", "farmer_list_sha256"], name="batch_file_once_per_program")
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.program}"


class BatchStatusChange(models.Model):
    batch = models.ForeignKey(Batch, on_delete=models.CASCADE, related_name="status_changes")
    from_status = models.CharField(max_length=16, choices=Batch.Status.choices, blank=True)
    to_status = models.CharField(max_length=16, choices=Batch.Status.choices)
    actor = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    business_date = models.DateField()
    note = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("batch status change")
        verbose_name_plural = _("batch status changes")
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.batch_id}: {self.to_status}"


class BatchRow(models.Model):
    """One valid row of the farmer list and its verification, limit and decision."""

    class Validation(models.TextChoices):
        MATCHED = "matched", _("Matched")
        MISMATCH = "mismatch", _("Mismatch")
        NO_TRADE_DATA = "no_trade_data", _("No trade data")

    class BoundBy(models.TextChoices):
        RECOMMENDED = "recommended", _("Recommended amount")
        ORDERS = "orders", _("Verified orders")
        CAP = "cap", _("Per-farmer cap")
        NONE = "none", _("None")
        SCREENING = "screening", _("Screening")

    class Screening(models.TextChoices):
        PASSED = "passed", _("Passed")
        REVIEW = "review", _("Needs review")
        REFUSED = "refused", _("Refused")

    class Decision(models.TextChoices):
        PENDING = "pending", _("Pending")
        APPROVED = "approved", _("Approved")
        REFUSED = "refused", _("Refused")

    # No index of its own: the unique (batch, row) key starts with it.
    batch = models.ForeignKey(Batch, on_delete=models.CASCADE, related_name="rows", db_index=False)
    row = models.PositiveIntegerField(_("row"))
    farmer = models.ForeignKey(Farmer, on_delete=models.PROTECT, related_name="batch_rows")
    name = models.CharField(_("name"), max_length=50)
    id_hash = models.CharField(max_length=64)
    id_masked = models.CharField(_("resident ID"), max_length=18)
    phone = models.CharField(_("mobile phone"), max_length=11)
    recommended_amount = MoneyField(_("recommended amount"))
    declared_orders_12m = MoneyField(_("declared orders (12 months)"))
    score = models.DecimalField(_("score"), max_digits=5, decimal_places=2)  # 0–100, e.g. 75.5
    customer_code = models.CharField(_("customer code"), max_length=50, blank=True)
    region_code = models.CharField(_("region code"), max_length=6, blank=True)
    breed = models.CharField(_("breed"), max_length=50, blank=True)
    # Cross-validation and the limit (filled by processing).
    validation = models.CharField(_("validation"), max_length=16, choices=Validation.choices, blank=True)
    verified_orders_12m = MoneyField(_("verified orders (12 months)"), null=True, blank=True)
    trade_count = models.PositiveIntegerField(_("trade records used"), default=0)
    window_start = models.DateField(_("window start"), null=True, blank=True)
    window_end = models.DateField(_("window end"), null=True, blank=True)
    granted_elsewhere = MoneyField(_("limits in the anchor's other programmes"), default=0)
    computed_limit = MoneyField(_("computed limit"), null=True, blank=True)
    bound_by = models.CharField(_("bound by"), max_length=16, choices=BoundBy.choices, blank=True)
    # Screening (filled by processing, before the limit): the outcome, its reasons (codes) and the evidence
    # of each, e.g. ``{"reason": "enforcement", "event_id": "E1", "event_date": "2026-03-01", "value": null}``.
    screening = models.CharField(_("screening"), max_length=8, choices=Screening.choices, blank=True)
    screening_reasons = ArrayField(models.CharField(max_length=16), verbose_name=_("screening reasons"), default=list)
    screening_evidence = models.JSONField(_("screening evidence"), default=list)
    # A renewal row: the limit it renews, which the limit granted from this row replaces.
    renews = models.ForeignKey(
        "origination.CreditLimit",
        verbose_name=_("renews"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="renewal_rows",
    )
    # The person's decision.
    decision = models.CharField(_("decision"), max_length=16, choices=Decision.choices, default=Decision.PENDING)
    decided_amount = MoneyField(_("decided amount"), null=True, blank=True)
    decision_reason = models.CharField(_("reason"), max_length=200, blank=True)
    # Not indexed: nothing looks rows up by who decided them, and users are deactivated, never deleted.
    decided_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+", db_index=False
    )

    class Meta:
        verbose_name = _("batch row")
        verbose_name_plural = _("batch rows")
        ordering = ["batch", "row"]
        constraints = [
            models.UniqueConstraint(fields=["batch", "row"], name="batch_row_unique"),
            models.UniqueConstraint(fields=["batch", "id_hash"], name="batch_farmer_once"),
        ]
        indexes = [models.Index(fields=["id_hash"])]

    def __str__(self) -> str:
        return f"{self.batch_id}:{self.row}"


class BatchRowError(models.Model):
    """A row that was refused, with the reason and the row as it was sent."""

    batch = models.ForeignKey(Batch, on_delete=models.CASCADE, related_name="row_errors")
    row = models.PositiveIntegerField(_("row"))
    column = models.CharField(_("column"), max_length=32)
    code = models.CharField(_("code"), max_length=48)
    detail = models.CharField(_("reason"), max_length=300)
    original = models.JSONField(_("original row"), default=dict)

    class Meta:
        verbose_name = _("row error")
        verbose_name_plural = _("row errors")
        ordering = ["batch", "row", "id"]

    def __str__(self) -> str:
        return f"{self.batch_id}:{self.row} {self.code}"


class UploadJob(TimeStampedModel):
    """A browser upload being read in the background; the page polls it and shows progress."""

    class State(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Reading and checking")
        DONE = "done", _("Done")
        FAILED = "failed", _("Refused")

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="+")
    uploaded_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    # The files are kept only while the job reads them: a refused list leaves nothing behind, an
    # accepted one is then the batch's own file.
    farmer_list = models.ForeignKey(StoredFile, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    file_name = models.CharField(_("file name"), max_length=255, blank=True)
    attachments = models.JSONField(default=dict)
    state = models.CharField(max_length=16, choices=State.choices, default=State.QUEUED)
    progress = models.PositiveSmallIntegerField(default=0)
    stage = models.CharField(max_length=100, blank=True)
    batch = models.ForeignKey(Batch, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    error_code = models.CharField(max_length=48, blank=True)
    error_detail = models.TextField(blank=True)
    errors = models.JSONField(default=list)

    class Meta:
        verbose_name = _("upload job")
        verbose_name_plural = _("upload jobs")

    def __str__(self) -> str:
        return f"upload {self.pk} {self.state}"
