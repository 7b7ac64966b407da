"""Renewal (年审): limits expiring within 60 days put to a renewal batch, processed, submitted and approved by a
second person; the old limit ends as renewed, its loans move to the new one, the caps count it once."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.test import Client

from core.business_date import business_date_set
from core.models import AuditEvent
from origination.models import Batch, BatchRow, CreditLimit, CreditLimitChange, Loan
from origination.schedule import add_months
from origination.services.drawdown import loan_disburse
from partners.models import Program
from partners.services.margin import margin_deposit
from tests.conftest import api_as
from tests.factories import make_anchor_operator
from tests.origination.test_batch_processing import batch  # noqa: F401 - the fixture

pytestmark = pytest.mark.django_db

RENEWAL_DAY = dt.date(2028, 1, 15)  # the fixture's limit, approved on 2027-03-01, expires on 2028-03-01


@pytest.fixture
def limit(users, batch):  # noqa: F811
    """甲's limit of 300,000 from the fixture's batch, 50,000 drawn, on a business date 46 days before expiry."""
    manager, approver = api_as(users["manager"]), api_as(users["approver"])
    manager.post(f"/api/v1/batches/{batch.pk}/process/")
    manager.post(f"/api/v1/batches/{batch.pk}/submit/")
    assert approver.post(f"/api/v1/batches/{batch.pk}/approve/", {}, format="json").status_code == 200
    granted = CreditLimit.objects.get(batch_row__batch=batch)
    margin_deposit(program=batch.program, amount=Decimal("1000000.00"), actor=users["manager"])
    business_date_set(new_date=dt.date(2027, 12, 1), backwards_allowed=True)
    loan_disburse(credit_limit=granted, amount=Decimal("50000.00"), term_months=2, actor=users["manager"])
    business_date_set(new_date=RENEWAL_DAY, backwards_allowed=True)
    return granted


def start(user, limit, *ids):
    return api_as(user).post(
        "/api/v1/renewals/",
        {"program": limit.program_id, "credit_limits": list(ids) or [limit.pk]},
        format="json",
    )


def renewal_submitted(users, limit, screening: str | None = None) -> Batch:
    response = start(users["manager"], limit)
    assert response.status_code == 201, response.json()
    renewal = Batch.objects.get(pk=response.json()["id"])
    manager = api_as(users["manager"])
    assert manager.post(f"/api/v1/batches/{renewal.pk}/process/").status_code == 200
    if screening is not None:
        BatchRow.objects.filter(batch=renewal).update(screening=screening)
    assert manager.post(f"/api/v1/batches/{renewal.pk}/submit/").status_code == 200
    return renewal


def test_a_renewal_batch_copies_the_farmer_and_declares_the_providers_orders(users, limit):
    response = start(users["manager"], limit)
    assert response.status_code == 201, response.json()
    renewal = Batch.objects.get(pk=response.json()["id"])
    assert renewal.kind == "renewal" and renewal.status == "validated"
    assert renewal.rows_valid == 1 and response.json()["errors"] == []
    assert len(renewal.farmer_list_sha256) == 64 and renewal.farmer_list.name.endswith(".csv")
    row = BatchRow.objects.get(batch=renewal)
    first = BatchRow.objects.get(batch=limit.batch_row.batch, farmer=limit.farmer)
    assert row.renews == limit
    assert (row.name, row.id_hash, row.id_masked, row.phone, row.score) == (
        first.name,
        first.id_hash,
        first.id_masked,
        first.phone,
        first.score,
    )
    assert row.recommended_amount == Decimal("300000.00")
    # The provider's orders from 2027-01-15 to 2028-01-14: the fixture's 600,000 and 888,888.
    assert row.declared_orders_12m == Decimal("1488888.00")
    assert AuditEvent.objects.filter(action="limit_renewal_start").count() == 1


def test_the_renewal_goes_the_usual_way_and_replaces_the_old_limit(users, limit):
    renewal = renewal_submitted(users, limit)
    row = BatchRow.objects.get(batch=renewal)
    assert row.validation == "matched" and row.computed_limit == Decimal("300000.00")
    # The submitter may not approve it; a second person does.
    assert api_as(users["manager"]).post(f"/api/v1/batches/{renewal.pk}/approve/", {}, format="json").status_code == 403
    response = api_as(users["approver"]).post(f"/api/v1/batches/{renewal.pk}/approve/", {}, format="json")
    assert response.status_code == 200, response.json()

    new = CreditLimit.objects.get(batch_row__batch=renewal)
    old = CreditLimit.objects.get(pk=limit.pk)
    assert new.renewal_of == old and new.status == "active" and new.amount == Decimal("300000.00")
    assert new.approved_on == RENEWAL_DAY
    assert new.expires_on == add_months(RENEWAL_DAY, renewal.program.limit_validity_months)
    assert old.status == "expired" and old.expires_on == dt.date(2028, 3, 1)
    change = CreditLimitChange.objects.get(credit_limit=old)
    assert (change.kind, change.from_status, change.to_status, change.actor) == (
        "renewed",
        "active",
        "expired",
        users["approver"],
    )
    assert str(new.pk) in change.reason and change.business_date == RENEWAL_DAY
    # What was drawn now counts against the new limit.
    assert Loan.objects.get().credit_limit == new
    listed = api_as(users["manager"]).get(f"/api/v1/credit-limits/?program={renewal.program_id}").json()["results"]
    assert {item["id"]: item["available"] for item in listed if item["status"] == "active"} == {new.pk: "250000.00"}


def test_the_cap_check_counts_a_renewed_limit_once(users, limit):
    renewal = renewal_submitted(users, limit)
    # Old and new together (600,000) would cross a cap of 500,000; the old one stops counting as the new starts.
    Program.objects.filter(pk=renewal.program_id).update(
        total_cap=Decimal("500000.00"), per_farmer_cap=Decimal("400000.00")
    )
    response = api_as(users["approver"]).post(f"/api/v1/batches/{renewal.pk}/approve/", {}, format="json")
    assert response.status_code == 200, response.json()
    assert CreditLimit.objects.get(batch_row__batch=renewal).amount == Decimal("300000.00")


def test_processing_does_not_cut_a_renewal_by_the_limit_it_renews(users, limit):
    Program.objects.filter(pk=limit.program_id).update(per_farmer_cap=Decimal("400000.00"))
    response = start(users["manager"], limit)
    renewal = Batch.objects.get(pk=response.json()["id"])
    api_as(users["manager"]).post(f"/api/v1/batches/{renewal.pk}/process/")
    assert BatchRow.objects.get(batch=renewal).computed_limit == Decimal("300000.00")


def test_a_row_screening_refused_is_not_renewed_and_the_old_limit_runs_to_its_date(users, limit):
    renewal = renewal_submitted(users, limit, screening="refused")
    response = api_as(users["approver"]).post(f"/api/v1/batches/{renewal.pk}/approve/", {}, format="json")
    assert response.status_code == 200, response.json()
    assert not CreditLimit.objects.filter(batch_row__batch=renewal).exists()
    old = CreditLimit.objects.get(pk=limit.pk)
    assert old.status == "active" and old.expires_on == dt.date(2028, 3, 1)
    assert not CreditLimitChange.objects.filter(credit_limit=old).exists()
    assert Loan.objects.get().credit_limit == old


def test_a_freeze_carries_over_to_the_renewal(users, limit):
    renewal = renewal_submitted(users, limit)
    CreditLimit.objects.filter(pk=limit.pk).update(status="frozen", frozen_by=users["approver2"])
    assert (
        api_as(users["approver"]).post(f"/api/v1/batches/{renewal.pk}/approve/", {}, format="json").status_code == 200
    )
    new = CreditLimit.objects.get(batch_row__batch=renewal)
    assert new.status == "frozen" and new.frozen_by == users["approver2"]
    assert CreditLimitChange.objects.get(credit_limit=new).kind == "frozen"
    assert CreditLimitChange.objects.get(credit_limit_id=limit.pk).from_status == "frozen"


def test_a_limit_not_expiring_within_60_days_is_not_renewable(users, limit):
    business_date_set(new_date=dt.date(2027, 12, 31), backwards_allowed=True)  # 61 days before expiry
    response = start(users["manager"], limit)
    assert response.status_code == 400
    assert response.json()["code"] == "not_renewable"
    assert not Batch.objects.filter(kind="renewal").exists()


def test_an_expired_limit_is_not_renewable(users, limit):
    business_date_set(new_date=dt.date(2028, 3, 1), backwards_allowed=True)
    assert start(users["manager"], limit).json()["code"] == "not_renewable"


def test_a_limit_already_in_an_open_renewal_is_not_renewable(users, limit):
    assert start(users["manager"], limit).status_code == 201
    response = start(users["approver"], limit)
    assert response.status_code == 400
    assert response.json()["code"] == "not_renewable"
    assert Batch.objects.filter(kind="renewal").count() == 1
    assert AuditEvent.objects.filter(action="limit_renewal_start").count() == 1


def test_a_limit_or_programme_out_of_reach_is_not_found(users, limit):
    response = start(users["manager_b"], limit)  # 甲 sits in outlet A, manager B in outlet B
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    missing = api_as(users["manager"]).post(
        "/api/v1/renewals/", {"program": 999999, "credit_limits": [limit.pk]}, format="json"
    )
    assert missing.status_code == 404
    assert not Batch.objects.filter(kind="renewal").exists()


def test_an_anchor_operator_or_a_branch_manager_may_not_start_a_renewal(users, limit):
    operator = make_anchor_operator("operator", limit.program.anchor)
    assert start(operator, limit).status_code == 403
    assert start(users["leader"], limit).status_code == 403
    assert api_as(operator).get("/api/v1/renewals/expiring/").status_code == 403
    client = Client()
    client.force_login(operator)
    assert client.get("/renewals/").status_code == 403


def test_the_api_lists_the_expiring_limits(users, limit):
    body = api_as(users["approver"]).get(f"/api/v1/renewals/expiring/?program={limit.program_id}").json()
    assert [(item["id"], item["days_left"], item["outstanding"]) for item in body["results"]] == [
        (limit.pk, 46, "50000.00")
    ]
    assert api_as(users["manager_b"]).get("/api/v1/renewals/expiring/").json()["results"] == []
    assert api_as(users["manager_b"]).get("/api/v1/renewals/expiring/?program=999999").status_code == 404


def test_the_page_lists_limits_per_manager_and_starts_a_batch(users, limit):
    manager_of = limit.farmer.account_manager
    approver = Client()
    approver.force_login(users["approver"])
    page = approver.get("/renewals/")
    assert page.status_code == 200
    html = page.content.decode()
    assert f'data-limit="{limit.pk}"' in html and "46" in html
    assert page.context["groups"][0][0] == manager_of
    other = Client()
    other.force_login(users["manager_b"])
    assert f'data-limit="{limit.pk}"' not in other.get("/renewals/").content.decode()

    response = approver.post("/renewals/start/", {"limits": [str(limit.pk)]})
    renewal = Batch.objects.get(kind="renewal")
    assert response.status_code == 302 and response.url == f"/batches/{renewal.pk}/"
    # Once in a batch, the page links it instead of offering the box again.
    assert f'href="/batches/{renewal.pk}/"' in approver.get("/renewals/").content.decode()


def test_the_menu_links_the_page_for_staff_who_renew(users, limit):
    client = Client()
    client.force_login(users["manager"])
    assert 'href="/renewals/"' in client.get("/").content.decode()
