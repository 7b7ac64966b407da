"""Farmers (养殖户): revealing the full identity to those allowed, always audited."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import transaction
from django.utils.translation import gettext as _

from core.audit import AuditAction, audit_record
from core.error_codes import ErrorCode
from core.errors import DomainError
from core.identifiers import InvalidValue, validate_mobile, validate_resident_id
from core.masking import mask_id_number, pii_hash
from core.roles import Role
from partners.models import Anchor, AnchorFarmer, Farmer, OrgNode, User

IDENTITY_ROLES = frozenset({Role.ACCOUNT_MANAGER, Role.RISK_APPROVER})


def can_view_identity(user: User) -> bool:
    return bool(user.is_superuser or user.role in IDENTITY_ROLES or user.has_perm("partners.view_identity"))


@dataclass(frozen=True)
class Identity:
    id_number: str
    phone: str


@transaction.atomic
def farmer_identity_reveal(*, farmer: Farmer, actor: User) -> Identity:
    """The full numbers, for one farmer's page; every reveal leaves an audit row."""
    if not can_view_identity(actor):
        raise DomainError(ErrorCode.PERMISSION_DENIED, _("You may not see full identity numbers."), status=403)
    audit_record(actor=actor, action=AuditAction.FARMER_IDENTITY_VIEW, subject=farmer)
    return Identity(id_number=farmer.id_number, phone=farmer.phone)


@transaction.atomic
def farmer_identity_search(*, actor: User, id_number: str, limit: int) -> list[Farmer]:
    """The farmers in the actor's reach with this full identity number; every such search is logged.

    A search by a full number tells whether that person borrows from the bank: a use of personal data
    like a reveal, so it is open to the same users and leaves an audit row (the number's keyed hash and
    what was found, never the number itself).
    """
    from partners.scoping import visible_farmers

    if not can_view_identity(actor):
        raise DomainError(
            ErrorCode.PERMISSION_DENIED,
            _("Searching by a full identity number is for users who may see identity numbers: search by name instead."),
            status=403,
        )
    digest = pii_hash(id_number)
    found = list(visible_farmers(actor).select_related("org_node").filter(id_hash=digest)[:limit])
    audit_record(
        actor=actor,
        action=AuditAction.FARMER_IDENTITY_SEARCH,
        subject=found[0] if len(found) == 1 else actor,
        id_hash=digest,
        id_masked=mask_id_number(id_number),
        found=[farmer.pk for farmer in found],
    )
    return found


@transaction.atomic
def farmer_register(
    *,
    name: str,
    id_number: str,
    phone: str,
    org_node: OrgNode,
    today: dt.date,
    account_manager: User | None = None,
    region_code: str = "",
    breed: str = "",
    actor: User | None = None,
) -> Farmer:
    """The farmer with this identity number, created on first sight (lists use the bulk path in intake)."""
    try:
        identity = validate_resident_id(id_number, today=today)
        mobile = validate_mobile(phone)
    except InvalidValue as exc:
        raise DomainError(exc.code, exc.detail) from None
    farmer, created = Farmer.objects.get_or_create(
        id_hash=pii_hash(identity.number),
        defaults={
            "name": name.strip(),
            "id_number": identity.number,
            "id_masked": mask_id_number(identity.number),
            "birth_date": identity.birth_date,
            "phone": mobile,
            "region_code": region_code or identity.region_code,
            "breed": breed,
            "org_node": org_node,
            "account_manager": account_manager,
        },
    )
    if created:
        audit_record(actor=actor, action=AuditAction.FARMER_REGISTER, subject=farmer)
    return farmer


def farmer_link_anchor(*, farmer: Farmer, anchor: Anchor, on: dt.date) -> None:
    AnchorFarmer.objects.get_or_create(anchor=anchor, farmer=farmer, defaults={"first_recommended_on": on})
