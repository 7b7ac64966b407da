"""日终处理: the console's pages, who may see them, the live progress block, and the resume action."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from core.business_date import business_date_get
from origination.services.drawdown import loan_disburse
from postloan import cob
from postloan.models import DayClose
from postloan.models_close import OperationsAlert
from tests.factories import make_lending_world
from tests.postloan.close_helpers import step_failing

D = dt.date


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def failed_close(users):
    _program, _farmer, limit = make_lending_world(users, on=D(2027, 3, 5))
    loan_disburse(credit_limit=limit, amount=Decimal("100000.00"), term_months=3, actor=users["manager"])
    cob.close_business_days()  # 5 March closes well
    with step_failing("warnings", RuntimeError("rule query timed out")):
        cob.close_business_days()
    return DayClose.objects.get(day=D(2027, 3, 6))


@pytest.mark.parametrize("who", ["manager", "approver"])
def test_the_console_is_for_administrators_and_branch_managers_only(users, who):
    assert _client(users[who]).get("/operations/close/").status_code == 403


def test_the_list_shows_each_close_the_alert_and_the_stopped_close_with_its_progress(users, failed_close):
    page = _client(users["leader"]).get("/operations/close/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-raw-value="close_failed"' in html  # the alert
    assert "/operations/close/2027-03-05/" in html and "/operations/close/2027-03-06/" in html
    assert 'data-raw-value="failed"' in html and 'data-raw-value="done"' in html
    assert 'role="progressbar"' in html


def test_a_failed_close_shows_its_steps_its_error_and_the_resume_button(users, failed_close):
    html = _client(users["admin"]).get("/operations/close/2027-03-06/").content.decode()
    assert "rule query timed out" in html
    assert 'data-testid="close-resume"' in html
    assert 'data-step="settlement"' in html and 'data-step="aggregates"' in html
    # settlement ran (1 chunk of 1), the warnings failed and nothing after them started
    assert 'hx-trigger="every 2s"' not in html  # not running: nothing to poll
    done = _client(users["admin"]).get("/operations/close/2027-03-05/").content.decode()
    assert 'data-testid="close-resume"' not in done and 'aria-valuenow="100"' in done


def test_the_progress_block_polls_while_the_close_runs(users, failed_close):
    # while a close runs its coordinator holds the lock: here the test's own session holds it
    DayClose.objects.filter(pk=failed_close.pk).update(status=DayClose.Status.RUNNING)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_lock(%s)", [cob_lock_key()])
    try:
        html = _client(users["leader"]).get("/operations/close/2027-03-06/progress/").content.decode()
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [cob_lock_key()])
    assert 'hx-trigger="every 2s"' in html and "/operations/close/2027-03-06/progress/" in html
    assert "<html" not in html  # the block alone


def cob_lock_key() -> int:
    from postloan.close_lock import CLOSE_LOCK_KEY

    return CLOSE_LOCK_KEY


def test_resume_from_the_console_finishes_the_close_and_clears_the_alert(
    users, failed_close, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = _client(users["leader"]).post("/operations/close/resume/")
    assert response.status_code == 302 and response["Location"] == "/operations/close/2027-03-06/"
    # without a broker the resume ran in the request, once the request's transaction committed
    failed_close.refresh_from_db()
    assert failed_close.status == DayClose.Status.DONE
    assert business_date_get() == D(2027, 3, 7)
    assert OperationsAlert.objects.get().cleared_at is not None
    # nothing left to resume: a clear refusal, not an error page of the server
    again = _client(users["leader"]).post("/operations/close/resume/")
    assert again.status_code == 400
    assert 'data-error-code="nothing_to_close"' in again.content.decode()


def test_the_home_page_of_an_administrator_shows_the_open_alert(users, failed_close):
    html = _client(users["admin"]).get("/").content.decode()
    assert 'data-testid="ops-alert"' in html and "/operations/close/" in html
    assert 'data-testid="ops-alert"' not in _client(users["manager"]).get("/").content.decode()


def test_an_unknown_or_malformed_day_is_not_found(users, failed_close):
    client = _client(users["leader"])
    assert client.get("/operations/close/2027-02-30/").status_code == 404
    assert client.get("/operations/close/2020-01-01/").status_code == 404


def test_the_pages_cost_the_same_for_two_closes_and_for_twelve(users, failed_close):
    client = _client(users["leader"])
    with CaptureQueriesContext(connection) as two:
        client.get("/operations/close/")
    for day in range(10):
        DayClose.objects.create(day=D(2027, 1, 1) + dt.timedelta(days=day), status=DayClose.Status.DONE)
    with CaptureQueriesContext(connection) as twelve:
        client.get("/operations/close/")
    assert len(twelve) == len(two)
