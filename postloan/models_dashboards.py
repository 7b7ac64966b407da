"""Daily aggregates behind the leaders' dashboards (看板日汇总).

Written by the close of business (``postloan.dashboards.aggregates``) for the
business date it opens, so that a dashboard reads a few thousand rows instead
of the whole book. ``day`` is that business date: the figures describe the
book as the close of the day before left it. Every table is rewritten a day at
a time (delete, then insert, in one transaction), which is also why none of
them needs an id-based update path.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from core.models import MoneyField


class AggregateDay(models.Model):
    """A business date whose figures are written (even an empty book has its day)."""

    day = models.DateField(_("business date"), unique=True)
    rows = models.PositiveIntegerField(_("rows"), default=0)
    written_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("dashboard figures day")
        verbose_name_plural = _("dashboard figures days")
        ordering = ["-day"]

    def __str__(self) -> str:
        return self.day.isoformat()


class DailyNodeFigures(models.Model):
    """The active book of one node in one programme: balances, classification mix, delinquency, limits.

    ``customers`` counts distinct borrowers of the node in the programme: it adds up across nodes,
    not across programmes (a farmer may borrow in two); ``DailyCrossSelling`` has the distinct count.
    """

    day = models.DateField()
    org_node = models.ForeignKey("partners.OrgNode", on_delete=models.CASCADE, related_name="+")
    program = models.ForeignKey("partners.Program", on_delete=models.CASCADE, related_name="+")
    loans = models.PositiveIntegerField(default=0)
    customers = models.PositiveIntegerField(default=0)
    outstanding = MoneyField(default=0)
    npl = MoneyField(default=0)
    normal = MoneyField(default=0)
    special_mention = MoneyField(default=0)
    substandard = MoneyField(default=0)
    doubtful = MoneyField(default=0)
    loss = MoneyField(default=0)
    principal_overdue = MoneyField(default=0)
    interest_overdue = MoneyField(default=0)
    compensated = MoneyField(default=0)
    shadow_delinquent = MoneyField(default=0)
    limits_approved = MoneyField(default=0)
    limits_count = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("daily lending figures")
        verbose_name_plural = _("daily lending figures")
        constraints = [
            models.UniqueConstraint(fields=["day", "org_node", "program"], name="daily_node_figures_once"),
        ]
        indexes = [models.Index(fields=["program", "day"])]

    def __str__(self) -> str:
        return f"{self.day} {self.org_node_id}/{self.program_id}"


class DailyCrossSelling(models.Model):
    """Borrowers (farmers with an active loan) of a node, and how many of them hold each product.

    Four kinds of rows, by which of ``program`` and ``product`` are empty:
    ``program`` empty counts farmers once across programmes, set counts them in that programme;
    ``product`` empty counts the borrowers, set counts the borrowers holding the product.
    """

    day = models.DateField()
    org_node = models.ForeignKey("partners.OrgNode", on_delete=models.CASCADE, related_name="+")
    program = models.ForeignKey("partners.Program", null=True, on_delete=models.CASCADE, related_name="+")
    product = models.ForeignKey("partners.Product", null=True, on_delete=models.CASCADE, related_name="+")
    borrowers = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("daily cross-selling figures")
        verbose_name_plural = _("daily cross-selling figures")
        indexes = [models.Index(fields=["day", "org_node"])]

    def __str__(self) -> str:
        return f"{self.day} {self.org_node_id}/{self.program_id}/{self.product_id}"


class DailyWarningFigures(models.Model):
    """Warnings per node, rule, severity and assignee: open at the start of the day, and what changed overnight.

    ``raised`` and ``cleared`` are the warning run that opened the day; ``handled`` (closed by a person
    as confirmed risk or false alarm) is the business day before, ``handled_in_time`` those closed by
    their deadline.
    """

    day = models.DateField()
    org_node = models.ForeignKey("partners.OrgNode", on_delete=models.CASCADE, related_name="+")
    rule = models.ForeignKey("postloan.WarningRule", on_delete=models.CASCADE, related_name="+")
    severity = models.CharField(max_length=8)
    assignee = models.ForeignKey("partners.User", null=True, on_delete=models.CASCADE, related_name="+")
    open = models.PositiveIntegerField(default=0)
    overdue = models.PositiveIntegerField(default=0)
    raised = models.PositiveIntegerField(default=0)
    handled = models.PositiveIntegerField(default=0)
    handled_in_time = models.PositiveIntegerField(default=0)
    cleared = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("daily warning figures")
        verbose_name_plural = _("daily warning figures")
        indexes = [models.Index(fields=["day", "org_node"])]

    def __str__(self) -> str:
        return f"{self.day} {self.org_node_id}/{self.rule_id}"


class DailyWarningCloseTimes(models.Model):
    """How many warnings closed by a person on the day before took ``days`` days from raising to closing.

    A histogram, so that medians over any period and any grouping come from a few hundred rows.
    """

    day = models.DateField()
    org_node = models.ForeignKey("partners.OrgNode", on_delete=models.CASCADE, related_name="+")
    rule = models.ForeignKey("postloan.WarningRule", on_delete=models.CASCADE, related_name="+")
    severity = models.CharField(max_length=8)
    assignee = models.ForeignKey("partners.User", null=True, on_delete=models.CASCADE, related_name="+")
    days = models.PositiveIntegerField()
    handled = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("daily warning closing times")
        verbose_name_plural = _("daily warning closing times")
        indexes = [models.Index(fields=["day", "org_node"])]

    def __str__(self) -> str:
        return f"{self.day} {self.org_node_id}/{self.rule_id} {self.days}d"
