"""The provider-data page lists only the deliveries of the anchors the user sees."""

import pytest
from django.test import Client

from risk.models import DataProvider, ProviderDelivery
from tests.factories import make_anchor, make_anchor_operator


@pytest.fixture
def deliveries(org, users):
    anchor_a = make_anchor(users["manager"], org.sub_a, approver=users["approver"], name="甲企业")
    anchor_b = make_anchor(users["manager_b"], org.sub_b, approver=users["approver"], name="乙企业")
    provider, _ = DataProvider.objects.get_or_create(code="test", defaults={"name": "测试数据商", "secret": "s" * 64})

    def delivery(kind, anchor, mark):
        return ProviderDelivery.objects.create(
            provider=provider, kind=kind, channel="file", anchor=anchor, sha256=mark * 64, business_date="2027-03-01"
        )

    delivery("trades", anchor_a, "a")
    delivery("trades", anchor_b, "b")
    delivery("events", None, "e")
    operator = make_anchor_operator("clerk_a", anchor_a)
    return operator


def _listed(user) -> set[str]:
    client = Client()
    client.force_login(user)
    page = client.get("/provider-data/").content.decode()
    return {mark for mark in "abe" if mark * 11 in page}


def test_an_anchor_operator_sees_no_other_anchors_deliveries(deliveries):
    assert _listed(deliveries) == {"a"}


def test_a_manager_sees_no_deliveries_of_anchors_outside_his_reach(users, deliveries):
    assert _listed(users["manager_b"]) == {"b", "e"}
    assert _listed(users["manager"]) == {"a", "e"}


def test_the_branch_sees_every_delivery(users, deliveries):
    assert _listed(users["leader"]) == {"a", "b", "e"}
