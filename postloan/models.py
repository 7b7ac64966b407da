"""The close of business (日终) as recorded steps, so that a stopped run finishes where it stopped."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from core.error_codes import ErrorCode
from core.errors import DomainError
from postloan.rule_parameters import parameters_checked


class DayClose(models.Model):
    class Status(models.TextChoices):
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        # A step raised: the close stopped there and waits to be resumed (its finished chunks stand).
        FAILED = "failed", _("Failed")

    class Trigger(models.TextChoices):
        COMMAND = "command", _("Command")
        SCHEDULE = "schedule", _("Schedule")
        CONSOLE = "console", _("Console")

    day = models.DateField(_("business date closed"), unique=True)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.RUNNING)
    started_at = models.DateTimeField(_("started at"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=1)
    # Who started the latest attempt: the command line, the beat schedule or a person on the console.
    trigger = models.CharField(_("started by"), max_length=16, choices=Trigger.choices, default=Trigger.COMMAND)
    # The latest failure, kept after a successful resume so the console can say what happened.
    error_step = models.CharField(_("failed step"), max_length=32, blank=True)
    error_chunk = models.PositiveIntegerField(_("failed chunk"), null=True, blank=True)
    error = models.TextField(_("error"), blank=True)
    failed_at = models.DateTimeField(_("failed at"), null=True, blank=True)

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


class Severity(models.TextChoices):
    HIGH = "high", _("High")
    MEDIUM = "medium", _("Medium")
    LOW = "low", _("Low")


class SubjectType(models.TextChoices):
    LOAN = "loan", _("Loan")
    FARMER = "farmer", _("Farmer")
    ANCHOR = "anchor", _("Anchor")
    PROGRAM = "program", _("Programme")


class WarningRule(models.Model):
    """预警规则: one of the daily run's indicators; parameters editable by an administrator (audited)."""

    code = models.CharField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100)
    description = models.CharField(_("raised when"), max_length=300)
    severity = models.CharField(_("severity"), max_length=8, choices=Severity)
    subject_type = models.CharField(_("subject type"), max_length=8, choices=SubjectType)
    parameters = models.JSONField(_("parameters"), default=dict, blank=True)
    deadline_days = models.PositiveSmallIntegerField(_("days to handle"))
    enabled = models.BooleanField(_("enabled"), default=True)
    # What the last run looked at: the next day's run need only look at what changed since (see warnings.py).
    evaluated_on = models.DateField(_("last evaluated for"), null=True, blank=True, editable=False)
    evaluated_parameters = models.JSONField(_("parameters last evaluated"), null=True, blank=True, editable=False)
    history = HistoricalRecords(excluded_fields=["evaluated_on", "evaluated_parameters"])

    class Meta:
        verbose_name = _("warning rule")
        verbose_name_plural = _("warning rules")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    def clean(self) -> None:
        """Parameters edited in a form (the admin's) are the rule's own, of their kind and within their range,
        or the form refuses them (``invalid_parameter``): no bad value waits for the close to fail on it."""
        # The rules' definitions read this module's models, so they are imported here, when a rule is checked.
        from postloan.rules import RULES_BY_CODE

        definition = RULES_BY_CODE.get(self.code)
        if definition is None:  # a row without a rule of the application would have no query to run
            unknown = ValidationError(_("No rule of the application has this code."), code=ErrorCode.INVALID_PARAMETER)
            raise ValidationError({"code": unknown})
        try:
            self.parameters = parameters_checked(
                rule_code=self.code, schema=definition.parameter_schema, values=self.parameters
            )
        except DomainError as refusal:
            raise ValidationError({"parameters": ValidationError(refusal.detail, code=refusal.code)}) from refusal


class RiskWarning(models.Model):
    """风险预警 (a risk warning): raised once per (rule, subject) while its condition holds; handled by a person.

    Named so that it does not shadow Python's built-in ``Warning``; its table keeps the name it had.
    """

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        CLOSED = "closed", _("Closed")

    class Resolution(models.TextChoices):
        NONE = "", _("—")
        CONFIRMED = "confirmed_risk", _("Confirmed risk")
        FALSE_ALARM = "false_alarm", _("False alarm")
        CLEARED = "cleared", _("Condition cleared")

    # The four references the warning run writes are kept by the application, not by the
    # database: the run inserts up to a million warnings in one transaction, and four deferred
    # foreign-key checks per row at its commit cost about as much as the inserts themselves
    # (bench/bench_warnings.py). The run copies them, in the same transaction, from the rule
    # table and from rows whose own foreign keys are checked (loans, programmes, anchors), and
    # none of the rows they point to is ever deleted (PROTECT). The indexes that begin with the
    # rule (the one active warning per subject) and with the assignee serve their look-ups, so
    # neither has one of its own.
    rule = models.ForeignKey(
        WarningRule,
        verbose_name=_("rule"),
        on_delete=models.PROTECT,
        related_name="warnings",
        db_constraint=False,
        db_index=False,
    )
    subject_type = models.CharField(_("subject type"), max_length=8, choices=SubjectType)
    subject_id = models.BigIntegerField(_("subject"))
    severity = models.CharField(_("severity"), max_length=8, choices=Severity)
    org_node = models.ForeignKey(
        "partners.OrgNode", verbose_name=_("node"), on_delete=models.PROTECT, related_name="+", db_constraint=False
    )
    # No list filters warnings by programme, and the 20th raises a warning for nearly every loan: no index.
    program = models.ForeignKey(
        "partners.Program",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_constraint=False,
        db_index=False,
    )
    assignee = models.ForeignKey(
        "partners.User",
        verbose_name=_("assigned to"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_constraint=False,
        db_index=False,
    )
    raised_on = models.DateField(_("raised on"), db_index=True)
    deadline = models.DateField(_("deadline"))
    fact = models.CharField(_("what fired it"), max_length=200, blank=True)
    active = models.BooleanField(_("condition holds"), default=True)
    cleared_on = models.DateField(_("condition cleared on"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=8, choices=Status.choices, default=Status.OPEN)
    resolution = models.CharField(_("resolution"), max_length=16, choices=Resolution.choices, blank=True)
    closed_on = models.DateField(_("closed on"), null=True, blank=True)
    # Empty until a person closes the warning: indexed only where set (see Meta), so that the run's
    # inserts do not add an empty entry to the index for every warning. Kept by the application like
    # the references above: even empty, a database key is checked at the commit for every row the
    # run inserts. A person closing a warning is the signed-in user; users are never deleted (PROTECT).
    closed_by = models.ForeignKey(
        "partners.User",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    close_reason = models.TextField(_("reason"), blank=True)
    escalated = models.BooleanField(_("escalated"), default=False)
    escalated_to = models.ForeignKey(
        "partners.User",
        verbose_name=_("escalated to"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,  # like closed_by; set by the escalation, to a branch manager it has just read
        db_constraint=False,
    )

    class Meta:
        db_table = "postloan_warning"
        verbose_name = _("warning")
        verbose_name_plural = _("warnings")
        constraints = [
            # One warning per (rule, subject) while the condition holds, even under concurrent runs.
            models.UniqueConstraint(
                fields=["rule", "subject_type", "subject_id"],
                condition=models.Q(active=True),
                name="one_active_warning_per_rule_subject",
            )
        ]
        # Every index costs each warning the run inserts a descent of its tree: about a ninth of the 20th's
        # insert of 948,000 warnings each. The run's look-ups of a rule's active warnings use the
        # constraint's partial index above, so there is no (rule, active) index of its own.
        indexes = [
            models.Index(fields=["status", "severity", "deadline"]),
            models.Index(fields=["assignee", "status"]),
            models.Index(fields=["subject_type", "subject_id"]),
            models.Index(fields=["closed_by"], condition=models.Q(closed_by__isnull=False), name="warning_closed_by"),
            models.Index(
                fields=["escalated_to"], condition=models.Q(escalated_to__isnull=False), name="warning_escalated_to"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.rule.code} {self.subject_type}#{self.subject_id}"


# Closed by a person (the warning run's own close is "cleared"): what the dashboards count as handled.
HANDLED_RESOLUTIONS = (RiskWarning.Resolution.CONFIRMED, RiskWarning.Resolution.FALSE_ALARM)


class WarningAction(models.Model):
    """预警处置: what the account manager did about a warning."""

    class Kind(models.TextChoices):
        CALLBACK = "callback", _("Phone callback")
        VISIT = "visit", _("Visit")
        VERIFICATION = "verification", _("Verification")
        NOTE = "note", _("Note")

    warning = models.ForeignKey(RiskWarning, on_delete=models.CASCADE, related_name="actions")
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    note = models.TextField(_("what was done"))
    actor = models.ForeignKey("partners.User", on_delete=models.PROTECT, related_name="+")
    business_date = models.DateField(_("business date"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("warning action")
        verbose_name_plural = _("warning actions")
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.warning_id} {self.kind}"


class PostDrawdownCheck(models.Model):
    """贷后检查: the trade-authenticity check and the phone callback after a drawdown."""

    class Kind(models.TextChoices):
        TRADE_AUTHENTICITY = "trade_authenticity", _("Trade authenticity check")
        PHONE_CALLBACK = "phone_callback", _("Phone callback")

    class Result(models.TextChoices):
        OK = "ok", _("No issue")
        ISSUE = "issue", _("Issue found")

    loan = models.ForeignKey("origination.Loan", on_delete=models.CASCADE, related_name="checks")
    kind = models.CharField(_("kind"), max_length=24, choices=Kind.choices)
    result = models.CharField(_("result"), max_length=8, choices=Result.choices)
    note = models.TextField(_("note"), blank=True)
    done_on = models.DateField(_("done on"))
    actor = models.ForeignKey("partners.User", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("post-drawdown check")
        verbose_name_plural = _("post-drawdown checks")
        indexes = [models.Index(fields=["loan", "kind"])]

    def __str__(self) -> str:
        return f"{self.loan_id} {self.kind}"


# Registers the close's step runs and alerts, the dashboards' daily aggregate tables and the monthly statements.
from postloan import models_close, models_dashboards, models_statements  # noqa: E402, F401
