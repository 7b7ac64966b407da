from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class TimeStampedModel(models.Model):
    """Base of every table: when the row was written and last changed (wall clock, for audit)."""

    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        abstract = True


class BusinessDate(models.Model):
    """营业日: the one date the domain reads. A single row (id = 1)."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    date = models.DateField(_("business date"))
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("business date")
        verbose_name_plural = _("business dates")
        constraints = [models.CheckConstraint(condition=models.Q(id=1), name="business_date_single_row")]

    def __str__(self) -> str:
        return self.date.isoformat()


class AuditEvent(models.Model):
    """审计日志: who did what to which row, on which business date. Never edited."""

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    action = models.CharField(_("action"), max_length=64, db_index=True)
    object_type = models.CharField(_("object type"), max_length=64)
    object_id = models.CharField(_("object id"), max_length=64)
    business_date = models.DateField(_("business date"))
    data = models.JSONField(_("data"), default=dict, blank=True)
    created_at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        indexes = [models.Index(fields=["object_type", "object_id"])]
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.action} {self.object_type}#{self.object_id}"


def _stored_file_path(instance: StoredFile, filename: str) -> str:
    # Content-addressed: the same bytes always land at the same path.
    return f"files/{instance.sha256[:2]}/{instance.sha256}"


class StoredFile(models.Model):
    """An uploaded file kept byte for byte, with its SHA-256 and who sent it."""

    sha256 = models.CharField(_("SHA-256"), max_length=64, db_index=True)
    name = models.CharField(_("file name"), max_length=255)
    size = models.PositiveBigIntegerField(_("size"))
    content_type = models.CharField(_("content type"), max_length=100, blank=True)
    content = models.FileField(_("content"), upload_to=_stored_file_path, max_length=255)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("stored file")
        verbose_name_plural = _("stored files")

    def __str__(self) -> str:
        return f"{self.name} ({self.sha256[:12]})"


class MoneyField(models.DecimalField):  # type: ignore[type-arg]
    """Yuan to the fen: NUMERIC(18, 2)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max_digits", 18)
        kwargs.setdefault("decimal_places", 2)
        super().__init__(*args, **kwargs)


class RatioField(models.DecimalField):  # type: ignore[type-arg]
    """A rate or ratio to six places: NUMERIC(9, 6)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max_digits", 9)
        kwargs.setdefault("decimal_places", 6)
        super().__init__(*args, **kwargs)


class PrincipalDaysField(models.DecimalField):  # type: ignore[type-arg]
    """Sum of end-of-day principal over days (积数): NUMERIC(24, 2), exact, never divided."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max_digits", 24)
        kwargs.setdefault("decimal_places", 2)
        super().__init__(*args, **kwargs)
