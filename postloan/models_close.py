"""What the operations console (日终处理) reads of a close besides its chunks: when each step started and
finished and how many chunks it planned, and the alerts raised when a close fails or runs late."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _


class DayCloseStepRun(models.Model):
    """One step of one close: its plan (chunks) and its times. The chunks done are ``DayCloseStep`` rows."""

    close = models.ForeignKey("postloan.DayClose", on_delete=models.CASCADE, related_name="step_runs")
    step = models.CharField(_("step"), max_length=32)
    chunks_planned = models.PositiveIntegerField(_("chunks planned"), default=1)
    # [[chunk, first id, last id], …] fixed at the step's first start; a resumed step runs the same chunks.
    plan = models.JSONField(_("chunk plan"), default=list)
    # The first attempt's start: a resumed step keeps it, so its seconds cover the whole step.
    started_at = models.DateTimeField(_("started at"))
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("close step run")
        verbose_name_plural = _("close step runs")
        constraints = [models.UniqueConstraint(fields=["close", "step"], name="cob_step_run_once")]

    def __str__(self) -> str:
        return f"{self.close_id} {self.step}"


class OperationsAlert(models.Model):
    """Something the administrators must look at: a close that failed, or that is not done in time."""

    class Kind(models.TextChoices):
        CLOSE_FAILED = "close_failed", _("Close of business failed")
        CLOSE_LATE = "close_late", _("Close of business unfinished")

    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    day = models.DateField(_("business date"))
    raised_at = models.DateTimeField(_("raised at"), auto_now_add=True)
    # Cleared when the close of that day is done; an alert is never deleted.
    cleared_at = models.DateTimeField(_("cleared at"), null=True, blank=True)

    class Meta:
        verbose_name = _("operations alert")
        verbose_name_plural = _("operations alerts")
        ordering = ["-raised_at"]
        # One alert of each kind per day: a watch running every few minutes raises it once.
        constraints = [models.UniqueConstraint(fields=["kind", "day"], name="operations_alert_once")]

    def __str__(self) -> str:
        return f"{self.kind} {self.day}"

    @property
    def text(self) -> str:
        """The alert in the reader's language (and in Chinese in the message the outbox sends)."""
        if self.kind == self.Kind.CLOSE_FAILED:
            return gettext(
                "The close of business of %(day)s failed and stopped. Resume it from the operations console once "
                "the cause is fixed."
            ) % {"day": self.day.isoformat()}
        return gettext(
            "The close of business of %(day)s is not finished %(minutes)s minutes after its time (%(time)s). Look "
            "at the operations console."
        ) % {"day": self.day.isoformat(), "minutes": settings.COB_ALERT_AFTER_MINUTES, "time": settings.COB_TIME}
