"""Programmes (合作方案): creation with the programme defaults, status changes and resumption."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.audit import AuditAction, audit_record
from core.business_date import business_date_get
from core.error_codes import ErrorCode
from core.errors import DomainError
from core.permissions import require_other_person, require_role
from core.roles import Role
from partners.models import Anchor, Program, ProgramStatusChange, User
from partners.scoping import is_anchor_operator

# The programme defaults: the figures a new programme starts with, each changeable per programme.
PROGRAM_DEFAULTS: dict[str, Any] = {
    "total_cap": Decimal("400000000.00"),
    "per_farmer_cap": Decimal("2000000.00"),
    "order_ratio": Decimal("0.30"),
    "lookback_months": 12,
    "margin_ratio": Decimal("0.05"),
    "max_term_months": 12,
    "limit_validity_months": 12,
    "mismatch_tolerance": Decimal("0.10"),
    "npl_warning_ratio": Decimal("0.02"),
    "npl_suspend_ratio": Decimal("0.03"),
    "penalty_markup": Decimal("0.50"),
    # Screening (准入筛查): the scorecard's minimum, the look-back of adverse events, the lenders for review.
    "min_score": Decimal("60"),
    "screening_lookback_days": 365,
    "multi_lender_review_count": 3,
}


@dataclass(frozen=True)
class Range:
    low: Decimal
    high: Decimal
    low_inclusive: bool = True
    label: Any = ""


# Validated ranges of every parameter (inclusive unless said).
PROGRAM_RANGES: dict[str, Range] = {
    "annual_rate": Range(Decimal(0), Decimal("0.36"), low_inclusive=False, label=gettext_lazy("annual rate")),
    "total_cap": Range(Decimal(0), Decimal("1e13"), low_inclusive=False, label=gettext_lazy("total cap")),
    "per_farmer_cap": Range(Decimal(0), Decimal("1e11"), low_inclusive=False, label=gettext_lazy("per-farmer cap")),
    "order_ratio": Range(Decimal(0), Decimal(1), low_inclusive=False, label=gettext_lazy("order ratio")),
    "lookback_months": Range(Decimal(1), Decimal(36), label=gettext_lazy("look-back months")),
    "margin_ratio": Range(Decimal(0), Decimal(1), label=gettext_lazy("margin ratio")),
    "max_term_months": Range(Decimal(1), Decimal(36), label=gettext_lazy("maximum term")),
    "limit_validity_months": Range(Decimal(1), Decimal(36), label=gettext_lazy("limit validity")),
    "mismatch_tolerance": Range(Decimal(0), Decimal(1), label=gettext_lazy("mismatch tolerance")),
    "npl_warning_ratio": Range(Decimal(0), Decimal(1), low_inclusive=False, label=gettext_lazy("NPL warning ratio")),
    "npl_suspend_ratio": Range(Decimal(0), Decimal(1), low_inclusive=False, label=gettext_lazy("NPL suspension ratio")),
    "penalty_markup": Range(Decimal(0), Decimal(1), label=gettext_lazy("penalty markup")),
    "min_score": Range(Decimal(0), Decimal(100), label=gettext_lazy("minimum score")),
    "screening_lookback_days": Range(Decimal(30), Decimal(1095), label=gettext_lazy("screening look-back (days)")),
    "multi_lender_review_count": Range(
        Decimal(2), Decimal(50), label=gettext_lazy("lenders that send a farmer to review")
    ),
}
PROGRAM_PARAMETERS = tuple(PROGRAM_RANGES)
# What an anchor operator is not shown of his programme: with the tolerance he could declare orders just
# inside what the provider's verified figures allow.
PARAMETERS_KEPT_FROM_ANCHOR_OPERATORS = frozenset({"mismatch_tolerance"})


def program_parameters_shown(viewer: User) -> tuple[str, ...]:
    """The programme parameters this viewer may read, on pages and in the API."""
    if is_anchor_operator(viewer):
        return tuple(name for name in PROGRAM_PARAMETERS if name not in PARAMETERS_KEPT_FROM_ANCHOR_OPERATORS)
    return PROGRAM_PARAMETERS


def _check_parameters(values: dict[str, Any]) -> None:
    for name, bounds in PROGRAM_RANGES.items():
        value = Decimal(values[name])
        too_low = value < bounds.low if bounds.low_inclusive else value <= bounds.low
        if too_low or value > bounds.high:
            raise DomainError(
                ErrorCode.INVALID_PARAMETER,
                _("%(name)s must lie between %(low)s and %(high)s.")
                % {"name": bounds.label, "low": bounds.low, "high": bounds.high},
                field=name,
            )
    if values["per_farmer_cap"] > values["total_cap"]:
        raise DomainError(ErrorCode.INVALID_PARAMETER, _("The per-farmer cap cannot exceed the total cap."))
    if values["npl_warning_ratio"] >= values["npl_suspend_ratio"]:
        raise DomainError(ErrorCode.INVALID_PARAMETER, _("The NPL warning line must be below the suspension line."))


@transaction.atomic
def program_create(
    *,
    actor: User,
    anchor: Anchor,
    name: str,
    annual_rate: Decimal,
    manager: User | None = None,
    **parameters: Any,
) -> Program:
    """A new programme is active at once: its creation by a risk approver is its approval."""
    require_role(actor, Role.RISK_APPROVER)
    unknown = set(parameters) - set(PROGRAM_DEFAULTS) - {"agreement"}
    if unknown:
        raise DomainError(
            ErrorCode.INVALID_PARAMETER, _("Unknown parameter: %(names)s") % {"names": ", ".join(unknown)}
        )
    anchor = Anchor.objects.select_for_update().get(pk=anchor.pk)
    if anchor.status != Anchor.Status.APPROVED:
        raise DomainError(
            ErrorCode.ANCHOR_NOT_APPROVED,
            _("The anchor %(name)s is not approved: a programme needs an approved anchor.") % {"name": anchor.name},
        )
    values = {
        **PROGRAM_DEFAULTS,
        **{k: v for k, v in parameters.items() if v is not None},
        "annual_rate": annual_rate,
    }
    _check_parameters(values)
    program = Program.objects.create(
        anchor=anchor,
        name=name.strip(),
        org_node=anchor.org_node,
        manager=manager,
        created_by=actor,
        **values,
    )
    audit_record(
        actor=actor, action=AuditAction.PROGRAM_CREATE, subject=program, **{k: values[k] for k in PROGRAM_RANGES}
    )
    return program


def program_status_record(
    *,
    program: Program,
    to_status: str,
    actor: User | None,
    reason: str = "",
    npl_ratio: Decimal | None = None,
    npl_principal: Decimal | None = None,
    outstanding_principal: Decimal | None = None,
) -> ProgramStatusChange:
    """Move the (already locked) programme and keep the figures that moved it."""
    change = ProgramStatusChange.objects.create(
        program=program,
        from_status=program.status,
        to_status=to_status,
        business_date=business_date_get(),
        npl_ratio=npl_ratio,
        npl_principal=npl_principal,
        outstanding_principal=outstanding_principal,
        reason=reason,
        actor=actor,
    )
    program.status = to_status
    program.save(update_fields=["status", "breaker_accepted_ratio", "updated_at"])
    return change


@transaction.atomic
def program_suspend(*, program: Program, actor: User, reason: str) -> Program:
    require_role(actor, Role.RISK_APPROVER)
    if not reason.strip():
        raise DomainError(ErrorCode.REASON_REQUIRED, _("Give the reason for the suspension."))
    program = Program.objects.select_for_update().get(pk=program.pk)
    if program.status == Program.Status.SUSPENDED:
        raise DomainError(ErrorCode.INVALID_STATUS_CHANGE, _("The programme is already suspended."))
    program_status_record(program=program, to_status=Program.Status.SUSPENDED, actor=actor, reason=reason)
    audit_record(actor=actor, action=AuditAction.PROGRAM_SUSPEND, subject=program, reason=reason)
    return program


@transaction.atomic
def program_resume(*, program: Program, actor: User, assessment: str, npl_ratio: Decimal | None = None) -> Program:
    """A risk approver resumes a suspended programme with a new written risk assessment.

    After a manual suspension the one who suspended may not resume; after an automatic one
    any risk approver may. The NPL ratio of the day is accepted, so the breaker suspends
    again only if it rises above it.
    """
    require_role(actor, Role.RISK_APPROVER)
    if len(assessment.strip()) < 10:
        raise DomainError(ErrorCode.ASSESSMENT_REQUIRED, _("Write the new risk assessment (at least 10 characters)."))
    program = Program.objects.select_for_update().get(pk=program.pk)
    if program.status != Program.Status.SUSPENDED:
        raise DomainError(ErrorCode.INVALID_STATUS_CHANGE, _("Only a suspended programme can be resumed."))
    last = program.status_changes.filter(to_status=Program.Status.SUSPENDED).order_by("-id").first()
    require_other_person(actor, last.actor if last else None, _("A resumption"))
    program.breaker_accepted_ratio = npl_ratio
    program_status_record(
        program=program, to_status=Program.Status.ACTIVE, actor=actor, reason=assessment, npl_ratio=npl_ratio
    )
    audit_record(actor=actor, action=AuditAction.PROGRAM_RESUME, subject=program, assessment=assessment)
    return program
