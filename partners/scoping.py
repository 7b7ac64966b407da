"""What a user may see: his node's subtree (staff) or his own enterprise (anchor operators).

Every list and detail, page or API, goes through these helpers, so a row
outside the user's reach is never fetched, let alone shown.

Anchors and programmes are the relationship a node manages: staff see those
managed in their subtree and those managed above them (a branch-level anchor
is served by every sub-branch below it). Farmers, loans and warnings are
strictly the subtree.

A staff user without a node (a superuser made by ``createsuperuser``, say) acts at the branch root.
"""

from __future__ import annotations

from typing import TypeVar

from django.db.models import Model, Q, QuerySet

from core.roles import Role
from partners.models import Anchor, Farmer, OrgNode, Program, User
from partners.selectors import org_root

M = TypeVar("M", bound=Model)


def sees_everything(user: User) -> bool:
    return bool(user.is_superuser or user.role == Role.ADMINISTRATOR)


def is_anchor_operator(user: User) -> bool:
    return bool(user.role == Role.ANCHOR_OPERATOR and not user.is_superuser)


def home_node(user: User) -> OrgNode | None:
    """The node a user acts at: his own, or the branch root when he has none."""
    if user.org_node_id is not None:
        return user.org_node
    return org_root()


def _ancestor_paths(node: OrgNode) -> list[str]:
    parts = node.path.rstrip("/").split("/")
    return ["/".join(parts[: i + 1]) + "/" for i in range(len(parts))]


def filter_by_subtree(queryset: QuerySet[M], user: User, node_field: str = "org_node") -> QuerySet[M]:
    """Rows whose node lies in the user's subtree."""
    if sees_everything(user):
        return queryset
    node = None if is_anchor_operator(user) else home_node(user)
    if node is None:
        return queryset.none()
    return queryset.filter(**{f"{node_field}__path__startswith": node.path})


def filter_by_reach(queryset: QuerySet[M], user: User, node_field: str = "org_node") -> QuerySet[M]:
    """Rows managed in the user's subtree or on the chain of nodes above him."""
    if sees_everything(user):
        return queryset
    node = home_node(user)
    if node is None:
        return queryset.none()
    below = Q(**{f"{node_field}__path__startswith": node.path})
    above = Q(**{f"{node_field}__path__in": _ancestor_paths(node)})
    return queryset.filter(below | above)


def visible_nodes(user: User) -> QuerySet[OrgNode]:
    if sees_everything(user):
        return OrgNode.objects.all()
    node = None if is_anchor_operator(user) else home_node(user)
    if node is None:
        return OrgNode.objects.none()
    return OrgNode.objects.filter(path__startswith=node.path)


def nodes_in_reach(user: User) -> QuerySet[OrgNode]:
    """The nodes whose anchors and programmes the user sees: his subtree and the chain above him."""
    if sees_everything(user):
        return OrgNode.objects.all()
    node = None if is_anchor_operator(user) else home_node(user)
    if node is None:
        return OrgNode.objects.none()
    return OrgNode.objects.filter(Q(path__startswith=node.path) | Q(path__in=_ancestor_paths(node)))


def visible_anchors(user: User) -> QuerySet[Anchor]:
    if is_anchor_operator(user):
        return Anchor.objects.filter(pk=user.anchor_id) if user.anchor_id else Anchor.objects.none()
    return filter_by_reach(Anchor.objects.all(), user)


def visible_programs(user: User) -> QuerySet[Program]:
    if is_anchor_operator(user):
        return Program.objects.filter(anchor_id=user.anchor_id) if user.anchor_id else Program.objects.none()
    return filter_by_reach(Program.objects.all(), user)


def visible_farmers(user: User) -> QuerySet[Farmer]:
    if is_anchor_operator(user):
        if not user.anchor_id:
            return Farmer.objects.none()
        return Farmer.objects.filter(anchor_links__anchor_id=user.anchor_id)
    return filter_by_subtree(Farmer.objects.all(), user)
