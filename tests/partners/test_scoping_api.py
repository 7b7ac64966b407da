"""Every list and detail refuses what lies outside the user's reach (404, never the data)."""

import pytest

from partners.services.margin import margin_deposit
from tests.conftest import api_as
from tests.factories import make_anchor, make_anchor_operator, make_farmer, make_program


@pytest.fixture
def world(org, users):
    from decimal import Decimal

    anchor_a = make_anchor(users["manager"], org.sub_a, approver=users["approver"], name="甲企业")
    anchor_b = make_anchor(users["manager_b"], org.sub_b, approver=users["approver"], name="乙企业")
    program_a = make_program(anchor_a, users["approver"])
    program_b = make_program(anchor_b, users["approver"])
    farmer_a = make_farmer(org.outlet_a, anchor=anchor_a)
    farmer_b = make_farmer(org.outlet_b, body17="51018119680413303", name="马丽军", anchor=anchor_b)
    operator_a = make_anchor_operator("clerk_a", anchor_a)
    margin_deposit(program=program_b, amount=Decimal("10.00"), actor=users["manager_b"])
    return {
        "anchor_a": anchor_a,
        "anchor_b": anchor_b,
        "program_a": program_a,
        "program_b": program_b,
        "farmer_a": farmer_a,
        "farmer_b": farmer_b,
        "operator_a": operator_a,
    }


def _ids(client, url):
    response = client.get(url)
    assert response.status_code == 200
    return {row["id"] for row in response.json()["results"]}


def test_an_anchor_operator_sees_only_his_enterprise(world):
    client = api_as(world["operator_a"])
    assert _ids(client, "/api/v1/anchors/") == {world["anchor_a"].pk}
    assert _ids(client, "/api/v1/programs/") == {world["program_a"].pk}
    assert _ids(client, "/api/v1/farmers/") == {world["farmer_a"].pk}
    assert client.get(f"/api/v1/anchors/{world['anchor_b'].pk}/").status_code == 404
    assert client.get(f"/api/v1/programs/{world['program_b'].pk}/").status_code == 404
    assert client.get(f"/api/v1/farmers/{world['farmer_b'].pk}/").status_code == 404


def test_an_anchor_operator_cannot_touch_another_enterprises_margin(world):
    client = api_as(world["operator_a"])
    response = client.post(
        f"/api/v1/programs/{world['program_b'].pk}/margin/", {"kind": "withdrawal", "amount": "10.00"}
    )
    assert response.status_code == 404
    assert world["program_b"].margin_entries.count() == 1


def test_a_sub_branch_manager_sees_his_subtree_and_not_the_sibling(world, users):
    client = api_as(users["manager"])
    assert _ids(client, "/api/v1/anchors/") == {world["anchor_a"].pk}
    assert _ids(client, "/api/v1/farmers/") == {world["farmer_a"].pk}
    assert client.get(f"/api/v1/farmers/{world['farmer_b'].pk}/").status_code == 404
    assert client.get(f"/api/v1/programs/{world['program_b'].pk}/").status_code == 404


def test_the_branch_sees_both_sub_branches(world, users):
    client = api_as(users["leader"])
    assert _ids(client, "/api/v1/anchors/") == {world["anchor_a"].pk, world["anchor_b"].pk}
    assert _ids(client, "/api/v1/farmers/") == {world["farmer_a"].pk, world["farmer_b"].pk}


def test_lists_mask_identity_and_phone(world, users):
    row = api_as(users["leader"]).get("/api/v1/farmers/").json()["results"][0]
    assert "*" in row["id_number"] and len(row["id_number"]) == 18
    assert "****" in row["phone"]


def test_the_full_number_is_revealed_only_on_request_to_a_permitted_user_and_logged(world, users):
    from core.models import AuditEvent

    farmer = world["farmer_a"]
    full = api_as(users["manager"]).get(f"/api/v1/farmers/{farmer.pk}/?reveal=1").json()
    assert full["id_number"] == farmer.id_number
    assert AuditEvent.objects.filter(action="farmer_identity_view", object_id=str(farmer.pk)).count() == 1
    refused = api_as(users["leader"]).get(f"/api/v1/farmers/{farmer.pk}/?reveal=1")
    assert refused.status_code == 403
    assert AuditEvent.objects.filter(action="farmer_identity_view").count() == 1
