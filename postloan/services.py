"""Handling warnings (预警处置), recording post-drawdown checks, and setting a rule's parameters."""

from __future__ import annotations

from django.db import transaction
from django.db.models import Case, IntegerField, Q, QuerySet, Value, When
from django.utils.translation import gettext as _

from core.audit import AuditAction, audit_record
from core.business_date import business_date_get
from core.error_codes import ErrorCode
from core.errors import DomainError
from core.permissions import require_role
from core.roles import Role
from origination.models import Loan
from partners.models import User
from partners.scoping import filter_by_subtree, is_anchor_operator
from postloan.models import PostDrawdownCheck, RiskWarning, SubjectType, WarningAction, WarningRule
from postloan.rule_parameters import parameters_checked
from postloan.rules import PROVIDER_FACT_RULES, RULES_BY_CODE

HANDLING_ROLES = (Role.ACCOUNT_MANAGER, Role.RISK_APPROVER, Role.BRANCH_MANAGER)
SEVERITY_ORDER = Case(
    When(severity="high", then=Value(0)),
    When(severity="medium", then=Value(1)),
    default=Value(2),
    output_field=IntegerField(),
)


def visible_warnings(user: User) -> QuerySet[RiskWarning]:
    """Bank staff see the warnings of their subtree; an anchor operator those of his enterprise: on its
    programmes and their borrowers, or on the anchor itself (what fired a provider-fed rule stays hidden
    from him, see ``warning_fact``)."""
    if is_anchor_operator(user):
        if user.anchor_id is None:
            return RiskWarning.objects.none()
        return RiskWarning.objects.filter(
            Q(program__anchor_id=user.anchor_id) | Q(subject_type=SubjectType.ANCHOR, subject_id=user.anchor_id)
        )
    return filter_by_subtree(RiskWarning.objects.all(), user)


def warning_fact(warning: RiskWarning, viewer: User) -> str:
    """What fired a warning, as this viewer may read it: every page and API answer shows a fact through here.

    The fact of a rule fed by the data provider (last month's verified orders, the last order date, an
    event) stays with the bank: an anchor operator reads a neutral sentence instead, so that he cannot
    tune his declared figures to what the provider verified. The rule and the status remain his to see.
    """
    if is_anchor_operator(viewer) and warning.rule.code in PROVIDER_FACT_RULES:
        return _("Please contact your account manager for details.")
    return warning.fact


def my_warnings(user: User) -> QuerySet[RiskWarning]:
    """What a person must handle: assigned to him, or escalated to him; most severe and most urgent first."""
    mine = visible_warnings(user).filter(status=RiskWarning.Status.OPEN)
    mine = mine.filter(assignee=user) | mine.filter(escalated_to=user)
    return mine.annotate(severity_rank=SEVERITY_ORDER).order_by("severity_rank", "deadline", "id")


def _open_warning(warning: RiskWarning) -> RiskWarning:
    locked = RiskWarning.objects.select_for_update().get(pk=warning.pk)
    if locked.status != RiskWarning.Status.OPEN:
        raise DomainError(ErrorCode.WARNING_CLOSED, _("This warning is already closed."))
    return locked


@transaction.atomic
def warning_action_add(*, warning: RiskWarning, actor: User, kind: str, note: str) -> WarningAction:
    require_role(actor, *HANDLING_ROLES)
    if kind not in WarningAction.Kind.values:
        raise DomainError(ErrorCode.INVALID_KIND, _("Choose what was done: callback, visit, verification or note."))
    if not note.strip():
        raise DomainError(ErrorCode.NOTE_REQUIRED, _("Write what was done and found."))
    warning = _open_warning(warning)
    action = WarningAction.objects.create(
        warning=warning, kind=kind, note=note.strip(), actor=actor, business_date=business_date_get()
    )
    audit_record(actor=actor, action=AuditAction.WARNING_ACTION, subject=warning, kind=kind)
    return action


@transaction.atomic
def warning_close(*, warning: RiskWarning, actor: User, resolution: str, reason: str) -> RiskWarning:
    """Close as confirmed risk or false alarm, with a reason; at least one action must be on record."""
    require_role(actor, *HANDLING_ROLES)
    if resolution not in (RiskWarning.Resolution.CONFIRMED, RiskWarning.Resolution.FALSE_ALARM):
        raise DomainError(ErrorCode.INVALID_RESOLUTION, _("Close as confirmed risk or as false alarm."))
    if not reason.strip():
        raise DomainError(ErrorCode.REASON_REQUIRED, _("Give the reason for closing."))
    warning = _open_warning(warning)
    if not warning.actions.exists():
        raise DomainError(
            ErrorCode.ACTION_REQUIRED, _("Record what was done (a callback, a visit, a check) before closing.")
        )
    warning.status = RiskWarning.Status.CLOSED
    warning.resolution = resolution
    warning.close_reason = reason.strip()
    warning.closed_on = business_date_get()
    warning.closed_by = actor
    warning.save(update_fields=["status", "resolution", "close_reason", "closed_on", "closed_by"])
    audit_record(actor=actor, action=AuditAction.WARNING_CLOSE, subject=warning, resolution=resolution)
    return warning


@transaction.atomic
def postdrawdown_check_record(*, loan: Loan, actor: User, kind: str, result: str, note: str = "") -> PostDrawdownCheck:
    require_role(actor, Role.ACCOUNT_MANAGER, Role.RISK_APPROVER)
    if kind not in PostDrawdownCheck.Kind.values or result not in PostDrawdownCheck.Result.values:
        raise DomainError(ErrorCode.INVALID_CHECK, _("Choose the kind of check and its result."))
    if result == PostDrawdownCheck.Result.ISSUE and not note.strip():
        raise DomainError(ErrorCode.NOTE_REQUIRED, _("Describe the issue found."))
    check = PostDrawdownCheck.objects.create(
        loan=loan, kind=kind, result=result, note=note.strip(), done_on=business_date_get(), actor=actor
    )
    audit_record(actor=actor, action=AuditAction.POSTDRAWDOWN_CHECK, subject=loan, kind=kind, result=result)
    return check


@transaction.atomic
def warning_rule_parameters_set(*, rule: WarningRule, actor: User, parameters: object) -> WarningRule:
    """An administrator sets a rule's parameters (those left out keep their default).

    Each must be a parameter of the rule, of its kind and within its range (``postloan.rule_parameters``),
    else ``invalid_parameter`` and nothing changes: no bad value waits for the close to fail on it.
    """
    require_role(actor, Role.ADMINISTRATOR)
    definition = RULES_BY_CODE[rule.code]
    checked = parameters_checked(rule_code=rule.code, schema=definition.parameter_schema, values=parameters)
    rule = WarningRule.objects.select_for_update().get(pk=rule.pk)
    before = rule.parameters
    rule.parameters = checked
    rule._history_user = actor  # type: ignore[attr-defined]  # who made the edit, in the rule's history
    rule.save(update_fields=["parameters"])
    audit_record(
        actor=actor, action=AuditAction.WARNING_RULE_PARAMETERS_SET, subject=rule, before=before, after=checked
    )
    return rule


DEADLINE_DAYS_RANGE = (1, 365)  # days to handle a rule's warning: at least a day, at most a year


@transaction.atomic
def warning_rule_settings_set(*, rule: WarningRule, actor: User, enabled: bool, deadline_days: int) -> WarningRule:
    """An administrator switches a rule on or off (a rule is never deleted) and sets its days to handle.

    Days outside ``DEADLINE_DAYS_RANGE`` are refused (``invalid_parameter``) and nothing changes.
    """
    require_role(actor, Role.ADMINISTRATOR)
    low, high = DEADLINE_DAYS_RANGE
    if isinstance(deadline_days, bool) or not isinstance(deadline_days, int) or not low <= deadline_days <= high:
        raise DomainError(
            ErrorCode.INVALID_PARAMETER,
            _("Days to handle is a whole number from %(low)s to %(high)s.") % {"low": low, "high": high},
        )
    rule = WarningRule.objects.select_for_update().get(pk=rule.pk)
    before = {"enabled": rule.enabled, "deadline_days": rule.deadline_days}
    rule.enabled, rule.deadline_days = bool(enabled), deadline_days
    rule._history_user = actor  # type: ignore[attr-defined]  # who made the edit, in the rule's history
    rule.save(update_fields=["enabled", "deadline_days"])
    after = {"enabled": rule.enabled, "deadline_days": rule.deadline_days}
    audit_record(actor=actor, action=AuditAction.WARNING_RULE_SETTINGS_SET, subject=rule, before=before, after=after)
    return rule
