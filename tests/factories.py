"""Builders for test data. Small on purpose: each test says what it needs."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from core.roles import Role
from partners.models import OrgNode, User
from partners.services.org import org_node_create, user_create

PASSWORD = "Secret#2026"
SOUND_BOOK_DAY = dt.date(2027, 6, 15)  # the business date of the ``world`` fixture


@dataclass
class OrgTree:
    branch: OrgNode
    sub_a: OrgNode
    sub_b: OrgNode
    outlet_a: OrgNode
    outlet_b: OrgNode


def branch_root() -> OrgNode:
    """The branch root that ``migrate`` made; made again when a transactional test flushed it away."""
    from django.conf import settings

    from partners.selectors import org_root

    return org_root() or org_node_create(code=settings.BRANCH_CODE, name=settings.BRANCH_NAME, kind="branch")


def make_org_tree() -> OrgTree:
    """Sub-branches and outlets under the branch root."""
    branch = branch_root()
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


def make_anchor_operator(username: str, anchor: object) -> User:
    """An anchor operator (龙头企业经办人) of ``anchor``: no node of the bank's, his enterprise only."""
    user = make_user(username, Role.ANCHOR_OPERATOR, None)
    user.anchor = anchor  # type: ignore[assignment]
    user.save()
    return user


def uscc_with_check(body17: str) -> str:
    """A valid unified social credit code from its first 17 characters."""
    from stdnum.cn import uscc

    return body17 + uscc.calc_check_digit(body17)


def resident_id_with_check(body17: str) -> str:
    from stdnum.cn import ric

    return body17 + ric.calc_check_digit(body17 + "0")


_anchor_seq = iter(range(100_000, 999_999))


def make_anchor(creator: User, node: OrgNode | None = None, *, approver: User | None = None, name: str = "特驱集团"):
    from decimal import Decimal

    from partners.services.anchors import anchor_approve, anchor_create

    code = uscc_with_check(f"9151010{next(_anchor_seq):06d}MA6C")
    anchor = anchor_create(actor=creator, name=name, uscc=code, guarantee_capacity=Decimal("500000000"), org_node=node)
    if approver is not None:
        anchor = anchor_approve(anchor=anchor, actor=approver)
    return anchor


def make_program(anchor, approver: User, **parameters):
    from decimal import Decimal

    from partners.services.programs import program_create

    parameters.setdefault("annual_rate", Decimal("0.0435"))
    return program_create(actor=approver, anchor=anchor, name=f"{anchor.name}养殖贷", **parameters)


def make_farmer(node: OrgNode, *, body17: str = "51152119700819196", name: str = "胡磊涛", anchor=None):
    import datetime as dt

    from partners.services.farmers import farmer_link_anchor, farmer_register

    farmer = farmer_register(
        name=name,
        id_number=resident_id_with_check(body17),
        phone="17776820850",
        org_node=node,
        today=dt.date(2027, 3, 1),
    )
    if anchor is not None:
        farmer_link_anchor(farmer=farmer, anchor=anchor, on=dt.date(2027, 3, 1))
    return farmer


def make_trades(anchor, id_number: str, orders, *, prefix: str = "T", delivered_on=None):
    """Provider trade records for one farmer: ``orders`` is [(date, "amount"), ...], delivered on
    ``delivered_on`` (by default the first order's date)."""
    from decimal import Decimal

    from core.masking import pii_hash
    from risk.models import DataProvider, ProviderDelivery, TradeRecord

    provider, _ = DataProvider.objects.get_or_create(code="test", defaults={"name": "测试数据商", "secret": "s" * 64})
    delivery = ProviderDelivery.objects.create(
        provider=provider,
        kind="trades",
        channel="file",
        anchor=anchor,
        sha256="0" * 64,
        business_date=delivered_on or orders[0][0],
    )
    start = TradeRecord.objects.count()
    TradeRecord.objects.bulk_create(
        TradeRecord(
            anchor=anchor,
            id_hash=pii_hash(id_number),
            order_no=f"{prefix}{start + i:08d}",
            order_date=day,
            amount=Decimal(amount),
            delivery=delivery,
        )
        for i, (day, amount) in enumerate(orders)
    )


def make_lending_world(users, *, on, amount="1000000.00", margin="10000000.00", **program_parameters):
    """An approved anchor, a programme with margin, a farmer with an approved limit: ready to draw down."""
    import datetime as dt
    from decimal import Decimal

    from core.business_date import business_date_set
    from origination.models import CreditLimit
    from partners.services.margin import margin_deposit

    business_date_set(new_date=on, backwards_allowed=True)
    anchor = make_anchor(users["manager"], approver=users["approver"])
    program = make_program(anchor, users["approver"], **program_parameters)
    if margin is not None:
        margin_deposit(program=program, amount=Decimal(margin), actor=users["manager"])
    farmer = make_farmer(users["manager"].org_node, anchor=anchor)
    limit = CreditLimit.objects.create(
        farmer=farmer,
        program=program,
        amount=Decimal(amount),
        approved_on=on,
        expires_on=on + dt.timedelta(days=400),
        approved_by=users["approver"],
    )
    return program, farmer, limit
