"""Builders for test data. Small on purpose: each test says what it needs."""

from __future__ import annotations

from dataclasses import dataclass

from partners.models import OrgNode, User
from partners.services import org_node_create, user_create

PASSWORD = "Secret#2026"


@dataclass
class OrgTree:
    branch: OrgNode
    sub_a: OrgNode
    sub_b: OrgNode
    outlet_a: OrgNode
    outlet_b: OrgNode


def make_org_tree() -> OrgTree:
    branch = org_node_create(code="B", name="成都分行", kind=OrgNode.Kind.BRANCH)
    sub_a = org_node_create(
        code="SA",
        name="高新支行",
        kind=OrgNode.Kind.SUB_BRANCH,
        parent=branch,
        sub_branch_class=OrgNode.SubBranchClass.PRIORITY,
    )
    sub_b = org_node_create(
        code="SB",
        name="双流支行",
        kind=OrgNode.Kind.SUB_BRANCH,
        parent=branch,
        sub_branch_class=OrgNode.SubBranchClass.FOLLOW_UP,
    )
    outlet_a = org_node_create(code="OA", name="天府网点", kind=OrgNode.Kind.OUTLET, parent=sub_a)
    outlet_b = org_node_create(code="OB", name="东升网点", kind=OrgNode.Kind.OUTLET, parent=sub_b)
    return OrgTree(branch, sub_a, sub_b, outlet_a, outlet_b)


def make_user(username: str, role: str, node: OrgNode | None, **extra: bool) -> User:
    return user_create(username=username, password=PASSWORD, role=role, org_node=node, **extra)
