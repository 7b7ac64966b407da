"""The anchor's window: an operator sees his enterprise's programmes, demands and statements, nothing of another's."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from core.business_date import business_date_set
from core.roles import Role
from origination.models import AnchorPayment, AnchorPaymentLine, CompensationDemand
from origination.services.drawdown import loan_disburse
from postloan.models_statements import MonthlyStatement
from postloan.statements import statement_write
from tests.conftest import api_as
from tests.factories import make_anchor_operator, make_lending_world, make_user

D = dt.date


@pytest.fixture
def two_anchors(users, org):
    """Two anchors, each with a programme, a loan drawn in March, a demand and a claim, and March's statement."""
    worlds = []
    for i, (amount, name) in enumerate((("41234.56", "甲"), ("28765.43", "乙"))):
        program, _farmer, limit = make_lending_world(users, on=D(2027, 3, 10), amount="100000.00", margin="9000.00")
        program.anchor.name = f"{name}集团"
        program.anchor.save()
        program.name = f"{name}方案"
        program.save()
        loan = loan_disburse(credit_limit=limit, amount=Decimal(amount), term_months=6, actor=users["manager"])
        demand = CompensationDemand.objects.create(
            loan=loan, program=program, raised_on=D(2027, 3, 20), amount=Decimal(f"{111 + i}.11")
        )
        # A transfer from the anchor's own funds, checked and applied in March, part of it on this demand.
        payment = AnchorPayment.objects.create(
            anchor=program.anchor,
            reference=f"TRF-{name}-{i}",
            amount=Decimal(f"{60 + i}.00"),
            value_date=D(2027, 3, 25),
            status=AnchorPayment.Status.APPLIED,
            recorded_by=users["manager"],
            recorded_on=D(2027, 3, 25),
            checked_by=users["approver"],
            checked_on=D(2027, 3, 25),
        )
        AnchorPaymentLine.objects.create(
            payment=payment, demand=demand, loan=loan, amount=payment.amount, interest=payment.amount
        )
        CompensationDemand.objects.create(
            loan=loan,
            program=program,
            raised_on=D(2027, 3, 21),
            amount=Decimal(f"{777 + i}.77"),
            status="claim",
            unrecovered=Decimal(f"{555 + i}.55"),
        )
        worlds.append({"program": program, "loan": loan, "operator": make_anchor_operator(f"op{i}", program.anchor)})
    business_date_set(new_date=D(2027, 4, 1), backwards_allowed=False)
    for world in worlds:
        world["statement"] = statement_write(world["program"], D(2027, 3, 1))
    return worlds


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.django_db
def test_the_operator_home_shows_his_enterprise_only(two_anchors):
    mine, other = two_anchors
    page = _client(mine["operator"]).get(reverse("home")).content.decode()
    assert mine["program"].name in page and other["program"].name not in page
    assert "41,234.56" in page and "28,765.43" not in page  # outstanding principal of each programme
    assert "555.55" in page and "556.55" not in page  # the claims left on each anchor
    assert "111.11" in page and "112.11" not in page  # the open demands
    assert "TRF-甲-0" in page and "TRF-乙-1" not in page  # the payments from the anchor's own funds
    assert reverse("statement-pdf", args=[mine["statement"].pk]) in page
    assert reverse("statement-pdf", args=[other["statement"].pk]) not in page
    assert reverse("statement-list") in page
    assert reverse("compensation") in page  # the compensation pages list every demand and payment


@pytest.mark.django_db
def test_each_statement_counts_its_own_anchor_payments(two_anchors):
    mine, other = two_anchors
    assert mine["statement"].figures["anchor_paid_in_month"] == "60.00"
    assert other["statement"].figures["anchor_paid_in_month"] == "61.00"


@pytest.mark.django_db
def test_the_statements_page_and_files_are_his_only(two_anchors):
    mine, other = two_anchors
    client = _client(mine["operator"])
    listing = client.get(reverse("statement-list")).content.decode()
    assert "41,234.56" in listing and "28,765.43" not in listing
    assert "statement-request" not in listing  # an operator cannot ask for a month
    own = client.get(reverse("statement-xlsx", args=[mine["statement"].pk]))
    assert own.status_code == 200 and b"".join(own.streaming_content).startswith(b"PK")
    assert client.get(reverse("statement-pdf", args=[other["statement"].pk])).status_code == 404
    assert client.post(reverse("statement-request"), {"month": "2027-03-01"}).status_code == 403


@pytest.mark.django_db
def test_the_api_answers_his_enterprise_only(two_anchors):
    mine, other = two_anchors
    api = api_as(mine["operator"])
    window = api.get("/api/v1/anchor-window/").json()
    assert [p["id"] for p in window["programs"]] == [mine["program"].pk]
    assert window["programs"][0]["outstanding_principal"] == "41234.56"
    assert window["demands"]["claim"] == {"count": 1, "amount": "555.55"}
    assert window["demands"]["open"] == {"count": 1, "amount": "111.11"}
    assert {d["loan"] for d in window["unsettled_demands"]} == {mine["loan"].pk}
    assert [s["id"] for s in window["statements"]] == [mine["statement"].pk]
    assert [p["reference"] for p in window["payments"]] == ["TRF-甲-0"]
    listed = api.get("/api/v1/statements/").json()
    rows = listed["results"] if isinstance(listed, dict) else listed
    assert [s["id"] for s in rows] == [mine["statement"].pk]
    assert api.get(f"/api/v1/statements/{other['statement'].pk}/").status_code == 404
    assert api.get(f"/api/v1/statements/{other['statement'].pk}/pdf/").status_code == 404
    pdf = api.get(f"/api/v1/statements/{mine['statement'].pk}/pdf/")
    assert pdf.status_code == 200 and b"".join(pdf.streaming_content).startswith(b"%PDF-")


@pytest.mark.django_db
def test_staff_read_their_reach_and_ask_for_a_month(two_anchors, users, org):
    leader = _client(users["leader"])
    listing = leader.get(reverse("statement-list")).content.decode()
    assert "41,234.56" in listing and "28,765.43" in listing and "statement-request" in listing
    # An account manager keeps no statements.
    assert _client(users["manager"]).get(reverse("statement-list")).status_code == 404
    # A sub-branch manager outside the programmes' reach sees none of them.
    other_leader = make_user("leader_b", Role.BRANCH_MANAGER, org.outlet_b)
    assert api_as(other_leader).get("/api/v1/statements/").json()["results"] == []
    # Asking again for March writes nothing new: each statement stands as written.
    response = _client(users["approver"]).post(reverse("statement-request"), {"month": "2027-03-01"})
    assert response.status_code == 302
    assert MonthlyStatement.objects.count() == 2
