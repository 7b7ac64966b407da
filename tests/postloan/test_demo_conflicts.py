"""The demo's conflicts piece: a correction file with two conflicting orders and one duplicate, delivered once."""

import pytest

from postloan import demo
from postloan.demo_parts.conflicts import demo_conflicts_ensure
from risk.models import ProviderConflict, ProviderDelivery, TradeRecord
from risk.services.deliveries import trade_records_import
from tests.factories import make_farmer, resident_id_with_check

BODIES = ("51152119700819196", "51018119680413303", "51012219850101002")


@pytest.mark.django_db
def test_the_demo_delivers_two_conflicts_and_a_duplicate_once_and_changes_no_stored_order():
    assert demo_conflicts_ensure() is None  # no demo programme yet
    demo.demo_org_tree_ensure()
    demo.demo_users_ensure()
    program = demo.demo_anchor_ensure()
    assert demo_conflicts_ensure() is None  # no order of a registered farmer yet
    node = program.anchor.org_node
    lines = "".join(
        f"{resident_id_with_check(body)},DC{index},2027-02-1{index},{100 * (index + 1)}.00\n"
        for index, body in enumerate(BODIES)
    )
    trade_records_import(
        anchor=program.anchor, content=f"身份证号,订单号,订单日期,订单金额\n{lines}".encode(), filename="t.csv"
    )
    for index, body in enumerate(BODIES):
        make_farmer(node, body17=body, name=f"演示{index}")
    stored = set(TradeRecord.objects.values_list("order_no", "id_hash", "order_date", "amount"))

    delivery = demo_conflicts_ensure()

    assert delivery is not None
    assert (delivery.created, delivery.duplicates, delivery.conflicts, delivery.errors) == (0, 1, 2, 0)
    assert sorted(ProviderConflict.objects.filter(delivery=delivery).values_list("key", flat=True)) == ["DC0", "DC1"]
    assert set(TradeRecord.objects.values_list("order_no", "id_hash", "order_date", "amount")) == stored
    counts = (ProviderDelivery.objects.count(), ProviderConflict.objects.count())
    assert demo_conflicts_ensure() == delivery
    assert (ProviderDelivery.objects.count(), ProviderConflict.objects.count()) == counts
