"""Review, submission and approval of a batch's limits; the whitelist and the drawdown notice.

Maker-checker holds for every decision, not only for the submission: whoever
submitted the batch or decided any of its rows in review never approves or
rejects it (the decisions an approver takes in the approval itself are the
checker's own). The sum of approved,
unexpired limits of a programme never exceeds its total cap: approvals of
one programme are serialised by a lock on its row, so two approvers cannot
both use the same room.

Screening (准入筛查) decides what approval may grant: a ``refused`` row is never
granted and no decision may be taken on it (``row_refused``); a ``review`` row
only by an explicit decision, which on the page needs a written reason (the
API's decision records a reason when one is sent); a ``matched`` row is granted
without a decision only when it ``passed``. A row with no screening outcome
(``""``: processed before screening existed) counts as passed, so the batches
of that time keep their meaning.

A renewal batch's row (年审, ``BatchRow.renews``) replaces the limit it renews:
the new limit is ``renewal_of`` it, the old one becomes ``expired`` with a
``renewed`` change, its active loans move to the new limit, and in the cap
checks the old limit no longer counts once the new one does.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Case, Count, Q, Sum, Value, When
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from core.audit import AuditAction, audit_record
from core.business_date import business_date_get
from core.error_codes import ErrorCode
from core.errors import DomainError
from core.money import ZERO, format_yuan, money
from core.permissions import require_other_person, require_role
from core.roles import Role
from origination.figures import headroom, limits_in_force, program_approved_limits, program_figures
from origination.models import Batch, BatchRow, CreditLimit, CreditLimitChange, Loan, Notification, WhitelistEntry
from origination.outbox import notifications_send
from origination.schedule import add_months
from origination.selectors import visible_batch_rows
from origination.services.intake import batch_status_record
from partners.models import Farmer, Program, User
from risk.limits import cap_room, limit_rounded


@dataclass(frozen=True)
class Decision:
    row: int
    approve: bool
    amount: Decimal | None = None
    reason: str = ""


REASON_MAX = BatchRow._meta.get_field("decision_reason").max_length or 200
# Rows whose screening lets approval grant them without a decision ("" is a row processed before screening).
SCREENING_PASSED = (BatchRow.Screening.PASSED, "")


def _decide(row: BatchRow, decision: Decision, actor: User, *, review_reason_required: bool) -> None:
    """Record a person's decision on a row; ``review_reason_required``: granting a review row needs a reason."""
    if row.screening == BatchRow.Screening.REFUSED:
        raise DomainError(
            ErrorCode.ROW_REFUSED,
            _("Row %(row)s was refused by screening: it is never granted and takes no decision.") % {"row": row.row},
        )
    if len(decision.reason) > REASON_MAX:
        raise DomainError(
            ErrorCode.TOO_LONG,
            _("Row %(row)s: the reason may be at most %(max)s characters.") % {"row": row.row, "max": REASON_MAX},
        )
    review = row.screening == BatchRow.Screening.REVIEW
    if decision.approve and review and review_reason_required and not decision.reason.strip():
        raise DomainError(
            ErrorCode.REASON_REQUIRED,
            _("Row %(row)s needs review after screening: give the reason for granting it.") % {"row": row.row},
        )
    if decision.approve:
        computed = row.computed_limit or ZERO
        amount = money(decision.amount) if decision.amount is not None else computed
        if amount <= 0 or amount > computed:
            raise DomainError(
                ErrorCode.AMOUNT_ABOVE_LIMIT,
                _("Row %(row)s: the amount must be above zero and at most the computed limit %(limit)s.")
                % {"row": row.row, "limit": format_yuan(computed)},
            )
        row.decision, row.decided_amount, row.decision_reason = (
            BatchRow.Decision.APPROVED,
            amount,
            decision.reason,
        )
    else:
        if not decision.reason.strip():
            raise DomainError(
                ErrorCode.REASON_REQUIRED, _("Row %(row)s: give the reason for refusing.") % {"row": row.row}
            )
        row.decision, row.decided_amount, row.decision_reason = (
            BatchRow.Decision.REFUSED,
            None,
            decision.reason,
        )
    row.decided_by = actor


@transaction.atomic
def batch_row_decide(*, batch: Batch, actor: User, decision: Decision) -> BatchRow:
    """An account manager's decision on one row (a mismatch is decided by a person, one by one)."""
    require_role(actor, Role.ACCOUNT_MANAGER, Role.RISK_APPROVER)
    batch = Batch.objects.select_for_update().get(pk=batch.pk)
    if batch.status != Batch.Status.PROCESSED:
        raise DomainError(ErrorCode.INVALID_STATUS, _("Rows are decided after processing and before submission."))
    row = BatchRow.objects.get(batch=batch, row=decision.row)
    _decide(row, decision, actor, review_reason_required=True)
    row.save(update_fields=["decision", "decided_amount", "decision_reason", "decided_by"])
    audit_record(
        actor=actor,
        action=AuditAction.BATCH_ROW_DECIDE,
        subject=row,
        approve=decision.approve,
        amount=row.decided_amount,
    )
    return row


def _require_every_row_in_reach(batch: Batch, actor: User) -> None:
    """Submission, approval and rejection act on the whole batch: only someone who sees all its rows.

    Staff see the rows of farmers in their subtree; a batch of a programme managed above them may hold
    farmers of other outlets, whose limits they would otherwise put forward or grant unseen (decision 21).
    """
    outside = BatchRow.objects.filter(batch=batch).count() - visible_batch_rows(actor, batch).count()
    if outside > 0:
        raise DomainError(
            ErrorCode.PERMISSION_DENIED,
            ngettext(
                "%(count)d row of this batch is a farmer outside your reach: only someone who sees every row "
                "may submit, approve or reject the batch.",
                "%(count)d rows of this batch are farmers outside your reach: only someone who sees every row "
                "may submit, approve or reject the batch.",
                outside,
            )
            % {"count": outside},
            status=403,
            rows_outside=outside,
        )


@transaction.atomic
def batch_submit(*, batch: Batch, actor: User) -> Batch:
    require_role(actor, Role.ACCOUNT_MANAGER, Role.RISK_APPROVER)
    batch = Batch.objects.select_for_update().get(pk=batch.pk)
    _require_every_row_in_reach(batch, actor)
    if batch.status != Batch.Status.PROCESSED:
        raise DomainError(ErrorCode.INVALID_STATUS, _("Only a processed batch can be submitted for approval."))
    batch.proposed_by = actor
    batch_status_record(batch=batch, to_status=Batch.Status.SUBMITTED, actor=actor)
    batch.save(update_fields=["status", "proposed_by", "updated_at"])
    audit_record(actor=actor, action=AuditAction.BATCH_SUBMIT, subject=batch)
    return batch


# A renewal of a limit closed or revoked meanwhile (the anchor left, say) grants nothing.
UNRENEWABLE_ENDS = (CreditLimit.Status.CLOSED, CreditLimit.Status.REVOKED)


def _approvable(batch: Batch) -> list[BatchRow]:
    """Rows a person approved, and matched rows that passed screening and nobody refused; never a row screening
    refused, nor the renewal of a limit closed meanwhile; each with a positive amount."""
    rows = (
        BatchRow.objects.filter(batch=batch)
        .exclude(screening=BatchRow.Screening.REFUSED)
        .exclude(renews__status__in=UNRENEWABLE_ENDS)
        .filter(
            Q(decision=BatchRow.Decision.APPROVED)
            | Q(
                validation=BatchRow.Validation.MATCHED,
                decision=BatchRow.Decision.PENDING,
                screening__in=SCREENING_PASSED,
            )
        )
    )
    return [row for row in rows if (row.decided_amount or row.computed_limit or ZERO) > 0]


def _granted_by_farmer(
    program: Program, farmer_ids: list[int], today: Any, renewed_ids: list[int]
) -> dict[int, Decimal]:
    """Each farmer's limits in force with the anchor, but for those the rows renew (the new one replaces them)."""
    totals = (
        CreditLimit.objects.filter(
            limits_in_force(today), farmer_id__in=farmer_ids, program__anchor_id=program.anchor_id
        )
        .exclude(pk__in=renewed_ids)
        .values("farmer_id")
        .annotate(total=Sum("amount"))
    )
    return {item["farmer_id"]: item["total"] for item in totals}


def _renewed_in_force(rows: list[BatchRow], today: Any) -> Decimal:
    """What the limits these rows renew count against the cap now: once renewed they count no more."""
    renewed = [row.renews_id for row in rows if row.renews_id is not None]
    if not renewed:
        return ZERO
    total = CreditLimit.objects.filter(limits_in_force(today), pk__in=renewed).aggregate(total=Sum("amount"))
    return money(total["total"] or ZERO)


def _planned_limits(batch: Batch, program: Program, today: Any) -> tuple[list[BatchRow], dict[int, Decimal]]:
    """The rows approval grants a limit to, and each one's amount (within the per-farmer cap, rounded)."""
    rows = _approvable(batch)
    renewed_ids = [row.renews_id for row in rows if row.renews_id is not None]
    granted = _granted_by_farmer(program, [row.farmer_id for row in rows], today, renewed_ids)
    amounts: dict[int, Decimal] = {}
    for row in rows:
        wanted = row.decided_amount or row.computed_limit or ZERO
        room = cap_room(program.per_farmer_cap, granted.get(row.farmer_id, ZERO))
        amounts[row.pk] = limit_rounded(min(wanted, room))
    return [row for row in rows if amounts[row.pk] > 0], amounts


@dataclass(frozen=True)
class ApprovalPreview:
    """What approving a submitted batch as it stands would grant, shown to the approver before he confirms."""

    rows_granted: int
    rows_refused: int
    total_granted: Decimal
    headroom_before: Decimal  # room under the programme's total cap now
    headroom_after: Decimal  # and once these limits are granted
    total_released: Decimal = ZERO  # the limits these renew, which stop counting against the cap

    @property
    def over_cap(self) -> bool:
        """Approval would be refused: the limits need more room than the cap leaves."""
        return self.total_granted - self.total_released > self.headroom_before


@dataclass(frozen=True)
class ApprovalOutcome:
    """What the approval of a batch granted: its limits, the rows refused and the notices queued."""

    rows_granted: int
    rows_refused: int
    total_granted: Decimal
    notices: int


def batch_approval_preview(batch: Batch) -> ApprovalPreview:
    """The figures ``batch_approve`` would use on the business date; the headroom from ``origination.figures``."""
    program = batch.program
    today = business_date_get()
    approved_rows, amounts = _planned_limits(batch, program, today)
    total = sum((amounts[row.pk] for row in approved_rows), ZERO)
    released = _renewed_in_force(approved_rows, today)
    figures = program_figures(program)
    return ApprovalPreview(
        rows_granted=len(approved_rows),
        rows_refused=BatchRow.objects.filter(batch=batch).count() - len(approved_rows),
        total_granted=total,
        headroom_before=figures.headroom,
        headroom_after=headroom(figures.total_cap, figures.approved_limits + total - released),
        total_released=released,
    )


def batch_approval_outcome(batch: Batch) -> ApprovalOutcome:
    """Read back from the book after ``batch_approve``: the limits granted, the rows refused, the notices queued."""
    limits = CreditLimit.objects.filter(batch_row__batch=batch)
    granted = limits.aggregate(count=Count("pk"), total=Sum("amount"))
    keys = [f"limit-approved:{pk}" for pk in limits.values_list("pk", flat=True)]
    return ApprovalOutcome(
        rows_granted=granted["count"],
        rows_refused=BatchRow.objects.filter(batch=batch, decision=BatchRow.Decision.REFUSED).count(),
        total_granted=money(granted["total"] or ZERO),
        notices=Notification.objects.filter(idempotency_key__in=keys).count(),
    )


def batch_made_by(batch: Batch, user: User) -> bool:
    """Whether the user took part in the batch's proposal: he submitted it or a decision in force is his."""
    return batch.proposed_by_id == user.pk or BatchRow.objects.filter(batch=batch, decided_by=user).exists()


def _require_checker(batch: Batch, actor: User) -> None:
    """Four eyes on each decision: the checker took no part in the proposal (the batch row is locked)."""
    require_other_person(actor, batch.proposed_by, _("A batch"))
    if BatchRow.objects.filter(batch=batch, decided_by=actor).exists():
        raise DomainError(
            ErrorCode.MAKER_CHECKER,
            _("You decided rows of this batch: someone other than you must approve or reject it."),
            status=403,
        )


@transaction.atomic
def batch_approve(*, batch: Batch, actor: User, decisions: list[Decision] | None = None) -> Batch:
    require_role(actor, Role.RISK_APPROVER)
    batch = Batch.objects.select_for_update().get(pk=batch.pk)
    program = Program.objects.select_for_update().get(pk=batch.program_id)
    _require_every_row_in_reach(batch, actor)
    if batch.status != Batch.Status.SUBMITTED:
        raise DomainError(ErrorCode.INVALID_STATUS, _("Only a batch submitted for approval can be approved."))
    _require_checker(batch, actor)
    if program.status == Program.Status.SUSPENDED:
        raise DomainError(ErrorCode.PROGRAM_SUSPENDED, _("The programme is suspended: no new approvals."))
    today = business_date_get()
    by_row = {row.row: row for row in BatchRow.objects.filter(batch=batch)}
    for decision in decisions or []:
        if decision.row not in by_row:
            raise DomainError(ErrorCode.UNKNOWN_ROW, _("Row %(row)s is not in this batch.") % {"row": decision.row})
        _decide(by_row[decision.row], decision, actor, review_reason_required=False)
        by_row[decision.row].save(update_fields=["decision", "decided_amount", "decision_reason", "decided_by"])

    approved_rows, amounts = _planned_limits(batch, program, today)
    total_new = sum((amounts[row.pk] for row in approved_rows), ZERO)
    # The limits renewed here stop counting as their renewals start: not counted twice.
    in_force = program_approved_limits([program.pk], today).get(program.pk, ZERO) - _renewed_in_force(
        approved_rows, today
    )
    room = headroom(program.total_cap, in_force)
    if total_new > room:
        raise DomainError(
            ErrorCode.PROGRAM_CAP_EXCEEDED,
            _("These limits total %(total)s yuan; the programme's cap leaves room for only %(room)s yuan.")
            % {"total": format_yuan(total_new), "room": format_yuan(room)},
            room=f"{room:.2f}",
        )

    expires_on = add_months(today, program.limit_validity_months)
    farmers = BatchRow.objects.filter(batch=batch).values("farmer_id")
    nodes = dict(Farmer.objects.filter(pk__in=farmers).values_list("pk", "org_node_id"))
    limits = CreditLimit.objects.bulk_create(
        [
            CreditLimit(
                farmer_id=row.farmer_id,
                org_node_id=nodes[row.farmer_id],
                program=program,
                batch_row=row,
                amount=amounts[row.pk],
                approved_on=today,
                expires_on=expires_on,
                approved_by=actor,
                renewal_of_id=row.renews_id,
            )
            for row in approved_rows
        ],
        batch_size=2000,
    )
    _renewals_apply(limits, actor, today, batch)
    _whitelist_and_notify(program, limits, today)
    for row in approved_rows:
        row.decision, row.decided_amount, row.decided_by = BatchRow.Decision.APPROVED, amounts[row.pk], actor
    BatchRow.objects.bulk_update(approved_rows, ["decision", "decided_amount", "decided_by"], batch_size=2000)
    approved_ids = [row.pk for row in approved_rows]
    BatchRow.objects.filter(batch=batch).exclude(pk__in=approved_ids).exclude(
        decision=BatchRow.Decision.REFUSED
    ).update(decision=BatchRow.Decision.REFUSED, decided_by=actor)
    batch.decided_by = actor
    batch_status_record(batch=batch, to_status=Batch.Status.APPROVED, actor=actor)
    batch.save(update_fields=["status", "decided_by", "updated_at"])
    audit_record(actor=actor, action=AuditAction.BATCH_APPROVE, subject=batch, limits=len(limits), total=total_new)
    transaction.on_commit(notifications_send.delay)
    return batch


@transaction.atomic
def batch_reject(*, batch: Batch, actor: User, reason: str) -> Batch:
    require_role(actor, Role.RISK_APPROVER)
    batch = Batch.objects.select_for_update().get(pk=batch.pk)
    _require_every_row_in_reach(batch, actor)
    if batch.status != Batch.Status.SUBMITTED:
        raise DomainError(ErrorCode.INVALID_STATUS, _("Only a batch submitted for approval can be rejected."))
    _require_checker(batch, actor)
    if not reason.strip():
        raise DomainError(ErrorCode.REASON_REQUIRED, _("Give the reason for rejecting the batch."))
    batch.decided_by = actor
    batch_status_record(batch=batch, to_status=Batch.Status.REJECTED, actor=actor, note=reason[:200])
    batch.save(update_fields=["status", "decided_by", "updated_at"])
    audit_record(actor=actor, action=AuditAction.BATCH_REJECT, subject=batch, reason=reason)
    return batch


def _renewals_apply(limits: list[CreditLimit], actor: User, today: Any, batch: Batch) -> None:
    """Each new limit that renews an old one takes its place: the old one ends (``renewed``), its active loans
    move to the new one (what is drawn counts against it), and a freeze on the old one carries over."""
    renewing = {limit.renewal_of_id: limit for limit in limits if limit.renewal_of_id is not None}
    if not renewing:
        return
    old_limits = list(CreditLimit.objects.select_for_update().filter(pk__in=list(renewing)).order_by("pk"))
    changes: list[CreditLimitChange] = []
    carried_freezes: list[CreditLimit] = []
    for old in old_limits:
        new = renewing[old.pk]
        changes.append(
            CreditLimitChange(
                credit_limit=old,
                kind=CreditLimitChange.Kind.RENEWED,
                from_status=old.status,
                to_status=CreditLimit.Status.EXPIRED,
                from_amount=old.amount,
                to_amount=new.amount,
                actor=actor,
                business_date=today,
                reason=_("Renewed by limit %(limit)s (renewal batch %(batch)s).")
                % {"limit": new.pk, "batch": batch.pk},
            )
        )
        if old.status == CreditLimit.Status.FROZEN:
            # A renewal is no way round a freeze: only the unfreeze, with its four eyes, lifts it.
            new.status, new.frozen_by_id = CreditLimit.Status.FROZEN, old.frozen_by_id
            carried_freezes.append(new)
            changes.append(
                CreditLimitChange(
                    credit_limit=new,
                    kind=CreditLimitChange.Kind.FROZEN,
                    from_status=CreditLimit.Status.ACTIVE,
                    to_status=CreditLimit.Status.FROZEN,
                    actor=actor,
                    business_date=today,
                    reason=_("The freeze of limit %(limit)s carries over to its renewal.") % {"limit": old.pk},
                )
            )
        old.status = CreditLimit.Status.EXPIRED
    CreditLimit.objects.bulk_update(old_limits, ["status"], batch_size=2000)
    CreditLimit.objects.bulk_update(carried_freezes, ["status", "frozen_by"], batch_size=2000)
    CreditLimitChange.objects.bulk_create(changes, batch_size=2000)
    _loans_move(renewing)


def _loans_move(renewing: dict[int, CreditLimit]) -> None:
    """The old limits' active loans now draw on their renewals, a few hundred limits per statement."""
    pairs = sorted((old_id, new.pk) for old_id, new in renewing.items())
    for start in range(0, len(pairs), 500):
        chunk = pairs[start : start + 500]
        Loan.objects.filter(credit_limit_id__in=[old for old, _new in chunk], status=Loan.Status.ACTIVE).update(
            credit_limit_id=Case(*(When(credit_limit_id=old, then=Value(new)) for old, new in chunk))
        )


def _whitelist_and_notify(program: Program, limits: list[CreditLimit], today: Any) -> None:
    farmers = Farmer.objects.in_bulk([limit.farmer_id for limit in limits])
    WhitelistEntry.objects.bulk_create(
        [
            WhitelistEntry(program=program, farmer_id=limit.farmer_id, credit_limit=limit, added_on=today)
            for limit in limits
        ],
        batch_size=2000,
    )
    Notification.objects.bulk_create(
        [
            Notification(
                idempotency_key=f"limit-approved:{limit.pk}",
                recipient=farmers[limit.farmer_id].phone,
                farmer_id=limit.farmer_id,
                template="limit_approved",
                text=_(
                    "Dear %(name)s, your pre-approved credit limit of %(amount)s yuan in %(program)s is "
                    "ready until %(expires)s. Contact your account manager to draw it down."
                )
                % {
                    "name": farmers[limit.farmer_id].name,
                    "amount": format_yuan(limit.amount),
                    "program": program.name,
                    "expires": limit.expires_on.isoformat(),
                },
            )
            for limit in limits
        ],
        batch_size=2000,
        ignore_conflicts=True,
    )
