"""Users made from the command line (create_user): one role, a node, an enterprise for anchor operators."""

from __future__ import annotations

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from core.audit import AuditAction, audit_record
from core.error_codes import ErrorCode
from core.errors import DomainError
from core.roles import STAFF_ROLES, Role
from partners.models import Anchor, OrgNode, User
from partners.selectors import org_root


@transaction.atomic
def user_create_or_update(
    *,
    username: str,
    password: str,
    role: str,
    org_node_code: str = "",
    anchor_id: str = "",
    actor: User | None = None,
) -> tuple[User, bool]:
    """Create the user, or give an existing one this role, node, enterprise and password; True when created.

    A staff user without a node code sits at the branch root. The role decides Django's flags: an
    administrator is ``is_staff`` and ``is_superuser`` (as the demo's ``admin``: the admin site shows a
    staff user only the models he holds permissions for, and the project keeps no permission groups);
    every other role has neither, so making an existing superuser an account manager takes his
    superuser rights away.
    """
    if role not in Role.values:
        raise DomainError(
            ErrorCode.UNKNOWN_ROLE,
            _("Unknown role “%(role)s”: use one of %(roles)s.") % {"role": role, "roles": ", ".join(Role.values)},
        )
    if not password:
        raise DomainError(
            ErrorCode.PASSWORD_REQUIRED, _("Give the password in the environment variable CREATE_USER_PASSWORD.")
        )
    try:
        User.username_validator(username)
    except ValidationError:
        raise DomainError(
            ErrorCode.INVALID_USERNAME, _("“%(username)s” is not a valid user name.") % {"username": username}
        ) from None
    node = None
    if org_node_code:
        node = OrgNode.objects.filter(code=org_node_code).first()
        if node is None:
            raise DomainError(
                ErrorCode.UNKNOWN_ORG_NODE, _("No organisation node has the code “%(code)s”.") % {"code": org_node_code}
            )
    anchor = None
    if anchor_id:
        anchor = Anchor.objects.filter(pk=int(anchor_id)).first() if anchor_id.isdigit() else None
        if anchor is None:
            raise DomainError(
                ErrorCode.UNKNOWN_ANCHOR, _("No anchor enterprise has the id “%(id)s”.") % {"id": anchor_id}
            )
    if role == Role.ANCHOR_OPERATOR and anchor is None:
        raise DomainError(
            ErrorCode.ANCHOR_REQUIRED, _("An anchor operator needs --anchor: the enterprise he acts for.")
        )
    if role != Role.ANCHOR_OPERATOR and anchor is not None:
        raise DomainError(
            ErrorCode.ANCHOR_NOT_ALLOWED, _("Only an anchor operator acts for an enterprise: leave out --anchor.")
        )
    if node is None and role in STAFF_ROLES:
        node = org_root()
        if node is None:
            raise DomainError(
                ErrorCode.ORG_NODE_REQUIRED, _("The tree has no branch root: run migrate, or give --org-node.")
            )

    user = User.objects.select_for_update().filter(username=username).first()
    created = user is None
    if user is None:
        user = User(username=username)
    user.role, user.org_node, user.anchor = role, node, anchor
    user.is_staff = user.is_superuser = role == Role.ADMINISTRATOR
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise DomainError(ErrorCode.INVALID_PASSWORD, " ".join(exc.messages)) from None
    user.set_password(password)
    user.save()
    audit_record(
        actor=actor,
        action=AuditAction.USER_CREATE if created else AuditAction.USER_UPDATE,
        subject=user,
        role=role,
        org_node=node.code if node else None,
        anchor=anchor.pk if anchor else None,
    )
    return user, created
