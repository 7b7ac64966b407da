"""The demo world (``seed_demo``): each piece is looked up before it is made; a second run changes nothing."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction

from core.roles import Role
from partners.models import OrgNode, User
from partners.services.org import org_node_create, user_create

DEMO_PASSWORD = "Demo@2026"  # noqa: S105 - printed for the demo on purpose

# (code, name, class, outlets) — modelled on the seed's 成都分行.
SUB_BRANCHES = (
    (
        "CD-GX",
        "高新支行",
        OrgNode.SubBranchClass.PRIORITY,
        (("CD-GX-01", "天府大道网点"), ("CD-GX-02", "科华路网点")),
    ),
    ("CD-JJ", "锦江支行", OrgNode.SubBranchClass.PRIORITY, (("CD-JJ-01", "春熙路网点"),)),
    (
        "CD-SL",
        "双流支行",
        OrgNode.SubBranchClass.FOLLOW_UP,
        (("CD-SL-01", "东升网点"), ("CD-SL-02", "华阳网点")),
    ),
    ("CD-PD", "郫都支行", OrgNode.SubBranchClass.FOLLOW_UP, (("CD-PD-01", "犀浦网点"),)),
    ("CD-XJ", "新津支行", OrgNode.SubBranchClass.SPECIALTY, (("CD-XJ-01", "五津网点"),)),
    ("CD-CZ", "崇州支行", OrgNode.SubBranchClass.SPECIALTY, (("CD-CZ-01", "崇阳网点"),)),
)


@dataclass(frozen=True)
class DemoLogin:
    username: str
    role: str
    node_code: str | None
    display_name: str


DEMO_LOGINS = (
    DemoLogin("admin", Role.ADMINISTRATOR, "CD", "系统管理员"),
    DemoLogin("leader", Role.BRANCH_MANAGER, "CD", "王行长"),
    DemoLogin("leader_gx", Role.BRANCH_MANAGER, "CD-GX", "李行长"),
    DemoLogin("approver", Role.RISK_APPROVER, "CD", "陈审批"),
    DemoLogin("approver2", Role.RISK_APPROVER, "CD", "周审批"),
    DemoLogin("manager", Role.ACCOUNT_MANAGER, "CD-GX-01", "张经理"),
    DemoLogin("manager_sl", Role.ACCOUNT_MANAGER, "CD-SL-01", "刘经理"),
)


def _node(code: str, name: str, kind: str, parent: OrgNode | None, klass: str = "") -> OrgNode:
    existing = OrgNode.objects.filter(code=code).first()
    return existing or org_node_create(code=code, name=name, kind=kind, parent=parent, sub_branch_class=klass)


@transaction.atomic
def demo_org_tree_ensure() -> OrgNode:
    branch = _node("CD", "成都分行", OrgNode.Kind.BRANCH, None)
    for code, name, klass, outlets in SUB_BRANCHES:
        sub = _node(code, name, OrgNode.Kind.SUB_BRANCH, branch, klass)
        for outlet_code, outlet_name in outlets:
            _node(outlet_code, outlet_name, OrgNode.Kind.OUTLET, sub)
    return branch


@transaction.atomic
def demo_users_ensure() -> list[DemoLogin]:
    for login in DEMO_LOGINS:
        if User.objects.filter(username=login.username).exists():
            continue
        node = OrgNode.objects.get(code=login.node_code) if login.node_code else None
        is_admin = login.role == Role.ADMINISTRATOR
        user_create(
            username=login.username,
            password=DEMO_PASSWORD,
            role=login.role,
            org_node=node,
            display_name=login.display_name,
            is_staff=is_admin,
            is_superuser=is_admin,
        )
    return list(DEMO_LOGINS)
