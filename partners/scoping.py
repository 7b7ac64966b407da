"""What a user may see: his node's subtree (staff) or his own enterprise (anchor operators).

Every list and detail, page or API, goes through these helpers, so a row
outside the user's reach is never fetched, let alone shown.
"""

from __future__ import annotations

from typing import TypeVar

from django.db.models import Model, QuerySet

from core.roles import Role
from partners.models import OrgNode, User

M = TypeVar("M", bound=Model)


def sees_everything(user: User) -> bool:
    return bool(user.is_superuser or user.role == Role.ADMINISTRATOR)


def filter_by_subtree(queryset: QuerySet[M], user: User, node_field: str = "org_node") -> QuerySet[M]:
    """Rows whose node lies in the user's subtree."""
    if sees_everything(user):
        return queryset
    if user.org_node_id is None:
        return queryset.none()
    return queryset.filter(**{f"{node_field}__path__startswith": user.org_node.path})  # type: ignore[union-attr]


def visible_nodes(user: User) -> QuerySet[OrgNode]:
    if sees_everything(user):
        return OrgNode.objects.all()
    if user.org_node_id is None:
        return OrgNode.objects.none()
    return OrgNode.objects.filter(path__startswith=user.org_node.path)  # type: ignore[union-attr]
