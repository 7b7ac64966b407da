"""Anchors (龙头企业): creation, approval, status, assessments and agreements."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext as _

from core.audit import AuditAction, audit_record
from core.business_date import business_date_get
from core.db_errors import unique_or_refuse
from core.error_codes import ErrorCode
from core.errors import DomainError
from core.files import stored_file_create
from core.identifiers import InvalidValue, validate_uscc
from core.permissions import require_other_person, require_role
from core.roles import Role
from partners.models import Agreement, Anchor, AnchorAssessment, OrgNode, User
from partners.scoping import home_node, nodes_in_reach

# Which moves a status may make; anything else is refused.
_ANCHOR_MOVES = {
    Anchor.Status.PENDING: {Anchor.Status.APPROVED},
    Anchor.Status.APPROVED: {Anchor.Status.SUSPENDED, Anchor.Status.EXITED},
    Anchor.Status.SUSPENDED: {Anchor.Status.APPROVED, Anchor.Status.EXITED},
    Anchor.Status.EXITED: set(),
}


@transaction.atomic
def anchor_create(
    *,
    actor: User,
    name: str,
    uscc: str,
    guarantee_capacity: Decimal,
    org_node: OrgNode | None = None,
    legal_representative: str = "",
    registered_capital: Decimal | None = None,
    industry: str = "",
    contact_name: str = "",
    contact_phone: str = "",
    address: str = "",
) -> Anchor:
    require_role(actor, Role.ACCOUNT_MANAGER, Role.RISK_APPROVER, Role.ADMINISTRATOR)
    try:
        code = validate_uscc(uscc)
    except InvalidValue as exc:
        raise DomainError(ErrorCode.INVALID_USCC, exc.detail) from None
    duplicate = DomainError(ErrorCode.DUPLICATE_USCC, _("An anchor with this credit code already exists."), status=409)
    if Anchor.objects.filter(uscc=code).exists():
        raise duplicate
    if guarantee_capacity < 0:
        raise DomainError(ErrorCode.INVALID_AMOUNT, _("The guarantee capacity cannot be negative."))
    node = org_node or home_node(actor)
    if node is None:
        raise DomainError(ErrorCode.ORG_NODE_REQUIRED, _("Choose the node that manages this anchor."))
    if org_node is not None and not nodes_in_reach(actor).filter(pk=org_node.pk).exists():
        # A node whose anchors the actor could not see (out of his reach) is answered as if it did not exist.
        raise DomainError(ErrorCode.NOT_FOUND, _("No such node."), status=404)
    # The same code registered at the same moment passes the check above and meets this insert at the index.
    with unique_or_refuse(duplicate, table=Anchor._meta.db_table):
        anchor = Anchor.objects.create(
            name=name.strip(),
            uscc=code,
            legal_representative=legal_representative,
            registered_capital=registered_capital,
            industry=industry,
            contact_name=contact_name,
            contact_phone=contact_phone,
            address=address,
            org_node=node,
            created_by=actor,
        )
    # The capacity declared at creation is the first assessment: capacity always comes from assessments.
    AnchorAssessment.objects.create(
        anchor=anchor,
        assessed_on=business_date_get(),
        guarantee_capacity=guarantee_capacity,
        note=_("Declared when the anchor was registered."),
        created_by=actor,
    )
    audit_record(actor=actor, action=AuditAction.ANCHOR_CREATE, subject=anchor, uscc=code, capacity=guarantee_capacity)
    return anchor


def _anchor_move(anchor: Anchor, to: str, actor: User, reason: str) -> Anchor:
    if to not in _ANCHOR_MOVES[Anchor.Status(anchor.status)]:
        raise DomainError(
            ErrorCode.INVALID_STATUS_CHANGE,
            _("An anchor that is %(current)s cannot become %(target)s.")
            % {"current": anchor.get_status_display(), "target": Anchor.Status(to).label},
        )
    before = anchor.status
    anchor.status = to
    anchor.save(update_fields=["status", "updated_at", "approved_by", "approved_on"])
    audit_record(actor=actor, action=AuditAction.ANCHOR_STATUS, subject=anchor, before=before, after=to, reason=reason)
    return anchor


@transaction.atomic
def anchor_approve(*, anchor: Anchor, actor: User) -> Anchor:
    require_role(actor, Role.RISK_APPROVER)
    anchor = Anchor.objects.select_for_update().get(pk=anchor.pk)
    require_other_person(actor, anchor.created_by, _("An anchor"))
    anchor.approved_by = actor
    anchor.approved_on = business_date_get()
    return _anchor_move(anchor, Anchor.Status.APPROVED, actor, "")


@transaction.atomic
def anchor_status_set(*, anchor: Anchor, status: str, actor: User, reason: str) -> Anchor:
    """Suspend, reinstate or exit an approved anchor (by a risk approver, with a reason)."""
    require_role(actor, Role.RISK_APPROVER)
    if not reason.strip():
        raise DomainError(ErrorCode.REASON_REQUIRED, _("Give the reason for this change."))
    anchor = Anchor.objects.select_for_update().get(pk=anchor.pk)
    return _anchor_move(anchor, status, actor, reason)


@transaction.atomic
def assessment_add(
    *,
    anchor: Anchor,
    actor: User,
    assessed_on: dt.date,
    guarantee_capacity: Decimal,
    net_assets: Decimal | None = None,
    revenue: Decimal | None = None,
    existing_guarantees: Decimal | None = None,
    rating: str = "",
    note: str = "",
) -> AnchorAssessment:
    require_role(actor, Role.ACCOUNT_MANAGER, Role.RISK_APPROVER)
    if assessed_on > business_date_get():
        raise DomainError(ErrorCode.DATE_IN_FUTURE, _("An assessment cannot be dated after the business date."))
    if guarantee_capacity < 0:
        raise DomainError(ErrorCode.INVALID_AMOUNT, _("The guarantee capacity cannot be negative."))
    assessment = AnchorAssessment.objects.create(
        anchor=anchor,
        assessed_on=assessed_on,
        guarantee_capacity=guarantee_capacity,
        net_assets=net_assets,
        revenue=revenue,
        existing_guarantees=existing_guarantees,
        rating=rating,
        note=note,
        created_by=actor,
    )
    audit_record(
        actor=actor, action=AuditAction.ASSESSMENT_ADD, subject=anchor, capacity=guarantee_capacity, on=assessed_on
    )
    return assessment


@transaction.atomic
def agreement_add(
    *,
    anchor: Anchor,
    actor: User,
    kind: str,
    number: str,
    signed_on: dt.date,
    expires_on: dt.date,
    scan_content: bytes | None = None,
    scan_name: str = "",
    scan_content_type: str = "",
) -> Agreement:
    require_role(actor, Role.ACCOUNT_MANAGER, Role.RISK_APPROVER)
    if expires_on <= signed_on:
        raise DomainError(ErrorCode.INVALID_DATES, _("The expiry date must be after the signing date."))
    duplicate = DomainError(
        ErrorCode.DUPLICATE_AGREEMENT, _("An agreement with this number already exists."), status=409
    )
    if Agreement.objects.filter(kind=kind, number=number.strip()).exists():
        raise duplicate
    scan = None
    if scan_content is not None:
        scan = stored_file_create(
            content=scan_content, name=scan_name, content_type=scan_content_type, uploaded_by=actor
        )
    with unique_or_refuse(duplicate, table=Agreement._meta.db_table, constraint="agreement_number_unique"):
        agreement = Agreement.objects.create(
            anchor=anchor,
            kind=kind,
            number=number.strip(),
            signed_on=signed_on,
            expires_on=expires_on,
            scan=scan,
            created_by=actor,
        )
    audit_record(
        actor=actor,
        action=AuditAction.AGREEMENT_ADD,
        subject=anchor,
        kind=kind,
        number=number,
        sha256=scan and scan.sha256,
    )
    return agreement
