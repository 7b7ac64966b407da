from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from core.roles import Role
from tests.factories import OrgTree, make_farmer, make_user


@pytest.fixture
def lending(world, org: OrgTree):
    """The world's programme with two whitelisted farmers (one with a loan), its list made and synced."""
    from distribution.services import outreach_list_for_program
    from origination.models import CreditLimit, WhitelistEntry

    program, farmer, limit = world["program"], world["farmer"], world["limit"]
    WhitelistEntry.objects.create(program=program, farmer=farmer, credit_limit=limit, added_on=limit.approved_on)
    other = make_farmer(org.outlet_b, body17="51152119810203141", name="张小梅", anchor=program.anchor)
    other.breed = "生猪"
    other.region_code = "511521"
    other.save()
    other_limit = CreditLimit.objects.create(
        farmer=other,
        program=program,
        amount=Decimal("80000.00"),
        approved_on=limit.approved_on,
        expires_on=limit.approved_on + dt.timedelta(days=300),
        approved_by=world["users"]["approver"],
    )
    WhitelistEntry.objects.create(program=program, farmer=other, credit_limit=other_limit, added_on=limit.approved_on)
    outreach_list = outreach_list_for_program(program=program, actor=world["users"]["admin"])
    sub_leader = make_user("sub_leader", Role.BRANCH_MANAGER, org.sub_a)
    return {
        **world,
        "list": outreach_list,
        "other": other,
        "other_limit": other_limit,
        "sub_leader": sub_leader,
        "org": org,
    }
