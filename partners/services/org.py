"""State changes of the partners app: org tree and users."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from core.audit import audit_record
from core.errors import DomainError
from partners.models import OrgNode, User


@transaction.atomic
def org_node_create(
    *, code: str, name: str, kind: str, parent: OrgNode | None = None, sub_branch_class: str = ""
) -> OrgNode:
    expected_parent = {
        OrgNode.Kind.BRANCH: None,
        OrgNode.Kind.SUB_BRANCH: OrgNode.Kind.BRANCH,
        OrgNode.Kind.OUTLET: OrgNode.Kind.SUB_BRANCH,
    }[OrgNode.Kind(kind)]
    if (parent.kind if parent else None) != expected_parent:
        raise DomainError("invalid_org_parent", _("The parent of %(name)s is at the wrong level.") % {"name": name})
    if "/" in code:
        raise DomainError("invalid_org_code", _("A node code cannot contain “/”."))
    path = (parent.path if parent else "") + code + "/"
    return OrgNode.objects.create(
        code=code, name=name, kind=kind, parent=parent, sub_branch_class=sub_branch_class, path=path
    )


@transaction.atomic
def user_create(
    *,
    username: str,
    password: str,
    role: str,
    org_node: OrgNode | None,
    display_name: str = "",
    actor: User | None = None,
    is_staff: bool = False,
    is_superuser: bool = False,
) -> User:
    user = User(
        username=username,
        role=role,
        org_node=org_node,
        display_name=display_name,
        is_staff=is_staff,
        is_superuser=is_superuser,
    )
    user.set_password(password)
    user.save()
    audit_record(actor=actor, action="user_create", subject=user, role=role)
    return user
