"""Whitelisted farmers for the campaign tests: each with his own phone, limit and whitelist entry."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from origination.models import CreditLimit, WhitelistEntry
from partners.services.farmers import farmer_register
from tests.factories import SOUND_BOOK_DAY, make_lending_world, resident_id_with_check


def phone_of(i: int) -> str:
    return f"1390000{i:04d}"


def whitelisted(users, count: int = 5, *, amounts=None):
    """A programme and ``count`` farmers at the manager's outlet on its whitelist; returns (program, farmers)."""
    program, first, limit = make_lending_world(users, on=SOUND_BOOK_DAY, amount="100000.00", margin="5000.00")
    WhitelistEntry.objects.create(program=program, farmer=first, credit_limit=limit, added_on=SOUND_BOOK_DAY)
    farmers = [first]
    for i in range(1, count):
        farmer = farmer_register(
            name=f"农户{i:03d}",
            id_number=resident_id_with_check(f"51152119700819{i:03d}"),
            phone=phone_of(i),
            org_node=users["manager"].org_node,
            today=dt.date(2027, 3, 1),
        )
        amount = Decimal(amounts[i] if amounts else "50000.00")
        credit = CreditLimit.objects.create(
            farmer=farmer,
            program=program,
            amount=amount,
            approved_on=SOUND_BOOK_DAY,
            expires_on=SOUND_BOOK_DAY + dt.timedelta(days=400),
            approved_by=users["approver"],
        )
        WhitelistEntry.objects.create(program=program, farmer=farmer, credit_limit=credit, added_on=SOUND_BOOK_DAY)
        farmers.append(farmer)
    return program, farmers
