"""Margin moves only on the bank's word: an anchor announces deposits, bank staff confirm them and withdraw."""

import datetime as dt
from decimal import Decimal

import pytest
from django.test import Client

from core.errors import DomainError
from core.models import AuditEvent
from origination.services.drawdown import loan_disburse
from origination.services.margin import margin_withdraw
from partners.models import MarginEntry
from partners.services.margin import margin_balance, margin_deposit, margin_entry_confirm
from servicing.compensation import compensate_month_end
from tests.concurrency import run_concurrently
from tests.conftest import api_as
from tests.factories import make_anchor, make_anchor_operator, make_lending_world, make_program


def anchor_operator(anchor, username="clerk"):
    clerk = make_anchor_operator(username, anchor)
    return clerk


@pytest.fixture
def program(users):
    return make_program(make_anchor(users["manager"], approver=users["approver"]), users["approver"])


@pytest.fixture
def clerk(program):
    return anchor_operator(program.anchor)


def announce(clerk, program, amount="1000.00"):
    response = api_as(clerk).post(
        f"/api/v1/programs/{program.pk}/margin/", {"kind": "deposit", "amount": amount}, format="json"
    )
    assert response.status_code == 201, response.json()
    return response.json()


def balance_in_api(user, program):
    return api_as(user).get(f"/api/v1/programs/{program.pk}/").json()["margin_balance"]


# --- the API ---------------------------------------------------------------------------------------------------


def test_an_anchor_operators_deposit_waits_for_the_bank_and_moves_no_balance(users, program, clerk):
    body = announce(clerk, program)
    assert (body["kind"], body["amount"], body["status"]) == ("deposit", "1000.00", "pending")
    assert margin_balance(program.pk) == Decimal("0.00")
    assert balance_in_api(users["manager"], program) == "0.00"


def test_a_deposit_by_bank_staff_is_posted_at_once(users, program):
    response = api_as(users["manager"]).post(
        f"/api/v1/programs/{program.pk}/margin/", {"kind": "deposit", "amount": "1000.00"}, format="json"
    )
    assert response.status_code == 201
    assert response.json()["status"] == "posted"
    assert balance_in_api(users["manager"], program) == "1000.00"


def test_an_anchor_operator_may_not_withdraw_margin(users, program, clerk):
    margin_deposit(program=program, amount=Decimal("1000.00"), actor=users["manager"])
    response = api_as(clerk).post(
        f"/api/v1/programs/{program.pk}/margin/", {"kind": "withdrawal", "amount": "10.00"}, format="json"
    )
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"
    assert margin_balance(program.pk) == Decimal("1000.00")
    assert not program.margin_entries.filter(kind="withdrawal").exists()


def test_bank_staff_confirm_an_announced_deposit_and_then_it_counts(users, program, clerk):
    entry_id = announce(clerk, program)["id"]
    response = api_as(users["approver"]).post(f"/api/v1/margin-entries/{entry_id}/confirm/")
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "posted"
    entry = MarginEntry.objects.get(pk=entry_id)
    assert entry.confirmed_by == users["approver"] and entry.confirmed_at is not None
    assert balance_in_api(users["manager"], program) == "1000.00"
    assert AuditEvent.objects.filter(action="margin_deposit_confirm", actor_id=users["approver"].pk).count() == 1


def test_an_anchor_operator_may_not_confirm_a_deposit(users, program, clerk):
    entry_id = announce(clerk, program)["id"]
    response = api_as(clerk).post(f"/api/v1/margin-entries/{entry_id}/confirm/")
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"
    assert MarginEntry.objects.get(pk=entry_id).status == "pending"
    assert margin_balance(program.pk) == Decimal("0.00")


def test_a_deposit_is_confirmed_only_once(users, program, clerk):
    entry_id = announce(clerk, program)["id"]
    assert api_as(users["approver"]).post(f"/api/v1/margin-entries/{entry_id}/confirm/").status_code == 200
    again = api_as(users["manager"]).post(f"/api/v1/margin-entries/{entry_id}/confirm/")
    assert again.status_code == 400
    assert again.json()["code"] == "invalid_status"
    assert margin_balance(program.pk) == Decimal("1000.00")


def test_staff_outside_the_programmes_reach_cannot_see_or_confirm_its_deposits(org, users):
    program = make_program(make_anchor(users["manager_b"], org.sub_b, approver=users["approver"]), users["approver"])
    entry_id = announce(anchor_operator(program.anchor), program)["id"]
    response = api_as(users["manager"]).post(f"/api/v1/margin-entries/{entry_id}/confirm/")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    assert MarginEntry.objects.get(pk=entry_id).status == "pending"


def test_an_anchor_operator_lists_his_pending_deposits_and_not_other_enterprises(users, program, clerk):
    other = make_program(make_anchor(users["manager"], approver=users["approver"], name="乙企业"), users["approver"])
    announce(anchor_operator(other.anchor, "clerk_b"), other)
    mine = announce(clerk, program)["id"]
    listed = api_as(clerk).get("/api/v1/margin-entries/?status=pending").json()
    assert [item["id"] for item in listed["results"]] == [mine]
    assert api_as(users["approver"]).get("/api/v1/margin-entries/?status=pending").json()["count"] == 2


# --- what a pending deposit does not count for -----------------------------------------------------------------


def test_a_pending_deposit_gives_no_room_for_a_withdrawal(users, program, clerk):
    margin_deposit(program=program, amount=Decimal("100.00"), actor=users["manager"])
    announce(clerk, program, "10000.00")
    response = api_as(users["manager"]).post(
        f"/api/v1/programs/{program.pk}/margin/", {"kind": "withdrawal", "amount": "100.01"}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["code"] == "margin_insufficient"


def test_a_withdrawal_below_the_requirement_of_the_loan_book_is_refused(users):
    # 5 % of 50,000.00 outstanding: 2,500.00 required of the 3,000.00 posted
    program, _farmer, limit = make_lending_world(users, on=dt.date(2027, 3, 5), margin="3000.00")
    loan_disburse(credit_limit=limit, amount=Decimal("50000.00"), term_months=6, actor=users["manager"])
    announce(anchor_operator(program.anchor), program, "100000.00")
    with pytest.raises(DomainError) as refused:
        margin_withdraw(program=program, amount=Decimal("500.01"), actor=users["approver"])
    assert refused.value.code == "margin_insufficient"
    assert margin_withdraw(program=program, amount=Decimal("500.00"), actor=users["approver"]).status == "posted"
    assert margin_balance(program.pk) == Decimal("2500.00")


def test_a_pending_deposit_does_not_cover_a_drawdown_until_it_is_confirmed(users):
    program, _farmer, limit = make_lending_world(users, on=dt.date(2027, 3, 5), margin=None)
    entry_id = announce(anchor_operator(program.anchor), program, "100000.00")["id"]
    with pytest.raises(DomainError) as refused:
        loan_disburse(credit_limit=limit, amount=Decimal("50000.00"), term_months=6, actor=users["manager"])
    assert refused.value.code == "margin_insufficient"
    margin_entry_confirm(entry=MarginEntry.objects.get(pk=entry_id), actor=users["approver"])
    loan = loan_disburse(credit_limit=limit, amount=Decimal("50000.00"), term_months=6, actor=users["manager"])
    assert loan.principal_outstanding == Decimal("50000.00")


def test_month_end_compensation_deducts_nothing_from_a_pending_deposit(users):
    program, _farmer, limit = make_lending_world(users, on=dt.date(2027, 3, 5), margin="150.00", margin_ratio=0)
    loan = loan_disburse(credit_limit=limit, amount=Decimal("100000.00"), term_months=6, actor=users["manager"])
    entry_id = announce(anchor_operator(program.anchor), program, "100000.00")["id"]
    # 193.33 interest overdue since 20 March; only the 150.00 posted is there to deduct
    loan.__class__.objects.filter(pk=loan.pk).update(
        interest_overdue=Decimal("193.33"), oldest_due_date=dt.date(2027, 3, 20)
    )
    summary = compensate_month_end(dt.date(2027, 3, 31))
    assert summary.compensated == Decimal("150.00")
    assert margin_balance(program.pk) == Decimal("0.00")
    assert MarginEntry.objects.get(pk=entry_id).status == "pending"


# --- the pages ---------------------------------------------------------------------------------------------------


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_anchor_operator_sees_his_pending_deposit_on_the_programme_and_anchor_pages(program, clerk):
    response = client_for(clerk).post(
        f"/programs/{program.pk}/margin/", {"kind": "deposit", "amount": "800", "note": "转账"}, follow=True
    )
    page = response.content.decode()
    assert "待银行确认" in page
    assert 'data-testid="pending-deposits"' in page
    assert "/confirm/" not in page  # no button to confirm his own deposit
    assert MarginEntry.objects.get().status == "pending"
    anchor_page = client_for(clerk).get(f"/anchors/{program.anchor_id}/").content.decode()
    assert 'data-testid="pending-deposits"' in anchor_page and "800.00" in anchor_page


def test_the_anchor_operator_is_not_offered_a_withdrawal_on_the_programme_page(program, clerk):
    page = client_for(clerk).get(f"/programs/{program.pk}/").content.decode()
    assert 'value="withdrawal"' not in page
    client_for(clerk).post(f"/programs/{program.pk}/margin/", {"kind": "withdrawal", "amount": "1"})
    assert not MarginEntry.objects.exists()


def test_staff_confirm_a_pending_deposit_from_the_anchor_page(users, program, clerk):
    entry_id = announce(clerk, program, "800.00")["id"]
    client = client_for(users["manager"])
    page = client.get(f"/anchors/{program.anchor_id}/").content.decode()
    assert f"/margin-entries/{entry_id}/confirm/" in page
    response = client.post(f"/margin-entries/{entry_id}/confirm/", {"back": "anchor"})
    assert response.status_code == 302 and response.url == f"/anchors/{program.anchor_id}/"
    assert MarginEntry.objects.get(pk=entry_id).status == "posted"
    assert margin_balance(program.pk) == Decimal("800.00")


def test_an_anchor_operator_confirming_from_a_page_gets_a_refusal_page(program, clerk):
    entry_id = announce(clerk, program)["id"]
    response = client_for(clerk).post(f"/margin-entries/{entry_id}/confirm/")
    assert response.status_code == 403
    assert 'data-testid="refused"' in response.content.decode()
    assert MarginEntry.objects.get(pk=entry_id).status == "pending"


# --- at the same moment ------------------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_two_staff_confirming_the_same_deposit_at_once_post_it_once(users):
    program = make_program(make_anchor(users["manager"], approver=users["approver"]), users["approver"])
    entry = margin_deposit(program=program, amount=Decimal("1000.00"), actor=anchor_operator(program.anchor))

    def confirm(user):
        return lambda: margin_entry_confirm(entry=entry, actor=user)

    results = run_concurrently(confirm(users["manager"]), confirm(users["approver"]))

    confirmed = [r for r in results if isinstance(r, MarginEntry)]
    refused = [r for r in results if isinstance(r, DomainError)]
    assert len(confirmed) == 1, results
    assert len(refused) == 1 and refused[0].code == "invalid_status"
    assert margin_balance(program.pk) == Decimal("1000.00")
    assert AuditEvent.objects.filter(action="margin_deposit_confirm").count() == 1
