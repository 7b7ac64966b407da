"""Raise once while the condition holds, resolve when it clears, change nothing on a re-run; handling."""

import datetime as dt
import threading
import time
from decimal import Decimal

import pytest
from django.db import connection, connections, transaction

from core.business_date import business_date_set
from origination.models import Loan
from postloan.models import RiskWarning, WarningRule
from postloan.warning_run import RunSummary, _rules_evaluate, rules_ensure, warnings_run
from tests.concurrency import run_concurrently
from tests.conftest import api_as
from tests.factories import SOUND_BOOK_DAY as TODAY
from tests.postloan.test_warning_rules import update_loan

pytestmark = pytest.mark.usefixtures("world")


def _snapshot():
    return sorted(RiskWarning.objects.values_list("id", "rule__code", "subject_id", "active", "status", "raised_on"))


def test_a_rerun_of_the_same_day_changes_nothing(world):
    update_loan(world["loan"], interest_overdue=Decimal("10.00"), oldest_due_date=TODAY)
    warnings_run(TODAY)
    first = _snapshot()
    summary = warnings_run(TODAY)
    assert _snapshot() == first
    assert sum(summary.raised.values()) == 0 and sum(summary.cleared.values()) == 0


def test_raised_once_while_it_holds_and_resolved_when_it_clears(world):
    update_loan(world["loan"], interest_overdue=Decimal("10.00"), oldest_due_date=TODAY)
    warnings_run(TODAY)
    warnings_run(TODAY + dt.timedelta(days=1))
    assert RiskWarning.objects.filter(rule__code="INTEREST_OVERDUE").count() == 1
    update_loan(world["loan"], interest_overdue=0, oldest_due_date=None)
    warnings_run(TODAY + dt.timedelta(days=2))
    warning = RiskWarning.objects.get(rule__code="INTEREST_OVERDUE")
    assert (warning.active, warning.status, warning.resolution) == (False, "closed", "cleared")
    # when it comes back, it is a new warning
    update_loan(world["loan"], interest_overdue=Decimal("5.00"), oldest_due_date=TODAY)
    warnings_run(TODAY + dt.timedelta(days=3))
    assert RiskWarning.objects.filter(rule__code="INTEREST_OVERDUE").count() == 2


def test_a_warning_goes_to_the_farmers_account_manager_and_escalates_after_its_deadline(world, users):
    update_loan(world["loan"], principal_overdue=Decimal("100.00"), oldest_due_date=TODAY)
    warnings_run(TODAY)
    warning = RiskWarning.objects.get(rule__code="PRINCIPAL_OVERDUE")
    assert warning.assignee == Loan.objects.get(pk=world["loan"].pk).account_manager
    assert warning.deadline == TODAY + dt.timedelta(days=3)
    warnings_run(TODAY + dt.timedelta(days=4))
    warning.refresh_from_db()
    assert warning.escalated and warning.escalated_to == users["leader"]


def test_handling_needs_an_action_before_closing(world, users):
    update_loan(world["loan"], interest_overdue=Decimal("10.00"), oldest_due_date=TODAY)
    warnings_run(TODAY)
    warning = RiskWarning.objects.get()
    client = api_as(users["manager"])
    refused = client.post(f"/api/v1/warnings/{warning.pk}/close/", {"resolution": "false_alarm", "reason": "已还"})
    assert refused.status_code == 400 and refused.json()["code"] == "action_required"
    assert (
        client.post(
            f"/api/v1/warnings/{warning.pk}/actions/", {"kind": "callback", "note": "电话回访，借款人称明日还息"}
        ).status_code
        == 201
    )
    closed = client.post(f"/api/v1/warnings/{warning.pk}/close/", {"resolution": "false_alarm", "reason": "已还息"})
    assert closed.status_code == 200
    assert closed.json()["status"] == "closed" and closed.json()["resolution"] == "false_alarm"
    # closing by hand does not make the rule raise it again while the condition holds
    warnings_run(TODAY + dt.timedelta(days=1))
    assert RiskWarning.objects.count() == 1


def test_the_list_filters_by_rule_and_status_with_the_contract_fields(world, users):
    update_loan(
        world["loan"],
        interest_overdue=Decimal("10.00"),
        maturity_on=TODAY + dt.timedelta(days=10),
        oldest_due_date=TODAY,
    )
    warnings_run(TODAY)
    body = api_as(users["leader"]).get("/api/v1/warnings/?rule=INTEREST_OVERDUE&status=open").json()
    assert body["count"] == 1
    row = body["results"][0]
    assert {"id", "rule", "subject_type", "subject_id", "severity", "status", "raised_on"} <= set(row)
    assert (row["rule"], row["subject_type"], row["status"], row["raised_on"]) == (
        "INTEREST_OVERDUE",
        "loan",
        "open",
        TODAY.isoformat(),
    )
    assert api_as(users["leader"]).get("/api/v1/warnings/?status=closed").json()["count"] == 0
    # the other sub-branch sees none of them
    assert api_as(users["manager_b"]).get("/api/v1/warnings/").json()["count"] == 0


@pytest.mark.django_db(transaction=True)
def test_two_runs_at_once_raise_no_duplicate(world):
    update_loan(world["loan"], interest_overdue=Decimal("10.00"), oldest_due_date=TODAY)
    business_date_set(new_date=TODAY, backwards_allowed=True)
    results = run_concurrently(lambda: warnings_run(TODAY), lambda: warnings_run(TODAY))
    assert RiskWarning.objects.filter(rule__code="INTEREST_OVERDUE", active=True).count() == 1, results
    # Neither run failed: the second waited for the first's rule and then found its warning raised.
    assert not [result for result in results if isinstance(result, Exception)], results
    assert sorted(result.raised["INTEREST_OVERDUE"] for result in results) == [0, 1]


@pytest.mark.django_db(transaction=True)
def test_a_run_that_meets_another_mid_rule_waits_for_it_and_raises_nothing_twice(world):
    """The first run holds its transaction open after raising; the second, started then, waits for the rule
    and, once the first commits, finds the warning raised (without the rule's lock its insert would hit the
    unique index and fail)."""
    update_loan(world["loan"], interest_overdue=Decimal("10.00"), oldest_due_date=TODAY)
    business_date_set(new_date=TODAY, backwards_allowed=True)
    rules_ensure()
    raised, release = threading.Event(), threading.Event()
    results: dict[str, object] = {}

    def first() -> None:
        try:
            with transaction.atomic():
                summary = RunSummary()
                rules = list(WarningRule.objects.filter(code="INTEREST_OVERDUE"))
                _rules_evaluate(rules, TODAY, summary, full=True)
                raised.set()
                release.wait(timeout=20)
            results["first"] = summary
        finally:
            raised.set()
            connections.close_all()

    def second() -> None:
        try:
            raised.wait(timeout=20)
            results["second"] = warnings_run(TODAY)
        except Exception as exc:  # inspected below
            results["second"] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    raised.wait(timeout=20)
    time.sleep(1.0)  # the second run is now blocked behind the first's open transaction
    release.set()
    for thread in threads:
        thread.join(timeout=60)
    assert isinstance(results["second"], RunSummary), results
    assert results["first"].raised["INTEREST_OVERDUE"] == 1
    assert results["second"].raised["INTEREST_OVERDUE"] == 0
    assert RiskWarning.objects.filter(rule__code="INTEREST_OVERDUE", active=True).count() == 1


def test_the_clearing_leaves_the_planner_settings_as_it_found_them(world):
    # The clearing turns nested loops off for its statement only (postloan.warning_run._hash_joins).
    update_loan(world["loan"], interest_overdue=Decimal("10.00"), oldest_due_date=TODAY)
    warnings_run(TODAY)
    update_loan(world["loan"], interest_overdue=0, oldest_due_date=None)
    with transaction.atomic(), connection.cursor() as cursor:
        for offset, setting in ((1, "on"), (2, "off")):
            cursor.execute("SELECT set_config('enable_nestloop', %s, true)", [setting])
            summary = warnings_run(TODAY + dt.timedelta(days=offset))
            cursor.execute("SHOW enable_nestloop")
            assert cursor.fetchone()[0] == setting
            assert summary.cleared["INTEREST_OVERDUE"] == (1 if offset == 1 else 0)
