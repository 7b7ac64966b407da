from decimal import Decimal

import pytest

from core.models import AuditEvent
from partners.models import Anchor
from tests.conftest import api_as
from tests.factories import make_anchor, uscc_with_check

VALID_USCC = uscc_with_check("91510100MA6CX0001")


def test_an_account_manager_registers_an_anchor_pending_approval(users):
    response = api_as(users["manager"]).post(
        "/api/v1/anchors/",
        {"name": "特驱集团", "uscc": VALID_USCC, "guarantee_capacity": "500000000.00"},
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == "pending"
    assert body["guarantee_capacity"] == "500000000.00"
    assert AuditEvent.objects.filter(action="anchor_create", object_id=str(body["id"])).exists()


@pytest.mark.parametrize(
    "bad",
    [VALID_USCC[:-1] + ("0" if VALID_USCC[-1] != "0" else "1"), "9151010", "I1510100MA6CX00011", ""],
)
def test_a_bad_credit_code_is_refused_with_invalid_uscc(users, bad):
    response = api_as(users["manager"]).post(
        "/api/v1/anchors/", {"name": "x", "uscc": bad, "guarantee_capacity": "1.00"}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["code"] in {"invalid_uscc", "invalid"}
    if bad:
        assert response.json()["code"] == "invalid_uscc"
    assert not Anchor.objects.exists()


def test_codes_starting_with_a_letter_of_gb32100_are_accepted(users):
    for first in "ANY":
        code = uscc_with_check(f"{first}1510100MA6CX000{'ANY'.index(first)}")
        response = api_as(users["manager"]).post(
            "/api/v1/anchors/",
            {"name": f"合作社{first}", "uscc": code, "guarantee_capacity": "1.00"},
            format="json",
        )
        assert response.status_code == 201, response.json()


def test_an_anchor_is_approved_by_a_risk_approver_who_did_not_create_it(users):
    anchor = make_anchor(users["manager"])
    response = api_as(users["approver"]).post(f"/api/v1/anchors/{anchor.pk}/approve/")
    assert response.status_code == 200
    assert response.json()["status"] == "approved"


def test_the_creator_cannot_approve_his_own_anchor(users):
    anchor = make_anchor(users["approver"])
    response = api_as(users["approver"]).post(f"/api/v1/anchors/{anchor.pk}/approve/")
    assert response.status_code == 403
    assert response.json()["code"] == "maker_checker"
    anchor.refresh_from_db()
    assert anchor.status == "pending"


def test_an_account_manager_cannot_approve(users):
    anchor = make_anchor(users["approver"])
    response = api_as(users["manager"]).post(f"/api/v1/anchors/{anchor.pk}/approve/")
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"


def test_a_superuser_approves_but_maker_checker_still_holds(users):
    anchor = make_anchor(users["admin"])
    assert api_as(users["admin"]).post(f"/api/v1/anchors/{anchor.pk}/approve/").status_code == 403
    other = make_anchor(users["manager"], name="新希望")
    assert api_as(users["admin"]).post(f"/api/v1/anchors/{other.pk}/approve/").status_code == 200


def test_the_latest_assessment_gives_the_capacity(users):
    from datetime import date

    from partners.services.anchors import assessment_add

    anchor = make_anchor(users["manager"])
    assessment_add(
        anchor=anchor,
        actor=users["approver"],
        assessed_on=date.today().replace(year=2000),
        guarantee_capacity=Decimal("1.00"),
    )
    body = api_as(users["manager"]).get(f"/api/v1/anchors/{anchor.pk}/").json()
    assert body["guarantee_capacity"] == "500000000.00"
