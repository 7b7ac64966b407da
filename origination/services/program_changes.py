"""Programme changes (方案参数变更): proposed by one person, approved by another, in force from a business date.

A change carries the new values of the parameters it changes, checked by the rules a new programme is checked
by (``partners.services.programs``) over the programme's values merged with the new ones. It lives here, not in
``partners``, because one rule reads the book: the total cap is never lowered below the limits already granted
and in force (``origination.figures``), the way a bank never takes back a limit by shrinking the programme.

What a change reaches:

- the rate and the penalty markup apply to new drawdowns only: a loan keeps the ``annual_rate`` and
  ``penalty_markup`` copied onto it at disbursement (``origination.models.Loan``), which servicing reads;
- the caps, the order ratio, the look-backs, the tolerance, the validity and the screening thresholds apply to
  batches processed and limits approved from the change's date; limits already granted stand as granted, even
  above a lowered per-farmer cap;
- the maximum term applies to new drawdowns; the margin ratio and the NPL lines apply to the whole programme
  from the date (the margin required and the breaker are computed on the current parameters).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from core.audit import AuditAction, audit_record
from core.business_date import business_date_get
from core.error_codes import ErrorCode
from core.errors import DomainError
from core.money import format_yuan
from core.permissions import require_other_person, require_role
from core.roles import Role
from origination.figures import program_approved_limits
from partners.models import Program, ProgramChange, User
from partners.services.programs import PROGRAM_PARAMETERS, PROGRAM_RANGES, _check_parameters

# Who proposes: the bank's people of the programme (its account manager) and risk; who approves: risk alone.
PROPOSER_ROLES = (Role.ACCOUNT_MANAGER, Role.RISK_APPROVER)
APPROVER_ROLES = (Role.RISK_APPROVER,)

MONEY_PARAMETERS = frozenset({"total_cap", "per_farmer_cap"})
INTEGER_PARAMETERS = frozenset(
    {
        "lookback_months",
        "max_term_months",
        "limit_validity_months",
        "screening_lookback_days",
        "multi_lender_review_count",
    }
)
SCORE_PARAMETERS = frozenset({"min_score"})
# The places each kind of parameter is stored with (NUMERIC(18, 2) money, (9, 6) ratios, (5, 2) scores).
_PLACES = {"money": 2, "ratio": 6, "score": 2, "integer": 0}
# simple_history's reason on the programme's version a change made: ``program_change:<id>``.
HISTORY_REASON_PREFIX = "program_change:"


def parameter_kind(name: str) -> str:
    if name in MONEY_PARAMETERS:
        return "money"
    if name in INTEGER_PARAMETERS:
        return "integer"
    if name in SCORE_PARAMETERS:
        return "score"
    return "ratio"


def parameter_text(name: str, value: Any) -> str | int:
    """A parameter as the API writes it: money "1000.00", a ratio "0.30", a score "75.5", a count 12."""
    kind = parameter_kind(name)
    if kind == "integer":
        return int(value)
    number = Decimal(value)
    if kind == "money":
        return f"{number:.2f}"
    text = f"{number.normalize():f}"
    if kind == "score":
        return text
    whole, _dot, fraction = text.partition(".")
    return f"{whole}.{fraction.ljust(2, '0')}"


def parameter_value(name: str, raw: Any) -> Decimal | int:
    """Read one proposed value (text or a number, never a flag); a clear refusal for anything else."""
    label = PROGRAM_RANGES[name].label
    kind = parameter_kind(name)
    not_a_number = DomainError(
        ErrorCode.INVALID_PARAMETER, _("%(name)s is not a number.") % {"name": label}, field=name
    )
    if isinstance(raw, bool) or not isinstance(raw, str | int | float | Decimal):
        raise not_a_number
    try:
        number = Decimal(str(raw).strip().replace(",", ""))
    except InvalidOperation:
        raise not_a_number from None
    if not number.is_finite():
        raise not_a_number
    places = _PLACES[kind]
    exponent = number.normalize().as_tuple().exponent
    decimals = max(0, -exponent) if isinstance(exponent, int) else 0
    if decimals > places:
        raise DomainError(
            ErrorCode.INVALID_PARAMETER,
            _("%(name)s takes at most %(places)s decimals.") % {"name": label, "places": places}
            if places
            else _("%(name)s must be a whole number.") % {"name": label},
            field=name,
        )
    return int(number) if kind == "integer" else number


def program_values(program: Program) -> dict[str, Any]:
    return {name: getattr(program, name) for name in PROGRAM_PARAMETERS}


def _changed_values(program: Program, values: dict[str, Any]) -> dict[str, Decimal | int]:
    if not isinstance(values, dict):
        raise DomainError(ErrorCode.INVALID_PARAMETER, _("Give the new values as parameter: value pairs."))
    unknown = sorted(set(values) - set(PROGRAM_PARAMETERS))
    if unknown:
        raise DomainError(
            ErrorCode.INVALID_PARAMETER, _("Unknown parameter: %(names)s") % {"names": ", ".join(unknown)}
        )
    parsed = {name: parameter_value(name, raw) for name, raw in values.items()}
    current = program_values(program)
    return {name: value for name, value in parsed.items() if Decimal(value) != Decimal(current[name])}


def _refuse_cap_below_granted(program: Program, new_values: dict[str, Any], today: dt.date) -> None:
    """A lower total cap must still hold the limits granted and in force: they are not taken back."""
    if "total_cap" not in new_values:
        return
    granted = program_approved_limits([program.pk], today).get(program.pk, Decimal(0))
    if Decimal(new_values["total_cap"]) < granted:
        raise DomainError(
            ErrorCode.INVALID_PARAMETER,
            _("The total cap cannot be lowered below the %(granted)s yuan of limits already granted and in force.")
            % {"granted": format_yuan(granted)},
            field="total_cap",
        )


def _check_change(program: Program, new_values: dict[str, Any], today: dt.date) -> None:
    """The rules of a new programme over the merged values, and the book's own rule on the cap."""
    _check_parameters({**program_values(program), **new_values})
    _refuse_cap_below_granted(program, new_values, today)


def _stored(new_values: dict[str, Any]) -> dict[str, str | int]:
    return {name: parameter_text(name, value) for name, value in new_values.items()}


@transaction.atomic
def program_change_propose(
    *, program: Program, actor: User, values: dict[str, Any], effective_from: dt.date, reason: str
) -> ProgramChange:
    """Propose new values of some parameters, in force from ``effective_from`` once a risk approver approves."""
    require_role(actor, *PROPOSER_ROLES)
    today = business_date_get()
    if not reason.strip():
        raise DomainError(ErrorCode.REASON_REQUIRED, _("Say why the programme should change."), field="reason")
    if effective_from < today:
        raise DomainError(
            ErrorCode.EFFECTIVE_DATE_PAST,
            _("A change takes effect on the business date (%(today)s) or later.") % {"today": today.isoformat()},
            field="effective_from",
        )
    program = Program.objects.select_for_update().get(pk=program.pk)
    _refuse_if_open(program)
    new_values = _changed_values(program, values)
    if not new_values:
        raise DomainError(ErrorCode.NO_CHANGE, _("These values are the programme's current ones: nothing changes."))
    _check_change(program, new_values, today)
    current = program_values(program)
    try:
        with transaction.atomic():
            change = ProgramChange.objects.create(
                program=program,
                values=_stored(new_values),
                previous={name: parameter_text(name, current[name]) for name in new_values},
                effective_from=effective_from,
                reason=reason.strip(),
                proposed_by=actor,
                proposed_on=today,
            )
    except IntegrityError:
        # The programme's row lock makes this a race only with a writer that skipped the lock.
        _refuse_if_open(program)
        raise
    audit_record(
        actor=actor,
        action=AuditAction.PROGRAM_CHANGE_PROPOSE,
        subject=program,
        change=change.pk,
        values=change.values,
        effective_from=effective_from,
    )
    return change


def _refuse_if_open(program: Program) -> None:
    open_change = ProgramChange.objects.filter(program=program, status__in=ProgramChange.OPEN_STATUSES).first()
    if open_change is not None:
        raise DomainError(
            ErrorCode.PROGRAM_CHANGE_OPEN,
            _(
                "Change #%(change)s of this programme is still open: it must be applied, rejected or withdrawn "
                "before another is proposed."
            )
            % {"change": open_change.pk},
            status=409,
            change=open_change.pk,
        )


def _locked(change: ProgramChange) -> tuple[Program, ProgramChange]:
    program = Program.objects.select_for_update().get(pk=change.program_id)
    return program, ProgramChange.objects.select_for_update(of=("self",)).select_related("proposed_by").get(
        pk=change.pk
    )


@transaction.atomic
def program_change_approve(*, change: ProgramChange, actor: User, note: str = "") -> ProgramChange:
    """A risk approver other than the proposer approves; in force at once when its date has come."""
    require_role(actor, *APPROVER_ROLES)
    program, change = _locked(change)
    require_other_person(actor, change.proposed_by, _("A programme change"))
    if change.status != ProgramChange.Status.PROPOSED:
        raise DomainError(ErrorCode.INVALID_STATUS, _("Only a change waiting for approval can be approved."))
    today = business_date_get()
    # The book may have moved since the proposal (limits granted): the rules are checked again.
    _check_change(program, {name: parameter_value(name, raw) for name, raw in change.values.items()}, today)
    change.status = ProgramChange.Status.APPROVED
    change.decided_by, change.decided_on, change.decision_note = actor, today, note.strip()
    change.save(update_fields=["status", "decided_by", "decided_on", "decision_note", "updated_at"])
    if change.effective_from <= today:
        _apply(program, change, today)
    audit_record(
        actor=actor,
        action=AuditAction.PROGRAM_CHANGE_APPROVE,
        subject=program,
        change=change.pk,
        effective_from=change.effective_from,
        applied=change.status == ProgramChange.Status.APPLIED,
    )
    return change


@transaction.atomic
def program_change_reject(*, change: ProgramChange, actor: User, note: str = "") -> ProgramChange:
    """Refuse an open change: a risk approver rejects it with a note, or its proposer withdraws it."""
    program, change = _locked(change)
    withdrawal = actor.pk == change.proposed_by_id
    if not withdrawal:
        require_role(actor, *APPROVER_ROLES)
        if not note.strip():
            raise DomainError(ErrorCode.REASON_REQUIRED, _("Say why the change is rejected."), field="note")
    if change.status not in ProgramChange.OPEN_STATUSES:
        raise DomainError(ErrorCode.INVALID_STATUS, _("This change is no longer open."))
    change.status = ProgramChange.Status.WITHDRAWN if withdrawal else ProgramChange.Status.REJECTED
    change.decided_by, change.decided_on, change.decision_note = actor, business_date_get(), note.strip()
    change.save(update_fields=["status", "decided_by", "decided_on", "decision_note", "updated_at"])
    audit_record(
        actor=actor,
        action=AuditAction.PROGRAM_CHANGE_REJECT,
        subject=program,
        change=change.pk,
        status=change.status,
        note=change.decision_note,
    )
    return change


def _apply(program: Program, change: ProgramChange, day: dt.date) -> None:
    """Write the new values on the (locked) programme: a new version in its history, naming the change."""
    new_values = {name: parameter_value(name, raw) for name, raw in change.values.items()}
    _check_parameters({**program_values(program), **new_values})
    for name, value in new_values.items():
        setattr(program, name, value)
    program._history_user = change.decided_by  # type: ignore[attr-defined]  # simple_history's who
    program._change_reason = f"{HISTORY_REASON_PREFIX}{change.pk}"  # type: ignore[attr-defined]
    program.save(update_fields=[*new_values, "updated_at"])
    change.status, change.applied_on = ProgramChange.Status.APPLIED, day
    change.save(update_fields=["status", "applied_on", "updated_at"])


def program_changes_apply(day: dt.date) -> int:
    """Put in force every approved change whose date has come by ``day``; the close calls it for the next day.

    Each programme under its row lock, one transaction each; a change already applied is not touched again,
    so a second call does nothing. The close's own record stands for the audit; ``applied_on`` says when.
    """
    applied = 0
    due = ProgramChange.objects.filter(status=ProgramChange.Status.APPROVED, effective_from__lte=day)
    for change_id, program_id in due.order_by("effective_from", "id").values_list("id", "program_id"):
        with transaction.atomic():
            program = Program.objects.select_for_update().get(pk=program_id)
            change = (
                ProgramChange.objects.select_for_update(of=("self",)).select_related("decided_by").get(pk=change_id)
            )
            if change.status != ProgramChange.Status.APPROVED:
                continue
            _apply(program, change, day)
            applied += 1
    return applied
