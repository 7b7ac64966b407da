"""Changes to targets, field research visits and training sessions; each writes one audit row."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext as _

from core.audit import AuditAction, audit_record
from core.business_date import business_date_get
from core.error_codes import ErrorCode
from core.errors import DomainError
from core.permissions import require_role
from core.roles import Role
from network.models import (
    OutletVisit,
    SubBranchTarget,
    TargetChange,
    TrainingAttendance,
    TrainingSession,
    VisitAction,
)
from partners.models import OrgNode, User
from partners.scoping import home_node, visible_nodes

# Who sets targets: the administrator, or a branch manager whose node is the branch root.
TARGET_ROLES = (Role.ADMINISTRATOR, Role.BRANCH_MANAGER)
# Who records a visit or a training: leaders and the risk side, within their subtree.
SUPPORT_ROLES = (Role.ADMINISTRATOR, Role.BRANCH_MANAGER, Role.RISK_APPROVER)
QUARTER = re.compile(r"^(20\d\d)Q([1-4])$")
MAX_ACTIONS = 10
HUNDRED = Decimal(100)


def quarter_check(label: str) -> str:
    if not QUARTER.match(label or ""):
        raise DomainError(
            ErrorCode.INVALID_QUARTER, _("Write the quarter as year and quarter, e.g. 2027Q2."), field="quarter"
        )
    return label


def may_set_targets(user: User) -> bool:
    if user.is_superuser or user.role == Role.ADMINISTRATOR:
        return True
    node = home_node(user)
    return user.role == Role.BRANCH_MANAGER and node is not None and node.kind == OrgNode.Kind.BRANCH


def may_record_support(user: User) -> bool:
    return bool(user.is_superuser or user.role in SUPPORT_ROLES)


def _in_scope(user: User, node: OrgNode) -> None:
    if not visible_nodes(user).filter(pk=node.pk).exists():
        raise DomainError(ErrorCode.NOT_FOUND, _("No such node in your scope."), status=404)


@transaction.atomic
def target_set(
    *,
    node: OrgNode,
    quarter: str,
    balance_growth: Decimal,
    borrowers_growth: int,
    npl_ceiling: Decimal,
    actor: User,
    reason: str = "",
) -> SubBranchTarget:
    """Set (or change) a sub-branch's targets for a quarter; the change is kept in the target's history.

    ``npl_ceiling`` is a ratio (0.015 for 1.5 %).
    """
    require_role(actor, *TARGET_ROLES)
    if not may_set_targets(actor):
        raise DomainError(ErrorCode.PERMISSION_DENIED, _("Only the branch sets the sub-branches' targets."), status=403)
    quarter_check(quarter)
    if node.kind != OrgNode.Kind.SUB_BRANCH:
        raise DomainError(ErrorCode.INVALID_KIND, _("Targets are set for sub-branches."), field="node")
    if balance_growth < 0 or balance_growth != balance_growth.quantize(Decimal("0.01")):
        raise DomainError(
            ErrorCode.INVALID_TARGET,
            _("The balance increase target is an amount of at least zero, to the fen."),
            field="balance_growth",
        )
    if borrowers_growth < 0:
        raise DomainError(
            ErrorCode.INVALID_TARGET, _("The borrowers increase target is at least zero."), field="borrowers_growth"
        )
    if not Decimal(0) <= npl_ceiling <= 1 or npl_ceiling != npl_ceiling.quantize(Decimal("0.0001")):
        raise DomainError(
            ErrorCode.INVALID_TARGET,
            _("The NPL ceiling is a percentage from 0 to 100 with at most two decimals."),
            field="npl_ceiling",
        )
    today = business_date_get()
    target = SubBranchTarget.objects.select_for_update().filter(org_node=node, quarter=quarter).first()
    previous = None
    if target is None:
        target = SubBranchTarget.objects.create(
            org_node=node,
            quarter=quarter,
            balance_growth=balance_growth,
            borrowers_growth=borrowers_growth,
            npl_ceiling=npl_ceiling,
            set_by=actor,
            set_on=today,
        )
    else:
        previous = (target.balance_growth, target.borrowers_growth, target.npl_ceiling)
        if previous == (balance_growth, borrowers_growth, npl_ceiling):
            raise DomainError(ErrorCode.NO_CHANGE, _("These are the targets already set."))
        target.balance_growth, target.borrowers_growth, target.npl_ceiling = (
            balance_growth,
            borrowers_growth,
            npl_ceiling,
        )
        target.set_by, target.set_on = actor, today
        target.save()
    TargetChange.objects.create(
        target=target,
        balance_growth=balance_growth,
        borrowers_growth=borrowers_growth,
        npl_ceiling=npl_ceiling,
        changed_by=actor,
        business_date=today,
        reason=reason[:200],
    )
    audit_record(
        actor=actor,
        action=AuditAction.NETWORK_TARGET_SET,
        subject=target,
        node=node.code,
        quarter=quarter,
        balance_growth=balance_growth,
        borrowers_growth=borrowers_growth,
        npl_ceiling=npl_ceiling,
        previous=list(previous) if previous else None,
    )
    return target


@dataclass(frozen=True)
class ActionInput:
    description: str
    owner: User
    due_on: dt.date


@transaction.atomic
def outlet_visit_record(
    *,
    outlet: OrgNode,
    visited_on: dt.date,
    visitor: User,
    rating: str,
    findings: str,
    actions: Sequence[ActionInput] = (),
    actor: User,
) -> OutletVisit:
    """蹲点: a visit to an outlet, rated good, average or poor, with its findings and follow-up actions."""
    require_role(actor, *SUPPORT_ROLES)
    _in_scope(actor, outlet)
    if outlet.kind != OrgNode.Kind.OUTLET:
        raise DomainError(ErrorCode.INVALID_KIND, _("Field research visits are to outlets."), field="outlet")
    if rating not in OutletVisit.Rating.values:
        raise DomainError(ErrorCode.INVALID_RATING, _("Rate the outlet good, average or poor."), field="rating")
    today = business_date_get()
    if visited_on > today:
        raise DomainError(
            ErrorCode.DATE_IN_FUTURE, _("The visit cannot be dated after the business date."), field="visited_on"
        )
    findings = findings.strip()
    if not findings:
        raise DomainError(ErrorCode.REQUIRED, _("Write down what the visit found."), field="findings")
    if len(actions) > MAX_ACTIONS:
        raise DomainError(ErrorCode.INVALID_VALUE, _("At most ten follow-up actions per visit."), field="actions")
    for action in actions:
        if not action.description.strip():
            raise DomainError(ErrorCode.REQUIRED, _("Each follow-up action says what is to be done."))
        if action.due_on < visited_on:
            raise DomainError(ErrorCode.INVALID_DATE, _("A follow-up action falls due after the visit."))
        if action.owner.role == Role.ANCHOR_OPERATOR:
            raise DomainError(ErrorCode.INVALID_VALUE, _("A follow-up action is owned by the bank's staff."))
    visit = OutletVisit.objects.create(
        outlet=outlet, visited_on=visited_on, visitor=visitor, rating=rating, findings=findings, recorded_by=actor
    )
    VisitAction.objects.bulk_create(
        VisitAction(visit=visit, description=a.description.strip()[:300], owner=a.owner, due_on=a.due_on)
        for a in actions
    )
    audit_record(
        actor=actor,
        action=AuditAction.OUTLET_VISIT_RECORD,
        subject=visit,
        outlet=outlet.code,
        rating=rating,
        visited_on=visited_on,
        actions=len(actions),
    )
    return visit


@transaction.atomic
def visit_action_complete(*, action: VisitAction, note: str, actor: User) -> VisitAction:
    """Mark a follow-up action done: by its owner, or by a leader who sees the outlet."""
    action = VisitAction.objects.select_for_update().select_related("visit__outlet").get(pk=action.pk)
    if action.owner_id != actor.pk:
        require_role(actor, *SUPPORT_ROLES)
        _in_scope(actor, action.visit.outlet)
    if action.done_on is not None:
        raise DomainError(ErrorCode.ALREADY_DONE, _("This action is already done."), status=409)
    action.done_on = business_date_get()
    action.done_by = actor
    action.done_note = note.strip()[:300]
    action.save(update_fields=["done_on", "done_by", "done_note", "updated_at"])
    audit_record(
        actor=actor,
        action=AuditAction.VISIT_ACTION_DONE,
        subject=action,
        outlet=action.visit.outlet.code,
        due_on=action.due_on,
        late=action.done_on > action.due_on,
    )
    return action


@transaction.atomic
def training_record(
    *,
    node: OrgNode,
    held_on: dt.date,
    topic: str,
    trainer: str,
    attendees: Sequence[User],
    actor: User,
) -> TrainingSession:
    """A training session held for a node: its level is the node's (branch, sub-branch or outlet)."""
    require_role(actor, *SUPPORT_ROLES)
    _in_scope(actor, node)
    if held_on > business_date_get():
        raise DomainError(
            ErrorCode.DATE_IN_FUTURE, _("The session cannot be dated after the business date."), field="held_on"
        )
    topic, trainer = topic.strip(), trainer.strip()
    if not topic:
        raise DomainError(ErrorCode.REQUIRED, _("Name the session's topic."), field="topic")
    if not trainer:
        raise DomainError(ErrorCode.REQUIRED, _("Name who gave the training."), field="trainer")
    unique = {user.pk: user for user in attendees}
    if not unique:
        raise DomainError(ErrorCode.REQUIRED, _("List at least one attendee."), field="attendees")
    if any(user.role == Role.ANCHOR_OPERATOR for user in unique.values()):
        raise DomainError(ErrorCode.INVALID_VALUE, _("Attendees are the bank's staff."), field="attendees")
    session = TrainingSession.objects.create(
        org_node=node,
        level=node.kind,
        held_on=held_on,
        topic=topic[:200],
        trainer=trainer[:100],
        recorded_by=actor,
    )
    TrainingAttendance.objects.bulk_create(TrainingAttendance(session=session, user=user) for user in unique.values())
    audit_record(
        actor=actor,
        action=AuditAction.TRAINING_RECORD,
        subject=session,
        node=node.code,
        level=node.kind,
        attendees=len(unique),
    )
    return session


@transaction.atomic
def training_feedback_give(*, session: TrainingSession, rating: int, comment: str, actor: User) -> TrainingAttendance:
    """An attendee's feedback on a session: a rating of 1 to 5 and a comment (given again, it replaces)."""
    attendance = TrainingAttendance.objects.select_for_update().filter(session=session, user=actor).first()
    if attendance is None:
        raise DomainError(ErrorCode.NOT_ATTENDEE, _("Only those who attended give feedback."), status=403)
    if not 1 <= rating <= 5:
        raise DomainError(ErrorCode.INVALID_RATING, _("Rate the session from 1 to 5."), field="rating")
    attendance.rating = rating
    attendance.comment = comment.strip()[:500]
    attendance.feedback_on = business_date_get()
    attendance.save(update_fields=["rating", "comment", "feedback_on"])
    audit_record(
        actor=actor, action=AuditAction.TRAINING_FEEDBACK, subject=attendance, session=session.pk, rating=rating
    )
    return attendance
