"""Programme changes: proposed by one person, approved by another, checked like a new programme, in force
from a business date, each version kept in the programme's history."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.contrib.admin.sites import site
from django.test import Client

from core.business_date import business_date_set
from core.errors import DomainError
from core.models import AuditEvent
from origination.program_history import parameter_versions
from origination.services.drawdown import loan_disburse
from origination.services.program_changes import (
    program_change_approve,
    program_change_propose,
    program_change_reject,
    program_changes_apply,
)
from partners.models import Program, ProgramChange
from partners.services.programs import PROGRAM_PARAMETERS
from tests.conftest import api_as
from tests.factories import (
    SOUND_BOOK_DAY,
    make_anchor,
    make_anchor_operator,
    make_lending_world,
    make_program,
)

TODAY = SOUND_BOOK_DAY
TOMORROW = TODAY + dt.timedelta(days=1)


@pytest.fixture
def program(users):
    business_date_set(new_date=TODAY, backwards_allowed=True)
    anchor = make_anchor(users["manager"], approver=users["approver"])
    return make_program(anchor, users["approver"])


def propose(program, users, values, *, by="manager", on=TODAY, reason="龙头企业订单增长，调整方案额度"):
    return program_change_propose(program=program, actor=users[by], values=values, effective_from=on, reason=reason)


def refusal(call) -> DomainError:
    with pytest.raises(DomainError) as caught:
        call()
    return caught.value


# --- proposing ---------------------------------------------------------------------------------------------


def test_a_proposal_keeps_the_new_and_the_old_values_as_the_api_writes_them(users, program):
    change = propose(program, users, {"total_cap": "500000000", "order_ratio": "0.35", "min_score": "65.5"})

    assert change.status == ProgramChange.Status.PROPOSED
    assert change.values == {"total_cap": "500000000.00", "order_ratio": "0.35", "min_score": "65.5"}
    assert change.previous == {"total_cap": "400000000.00", "order_ratio": "0.30", "min_score": "60"}
    assert change.proposed_on == TODAY
    program.refresh_from_db()
    assert program.total_cap == Decimal("400000000.00")  # nothing moves before the approval
    assert AuditEvent.objects.filter(action="program_change_propose").count() == 1


def test_values_equal_to_the_current_ones_are_left_out_and_all_equal_is_no_change(users, program):
    change = propose(program, users, {"total_cap": "400000000.00", "lookback_months": 6})
    assert change.values == {"lookback_months": 6}
    change.status = ProgramChange.Status.WITHDRAWN
    change.save()

    error = refusal(lambda: propose(program, users, {"total_cap": "400000000", "annual_rate": "0.0435"}))
    assert error.code == "no_change"


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"per_farmer_cap": "500000000.00"}, None),  # above the total cap
        ({"npl_warning_ratio": "0.03"}, None),  # the warning line at the suspension line
        ({"npl_suspend_ratio": "0.01"}, None),  # the suspension line below the warning line
        ({"order_ratio": "1.5"}, "order_ratio"),
        ({"annual_rate": "0"}, "annual_rate"),
        ({"min_score": "101"}, "min_score"),
        ({"screening_lookback_days": 10}, "screening_lookback_days"),
        ({"multi_lender_review_count": 1}, "multi_lender_review_count"),
        ({"total_cap": "1000.005"}, "total_cap"),  # money to the fen
        ({"lookback_months": "6.5"}, "lookback_months"),
        ({"margin_ratio": "abc"}, "margin_ratio"),
        ({"margin_ratio": True}, "margin_ratio"),
        ({"margin_ratio": "NaN"}, "margin_ratio"),
        ({"rate": "0.05"}, None),  # no such parameter
    ],
)
def test_a_change_is_checked_by_the_rules_of_a_new_programme(users, program, values, field):
    error = refusal(lambda: propose(program, users, values))

    assert error.code == "invalid_parameter"
    assert error.extra.get("field") == field
    assert not ProgramChange.objects.exists()


def test_a_change_cannot_take_effect_before_the_business_date(users, program):
    error = refusal(lambda: propose(program, users, {"order_ratio": "0.4"}, on=TODAY - dt.timedelta(days=1)))
    assert error.code == "effective_date_past"


def test_a_proposal_says_why(users, program):
    assert refusal(lambda: propose(program, users, {"order_ratio": "0.4"}, reason="  ")).code == "reason_required"


def test_a_second_open_change_of_the_programme_is_refused_until_the_first_is_decided(users, program):
    first = propose(program, users, {"order_ratio": "0.4"})

    error = refusal(lambda: propose(program, users, {"margin_ratio": "0.06"}, by="approver"))
    assert error.code == "program_change_open"
    assert error.status == 409
    assert error.extra["change"] == first.pk

    program_change_reject(change=first, actor=users["manager"])
    assert propose(program, users, {"margin_ratio": "0.06"}, by="approver").status == "proposed"


def test_neither_an_anchor_operator_nor_a_branch_manager_proposes(users, program):
    operator = make_anchor_operator("clerk", program.anchor)
    users = {**users, "clerk": operator}
    for who in ("clerk", "leader"):
        error = refusal(lambda who=who: propose(program, users, {"order_ratio": "0.4"}, by=who))
        assert error.code == "permission_denied"
        assert error.status == 403


def test_the_total_cap_is_never_lowered_below_the_limits_granted(users):
    program, _farmer, _limit = make_lending_world(users, on=TODAY, amount="1000000.00")

    error = refusal(lambda: propose(program, users, {"total_cap": "999999.99", "per_farmer_cap": "500000.00"}))
    assert error.code == "invalid_parameter"
    assert error.extra["field"] == "total_cap"
    # Down to exactly what is granted, and a per-farmer cap below a limit granted: the limits stand as granted.
    change = propose(program, users, {"total_cap": "1000000.00", "per_farmer_cap": "500000.00"})
    assert change.status == "proposed"


# --- deciding ---------------------------------------------------------------------------------------------


def test_the_proposer_never_approves_his_own_change(users, program):
    change = propose(program, users, {"order_ratio": "0.4"}, by="approver")

    error = refusal(lambda: program_change_approve(change=change, actor=users["approver"]))
    assert error.code == "maker_checker"
    assert error.status == 403


def test_only_a_risk_approver_approves(users, program):
    change = propose(program, users, {"order_ratio": "0.4"}, by="approver")
    error = refusal(lambda: program_change_approve(change=change, actor=users["manager"]))
    assert error.code == "permission_denied"


def test_a_change_of_today_is_in_force_as_soon_as_it_is_approved(users, program):
    change = propose(program, users, {"order_ratio": "0.40", "min_score": "70"})

    change = program_change_approve(change=change, actor=users["approver"], note="同意")

    assert change.status == ProgramChange.Status.APPLIED
    assert (change.decided_by, change.decided_on, change.applied_on) == (users["approver"], TODAY, TODAY)
    program.refresh_from_db()
    assert (program.order_ratio, program.min_score) == (Decimal("0.40"), Decimal("70"))
    assert AuditEvent.objects.filter(action="program_change_approve").count() == 1


def test_a_later_change_waits_for_its_date_and_the_close_puts_it_in_force(users, program):
    change = propose(program, users, {"annual_rate": "0.05"}, on=TOMORROW)
    change = program_change_approve(change=change, actor=users["approver"])
    assert change.status == ProgramChange.Status.APPROVED
    assert program_changes_apply(TODAY) == 0
    program.refresh_from_db()
    assert program.annual_rate == Decimal("0.0435")

    # the close of TODAY puts in force what applies from the next business date
    assert program_changes_apply(TOMORROW) == 1
    assert program_changes_apply(TOMORROW) == 0  # a second run changes nothing

    program.refresh_from_db()
    change.refresh_from_db()
    assert program.annual_rate == Decimal("0.05")
    assert (change.status, change.applied_on) == (ProgramChange.Status.APPLIED, TOMORROW)


@pytest.mark.django_db(transaction=True)
def test_the_close_of_the_day_before_puts_an_approved_change_in_force_for_the_next_business_date(users, program):
    from postloan.cob import close_business_days

    change = program_change_approve(
        change=propose(program, users, {"min_score": "75.5"}, on=TOMORROW), actor=users["approver"]
    )

    close_business_days()

    program.refresh_from_db()
    change.refresh_from_db()
    assert program.min_score == Decimal("75.5")
    assert (change.status, change.applied_on) == (ProgramChange.Status.APPLIED, TOMORROW)


def test_the_approval_checks_the_book_again(users):
    program, _farmer, limit = make_lending_world(users, on=TODAY, amount="1000000.00")
    change = propose(program, users, {"total_cap": "1500000.00", "per_farmer_cap": "1000000.00"})
    limit.amount = Decimal("1600000.00")
    limit.save()

    error = refusal(lambda: program_change_approve(change=change, actor=users["approver"]))
    assert error.code == "invalid_parameter"
    change.refresh_from_db()
    assert change.status == "proposed"


def test_a_rejection_needs_a_note_and_a_withdrawal_is_the_proposers(users, program):
    change = propose(program, users, {"order_ratio": "0.4"})
    assert refusal(lambda: program_change_reject(change=change, actor=users["approver"])).code == "reason_required"
    assert refusal(lambda: program_change_reject(change=change, actor=users["manager_b"])).code == "permission_denied"

    rejected = program_change_reject(change=change, actor=users["approver"], note="订单数据不足以支持")
    assert (rejected.status, rejected.decision_note) == (ProgramChange.Status.REJECTED, "订单数据不足以支持")
    assert refusal(lambda: program_change_approve(change=change, actor=users["approver"])).code == "invalid_status"

    again = propose(program, users, {"order_ratio": "0.4"})
    withdrawn = program_change_reject(change=again, actor=users["manager"])
    assert withdrawn.status == ProgramChange.Status.WITHDRAWN
    assert AuditEvent.objects.filter(action="program_change_reject").count() == 2


def test_an_approved_change_waiting_for_its_date_can_still_be_stopped(users, program):
    change = propose(program, users, {"order_ratio": "0.4"}, on=TOMORROW)
    program_change_approve(change=change, actor=users["approver"])
    program_change_reject(change=change, actor=users["approver2"], note="市场变化，暂缓调整")

    assert program_changes_apply(TOMORROW) == 0
    program.refresh_from_db()
    assert program.order_ratio == Decimal("0.30")


def test_a_new_rate_reaches_new_drawdowns_only(users):
    program, _farmer, limit = make_lending_world(users, on=TODAY, amount="100000.00")
    before = loan_disburse(credit_limit=limit, amount=Decimal("10000.00"), term_months=6, actor=users["manager"])
    change = propose(program, users, {"annual_rate": "0.06", "penalty_markup": "0.40"})
    program_change_approve(change=change, actor=users["approver"])

    after = loan_disburse(credit_limit=limit, amount=Decimal("10000.00"), term_months=6, actor=users["manager"])

    before.refresh_from_db()
    assert (before.annual_rate, before.penalty_markup) == (Decimal("0.0435"), Decimal("0.50"))
    assert (after.annual_rate, after.penalty_markup) == (Decimal("0.06"), Decimal("0.40"))


def test_the_history_shows_each_version_with_who_and_what_changed(users, program):
    change = propose(program, users, {"order_ratio": "0.40"})
    program_change_approve(change=change, actor=users["approver"])

    versions = parameter_versions(Program.objects.get(pk=program.pk), users["manager"])

    assert [version.number for version in versions] == [2, 1]
    newest = versions[0]
    assert newest.change == change
    assert newest.user == users["approver"]
    assert newest.moved == [("order ratio", "30.00%", "40.00%")] or newest.moved[0][1:] == ("30.00%", "40.00%")
    assert versions[1].created


def test_the_admin_cannot_edit_the_parameters(users, program):
    program_admin = site._registry[Program]
    assert set(PROGRAM_PARAMETERS) <= set(program_admin.readonly_fields)
    client = Client()
    client.force_login(users["admin"])
    page = client.get(f"/admin/partners/program/{program.pk}/change/")
    assert page.status_code == 200
    assert 'name="total_cap"' not in page.content.decode()
    assert client.get("/admin/partners/program/add/").status_code == 403


# --- the API ------------------------------------------------------------------------------------------------


def test_the_api_proposes_lists_and_approves_a_change(users, program):
    body = {"values": {"total_cap": "450000000.00", "min_score": "75.5"}, "effective_from": "2027-06-15"}
    proposed = api_as(users["manager"]).post(
        f"/api/v1/programs/{program.pk}/changes/", {**body, "reason": "订单增长"}, format="json"
    )
    assert proposed.status_code == 201, proposed.json()
    change = proposed.json()
    assert change["status"] == "proposed"
    assert change["values"] == {"total_cap": "450000000.00", "min_score": "75.5"}
    assert change["previous"] == {"total_cap": "400000000.00", "min_score": "60"}

    listed = api_as(users["approver"]).get(f"/api/v1/programs/{program.pk}/changes/").json()
    assert listed["count"] == 1
    assert listed["results"][0]["id"] == change["id"]

    approved = api_as(users["approver"]).post(f"/api/v1/program-changes/{change['id']}/approve/", {}, format="json")
    assert approved.status_code == 200, approved.json()
    assert approved.json()["status"] == "applied"
    body = api_as(users["manager"]).get(f"/api/v1/programs/{program.pk}/").json()
    assert (body["total_cap"], body["min_score"]) == ("450000000.00", "75.5")


def test_the_api_refuses_with_the_codes(users, program):
    client = api_as(users["manager"])
    url = f"/api/v1/programs/{program.pk}/changes/"
    body = {"effective_from": "2027-06-15", "reason": "调整"}
    assert client.post(url, {**body, "values": {"per_farmer_cap": "500000000.00"}}, format="json").json()["code"] == (
        "invalid_parameter"
    )
    assert client.post(url, {**body, "values": {"order_ratio": "0.30"}}, format="json").json()["code"] == "no_change"
    past = client.post(url, {**body, "values": {"order_ratio": "0.4"}, "effective_from": "2027-06-14"}, format="json")
    assert past.json()["code"] == "effective_date_past"
    assert client.post(url, {**body, "values": ["order_ratio"]}, format="json").status_code == 400
    change = client.post(url, {**body, "values": {"order_ratio": "0.4"}}, format="json").json()
    second = client.post(url, {**body, "values": {"order_ratio": "0.5"}}, format="json")
    assert (second.status_code, second.json()["code"]) == (409, "program_change_open")

    own = api_as(users["manager"]).post(f"/api/v1/program-changes/{change['id']}/approve/", {}, format="json")
    assert (own.status_code, own.json()["code"]) == (403, "permission_denied")
    reject = api_as(users["approver"]).post(
        f"/api/v1/program-changes/{change['id']}/reject/", {"note": "依据不足"}, format="json"
    )
    assert reject.json()["status"] == "rejected"


def test_the_proposer_approving_through_the_api_meets_maker_checker(users, program):
    change = propose(program, users, {"order_ratio": "0.4"}, by="approver")
    answer = api_as(users["approver"]).post(f"/api/v1/program-changes/{change.pk}/approve/", {}, format="json")
    assert (answer.status_code, answer.json()["code"]) == (403, "maker_checker")


def test_an_anchor_operator_reads_changes_without_the_tolerance_and_may_not_act(users, program):
    operator = make_anchor_operator("clerk", program.anchor)
    tolerance_only = propose(program, users, {"mismatch_tolerance": "0.05"})
    program_change_approve(change=tolerance_only, actor=users["approver"])
    both = propose(program, users, {"mismatch_tolerance": "0.08", "order_ratio": "0.35"})
    client = api_as(operator)

    listed = client.get(f"/api/v1/programs/{program.pk}/changes/").json()
    assert [item["id"] for item in listed["results"]] == [both.pk]
    assert listed["results"][0]["values"] == {"order_ratio": "0.35"}
    assert "mismatch_tolerance" not in str(listed)
    assert client.get(f"/api/v1/program-changes/{tolerance_only.pk}/").status_code == 404

    proposed = client.post(
        f"/api/v1/programs/{program.pk}/changes/",
        {"values": {"order_ratio": "0.4"}, "effective_from": "2027-06-20", "reason": "x"},
        format="json",
    )
    assert (proposed.status_code, proposed.json()["code"]) == (403, "permission_denied")
    assert client.post(f"/api/v1/program-changes/{both.pk}/approve/", {}, format="json").status_code == 403

    other = make_program(make_anchor(users["manager"], approver=users["approver"], name="温氏"), users["approver"])
    assert client.get(f"/api/v1/programs/{other.pk}/changes/").json()["code"] == "not_found"


# --- the pages ----------------------------------------------------------------------------------------------


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_a_change_is_proposed_and_approved_on_the_pages(users, program):
    manager = _client(users["manager"])
    page = manager.get(f"/programs/{program.pk}/")
    assert f"/programs/{program.pk}/changes/new/" in page.content.decode()

    form = manager.get(f"/programs/{program.pk}/changes/new/")
    assert form.status_code == 200
    html = form.content.decode()
    assert 'value="400000000.00"' in html and 'value="0.30"' in html and 'value="2027-06-15"' in html
    posted = {name: form.context["form"].initial[name] for name in PROGRAM_PARAMETERS}
    posted.update(order_ratio="0.45", effective_from="2027-06-15", reason="订单增长，提高订单比例")
    answer = manager.post(f"/programs/{program.pk}/changes/new/", posted)
    assert answer.status_code == 302, answer.context["form"].errors if answer.context else answer
    change = ProgramChange.objects.get()
    assert change.values == {"order_ratio": "0.45"}

    approver = _client(users["approver"])
    page = approver.get(f"/programs/{program.pk}/").content.decode()
    assert 'data-testid="open-change"' in page and 'data-testid="approve-change"' in page
    assert 'data-testid="approve-change"' not in manager.get(f"/programs/{program.pk}/").content.decode()
    assert approver.post(f"/program-changes/{change.pk}/approve/", {"note": ""}).status_code == 302

    program.refresh_from_db()
    assert program.order_ratio == Decimal("0.45")
    page = approver.get(f"/programs/{program.pk}/").content.decode()
    assert 'data-version="2"' in page and 'data-change-status="applied"' in page


def test_a_refused_proposal_stays_on_its_form_with_the_reason(users, program):
    manager = _client(users["manager"])
    form = manager.get(f"/programs/{program.pk}/changes/new/")
    posted = {name: form.context["form"].initial[name] for name in PROGRAM_PARAMETERS}
    posted.update(per_farmer_cap="500000000.00", effective_from="2027-06-15", reason="调整")
    answer = manager.post(f"/programs/{program.pk}/changes/new/", posted)
    assert answer.status_code == 200
    assert answer.context["form"].errors
    assert not ProgramChange.objects.exists()


def test_the_proposal_page_is_refused_to_an_anchor_operator(users, program):
    operator = make_anchor_operator("clerk", program.anchor)
    client = _client(operator)
    assert client.get(f"/programs/{program.pk}/changes/new/").status_code == 403
    assert f"/programs/{program.pk}/changes/new/" not in client.get(f"/programs/{program.pk}/").content.decode()
