"""The close of business (日终) as recorded steps, so that a stopped run finishes where it stopped."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class DayClose(models.Model):
    class Status(models.TextChoices):
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")

    day = models.DateField(_("business date closed"), unique=True)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.RUNNING)
    started_at = models.DateTimeField(_("started at"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=1)

    class Meta:
        verbose_name = _("close of business")
        verbose_name_plural = _("closes of business")
        ordering = ["-day"]

    def __str__(self) -> str:
        return f"{self.day} {self.status}"


class DayCloseStep(models.Model):
    """One finished chunk of one step; written in the same transaction as the chunk's work."""

    day = models.DateField(_("business date"))
    step = models.CharField(_("step"), max_length=32)
    chunk = models.PositiveIntegerField(_("chunk"), default=0)
    rows = models.PositiveIntegerField(_("rows"), default=0)
    finished_at = models.DateTimeField(_("finished at"), auto_now_add=True)

    class Meta:
        verbose_name = _("close-of-business step")
        verbose_name_plural = _("close-of-business steps")
        constraints = [models.UniqueConstraint(fields=["day", "step", "chunk"], name="cob_step_chunk_once")]
        ordering = ["day", "id"]

    def __str__(self) -> str:
        return f"{self.day} {self.step}#{self.chunk}"
