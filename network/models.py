"""网点支撑: targets per sub-branch and quarter (两增一控), field research visits (蹲点) with their follow-up
actions, and training sessions by level with their attendees' feedback."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.models import TimeStampedModel


class SubBranchTarget(TimeStampedModel):
    """两增一控: a sub-branch's targets for one quarter, set by the branch.

    Growth of the inclusive loan balance (元) and of the number of borrowers over the quarter, and the
    NPL ratio the sub-branch must stay at or under at the quarter's end (a ratio: 0.0150 is 1.5 %).
    Every change is kept in ``TargetChange``.
    """

    org_node = models.ForeignKey(
        "partners.OrgNode", verbose_name=_("sub-branch"), on_delete=models.PROTECT, related_name="network_targets"
    )
    quarter = models.CharField(_("quarter"), max_length=7)  # "2027Q2", core.calendar.quarter_label
    balance_growth = models.DecimalField(_("balance increase target"), max_digits=18, decimal_places=2)
    borrowers_growth = models.IntegerField(_("borrowers increase target"))
    npl_ceiling = models.DecimalField(_("NPL ratio ceiling"), max_digits=7, decimal_places=4)
    set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("set by"), on_delete=models.PROTECT, related_name="+"
    )
    set_on = models.DateField(_("set on"))  # business date

    class Meta:
        verbose_name = _("sub-branch target")
        verbose_name_plural = _("sub-branch targets")
        ordering = ["-quarter", "org_node__path"]
        constraints = [
            models.UniqueConstraint(fields=["org_node", "quarter"], name="network_one_target_per_quarter"),
            models.CheckConstraint(condition=models.Q(balance_growth__gte=0), name="network_target_balance_gte_0"),
            models.CheckConstraint(condition=models.Q(borrowers_growth__gte=0), name="network_target_borrowers_gte_0"),
            models.CheckConstraint(
                condition=models.Q(npl_ceiling__gte=0) & models.Q(npl_ceiling__lte=1),
                name="network_target_npl_ceiling_ratio",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.org_node_id} {self.quarter}"


class TargetChange(models.Model):
    """One setting of a target: the values set, by whom and when (the history of a target)."""

    target = models.ForeignKey(SubBranchTarget, on_delete=models.CASCADE, related_name="changes")
    balance_growth = models.DecimalField(_("balance increase target"), max_digits=18, decimal_places=2)
    borrowers_growth = models.IntegerField(_("borrowers increase target"))
    npl_ceiling = models.DecimalField(_("NPL ratio ceiling"), max_digits=7, decimal_places=4)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("changed by"), on_delete=models.PROTECT, related_name="+"
    )
    business_date = models.DateField(_("business date"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    reason = models.CharField(_("reason"), max_length=200, blank=True, default="")

    class Meta:
        verbose_name = _("target change")
        verbose_name_plural = _("target changes")
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.target_id} @ {self.business_date}"


class OutletVisit(TimeStampedModel):
    """蹲点: a visit to an outlet to see how it works the product, with the outlet rated good, average or poor."""

    class Rating(models.TextChoices):
        GOOD = "good", _("Good")
        AVERAGE = "average", _("Average")
        POOR = "poor", _("Poor")

    outlet = models.ForeignKey(
        "partners.OrgNode", verbose_name=_("outlet"), on_delete=models.PROTECT, related_name="network_visits"
    )
    visited_on = models.DateField(_("visited on"))
    visitor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("visitor"), on_delete=models.PROTECT, related_name="+"
    )
    rating = models.CharField(_("rating"), max_length=8, choices=Rating.choices)
    findings = models.TextField(_("findings"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("recorded by"), on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("outlet visit")
        verbose_name_plural = _("outlet visits")
        ordering = ["-visited_on", "-id"]

    def __str__(self) -> str:
        return f"{self.outlet_id} {self.visited_on}"


class VisitAction(TimeStampedModel):
    """A follow-up action a visit asks for: what, who owns it and by when, tracked to done."""

    visit = models.ForeignKey(OutletVisit, on_delete=models.CASCADE, related_name="actions")
    description = models.CharField(_("action"), max_length=300)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("owner"), on_delete=models.PROTECT, related_name="+"
    )
    due_on = models.DateField(_("due on"))
    done_on = models.DateField(_("done on"), null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("done by"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    done_note = models.CharField(_("how it was done"), max_length=300, blank=True, default="")

    class Meta:
        verbose_name = _("follow-up action")
        verbose_name_plural = _("follow-up actions")
        ordering = ["due_on", "id"]
        indexes = [models.Index(fields=["due_on"], condition=models.Q(done_on__isnull=True), name="network_open_act")]

    def __str__(self) -> str:
        return self.description

    def overdue(self, today: dt.date) -> bool:
        return self.done_on is None and self.due_on < today


class TrainingSession(TimeStampedModel):
    """培训: a training session held at one level of the tree (the branch, a sub-branch or an outlet)."""

    class Level(models.TextChoices):
        BRANCH = "branch", _("Branch")
        SUB_BRANCH = "sub_branch", _("Sub-branch")
        OUTLET = "outlet", _("Outlet")

    org_node = models.ForeignKey(
        "partners.OrgNode", verbose_name=_("held for"), on_delete=models.PROTECT, related_name="network_trainings"
    )
    level = models.CharField(_("level"), max_length=16, choices=Level.choices)  # the node's kind
    held_on = models.DateField(_("held on"))
    topic = models.CharField(_("topic"), max_length=200)
    trainer = models.CharField(_("trainer"), max_length=100)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("recorded by"), on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("training session")
        verbose_name_plural = _("training sessions")
        ordering = ["-held_on", "-id"]

    def __str__(self) -> str:
        return self.topic


class TrainingAttendance(models.Model):
    """One attendee of a session, with the feedback he gave (a rating of 1 to 5 and a comment)."""

    session = models.ForeignKey(TrainingSession, on_delete=models.CASCADE, related_name="attendances")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("attendee"), on_delete=models.PROTECT, related_name="+"
    )
    rating = models.PositiveSmallIntegerField(_("rating"), null=True, blank=True)
    comment = models.CharField(_("comment"), max_length=500, blank=True, default="")
    feedback_on = models.DateField(_("feedback on"), null=True, blank=True)

    class Meta:
        verbose_name = _("training attendance")
        verbose_name_plural = _("training attendances")
        ordering = ["session_id", "user__username"]
        constraints = [
            models.UniqueConstraint(fields=["session", "user"], name="network_one_attendance_per_user"),
            models.CheckConstraint(
                condition=models.Q(rating__isnull=True) | (models.Q(rating__gte=1) & models.Q(rating__lte=5)),
                name="network_training_rating_1_to_5",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.session_id}: {self.user_id}"
