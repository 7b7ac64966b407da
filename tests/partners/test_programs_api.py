from decimal import Decimal

import pytest

from partners.models import Program, ProgramStatusChange
from partners.services.programs import program_suspend
from tests.conftest import api_as
from tests.factories import make_anchor, make_program


@pytest.fixture
def anchor(users):
    return make_anchor(users["manager"], approver=users["approver"])


def test_a_programme_gets_the_programme_defaults(users, anchor):
    response = api_as(users["approver"]).post(
        "/api/v1/programs/",
        {"anchor": anchor.pk, "name": "特驱养殖贷", "annual_rate": "0.0435"},
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == "active"
    assert body["total_cap"] == "400000000.00"
    assert body["per_farmer_cap"] == "2000000.00"
    assert body["order_ratio"] == "0.30"
    assert body["lookback_months"] == 12
    assert body["margin_ratio"] == "0.05"
    assert body["max_term_months"] == 12
    assert body["limit_validity_months"] == 12
    assert body["mismatch_tolerance"] == "0.10"
    assert body["npl_warning_ratio"] == "0.02"
    assert body["npl_suspend_ratio"] == "0.03"
    assert body["penalty_markup"] == "0.50"
    assert body["annual_rate"] == "0.0435"


def test_the_programme_answers_with_its_figures(users, anchor):
    program = make_program(anchor, users["approver"])
    body = api_as(users["manager"]).get(f"/api/v1/programs/{program.pk}/").json()
    for key in ("outstanding_principal", "approved_limits", "npl_ratio", "margin_balance", "margin_required"):
        assert key in body
    assert body["outstanding_principal"] == "0.00"
    assert body["npl_ratio"] == "0.00"


def test_a_programme_for_an_anchor_not_approved_is_refused(users):
    pending = make_anchor(users["manager"])
    response = api_as(users["approver"]).post(
        "/api/v1/programs/", {"anchor": pending.pk, "name": "x", "annual_rate": "0.05"}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["code"] == "anchor_not_approved"
    assert not Program.objects.exists()


@pytest.mark.parametrize(
    ("field", "value"),
    [("order_ratio", "1.5"), ("annual_rate", "0"), ("margin_ratio", "-0.1"), ("npl_suspend_ratio", "0.01")],
)
def test_parameters_out_of_range_are_refused(users, anchor, field, value):
    body = {"anchor": anchor.pk, "name": "x", "annual_rate": "0.05", field: value}
    response = api_as(users["approver"]).post("/api/v1/programs/", body, format="json")
    assert response.status_code == 400
    assert response.json()["code"] in {"invalid_parameter", "invalid"}
    assert not Program.objects.exists()


def test_margin_deposits_and_withdrawals_are_ledger_entries(users, anchor):
    program = make_program(anchor, users["approver"])
    client = api_as(users["manager"])
    assert (
        client.post(f"/api/v1/programs/{program.pk}/margin/", {"kind": "deposit", "amount": "1000.00"}).status_code
        == 201
    )
    response = client.post(f"/api/v1/programs/{program.pk}/margin/", {"kind": "withdrawal", "amount": "400.00"})
    assert response.status_code == 201
    assert response.json()["balance"] == "600.00"
    assert program.margin_entries.count() == 2
    assert api_as(users["manager"]).get(f"/api/v1/programs/{program.pk}/").json()["margin_balance"] == "600.00"


def test_a_withdrawal_below_the_required_margin_is_refused(users, anchor):
    program = make_program(anchor, users["approver"])
    client = api_as(users["manager"])
    client.post(f"/api/v1/programs/{program.pk}/margin/", {"kind": "deposit", "amount": "100.00"})
    response = client.post(f"/api/v1/programs/{program.pk}/margin/", {"kind": "withdrawal", "amount": "100.01"})
    assert response.status_code == 400
    assert response.json()["code"] == "margin_insufficient"
    assert program.margin_entries.count() == 1


def test_resume_needs_another_approver_than_the_one_who_suspended(users, anchor):
    program = make_program(anchor, users["approver"])
    program_suspend(program=program, actor=users["approver"], reason="贷后检查发现风险")
    url = f"/api/v1/programs/{program.pk}/resume/"
    same = api_as(users["approver"]).post(url, {"assessment": "经重新评估，风险可控，同意恢复。"}, format="json")
    assert same.status_code == 403
    assert same.json()["code"] == "maker_checker"
    other = api_as(users["approver2"]).post(url, {"assessment": "经重新评估，风险可控，同意恢复。"}, format="json")
    assert other.status_code == 200
    assert other.json()["status"] == "active"
    assert ProgramStatusChange.objects.filter(program=program, to_status="active").count() == 1


def test_resume_needs_a_written_assessment(users, anchor):
    program = make_program(anchor, users["approver"])
    program_suspend(program=program, actor=users["approver"], reason="风险")
    response = api_as(users["approver2"]).post(f"/api/v1/programs/{program.pk}/resume/", {"assessment": ""})
    assert response.status_code == 400
    assert response.json()["code"] == "assessment_required"


def test_only_a_risk_approver_creates_a_programme(users, anchor):
    response = api_as(users["manager"]).post(
        "/api/v1/programs/", {"anchor": anchor.pk, "name": "x", "annual_rate": "0.05"}, format="json"
    )
    assert response.status_code == 403


def test_a_programme_keeps_a_custom_parameter(users, anchor):
    program = make_program(anchor, users["approver"], order_ratio=Decimal("0.25"), max_term_months=6)
    body = api_as(users["approver"]).get(f"/api/v1/programs/{program.pk}/").json()
    assert body["order_ratio"] == "0.25"
    assert body["max_term_months"] == 6
