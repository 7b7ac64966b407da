"""Refusals are 4xx answers that say why: a form with nothing to carry the error, a body nested too deeply,
and the raw database errors of concurrent writes (409 conflict or busy) in the API and on pages."""

import threading

import psycopg2
import pytest
from django.db import connection, transaction
from django.test import Client

from core.errors import DomainError
from core.views import call_service
from partners.forms import StatusReasonForm
from partners.models import Anchor
from partners.services.anchors import anchor_create
from tests.concurrency import run_concurrently
from tests.conftest import api_as
from tests.factories import make_anchor, make_program, uscc_with_check


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


# --- a refusal with no form to carry it --------------------------------------------------------------------------


def test_a_refused_anchor_approval_is_a_403_page_that_says_why(users):
    # the approver registered the anchor himself: he may not approve it too
    anchor = make_anchor(users["approver"])

    response = client_for(users["approver"]).post(f"/anchors/{anchor.pk}/approve/")

    assert response.status_code == 403
    page = response.content.decode()
    assert 'data-testid="refused"' in page and "maker_checker" in page
    assert Anchor.objects.get(pk=anchor.pk).status == "pending"


def refuse():
    raise DomainError("maker_checker", "须由另一人复核。", status=403)


def test_a_service_refusal_for_a_form_never_validated_goes_on_to_the_refusal_page():
    with pytest.raises(DomainError):
        call_service(StatusReasonForm(), refuse)


def test_a_service_refusal_for_a_validated_form_becomes_its_error():
    form = StatusReasonForm({"reason": "复核"})
    assert form.is_valid()

    assert call_service(form, refuse) is None
    assert form.errors["__all__"] == ["须由另一人复核。"]


# --- JSON nested too deeply through any API endpoint ---------------------------------------------------------------


def test_an_api_body_nested_deeper_than_the_stack_is_400_invalid_json(users):
    body = "[" * 100_000 + "]" * 100_000

    response = api_as(users["manager"]).post("/api/v1/anchors/", data=body, content_type="application/json")

    assert response.status_code == 400
    assert response.json()["code"] == "invalid_json"


def test_an_api_body_nested_deeper_than_the_limit_is_400_invalid_json(users):
    body = '{"name": ' + "[" * 40 + "]" * 40 + "}"

    response = api_as(users["manager"]).post("/api/v1/anchors/", data=body, content_type="application/json")

    assert response.status_code == 400
    assert response.json()["code"] == "invalid_json"


# --- raw database errors of concurrent writes ------------------------------------------------------------------------


def raising(sqlstate: str):
    """A service that meets a real PostgreSQL error with this SQLSTATE inside its transaction."""

    def service(**_kwargs):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f"DO $$ BEGIN RAISE EXCEPTION 'simulated' USING ERRCODE = '{sqlstate}'; END $$")

    return service


@pytest.mark.parametrize(
    ("sqlstate", "status", "code"),
    [
        ("40001", 409, "conflict"),  # serialization_failure
        ("40P01", 409, "conflict"),  # deadlock_detected
        ("23505", 409, "conflict"),  # unique_violation: IntegrityError
        ("55P03", 409, "busy"),  # lock_not_available
        ("57014", 409, "busy"),  # query_canceled (statement_timeout)
    ],
)
def test_a_database_conflict_in_a_service_is_a_retryable_json_refusal(users, monkeypatch, sqlstate, status, code):
    program = make_program(make_anchor(users["manager"], approver=users["approver"]), users["approver"])
    monkeypatch.setattr("origination.api.programs.margin_deposit", raising(sqlstate))

    response = api_as(users["manager"]).post(
        f"/api/v1/programs/{program.pk}/margin/", {"kind": "deposit", "amount": "10.00"}, format="json"
    )

    assert response.status_code == status
    body = response.json()
    assert body["code"] == code
    assert body["detail"]
    assert ("Retry-After" in response) == (code == "busy")


def test_a_database_conflict_on_a_page_is_the_refusal_page_with_409(users, monkeypatch):
    program = make_program(make_anchor(users["manager"], approver=users["approver"]), users["approver"])
    monkeypatch.setattr("origination.views.programs.margin_deposit", raising("40001"))

    response = client_for(users["manager"]).post(f"/programs/{program.pk}/margin/", {"kind": "deposit", "amount": "1"})

    assert response.status_code == 409
    assert 'data-testid="refused"' in response.content.decode()
    assert "conflict" in response.content.decode()


def test_any_other_database_error_is_still_a_server_error(users, monkeypatch):
    program = make_program(make_anchor(users["manager"], approver=users["approver"]), users["approver"])
    monkeypatch.setattr("origination.api.programs.margin_deposit", raising("XX000"))  # internal_error

    with pytest.raises(Exception) as raised:
        api_as(users["manager"]).post(
            f"/api/v1/programs/{program.pk}/margin/", {"kind": "deposit", "amount": "10.00"}, format="json"
        )
    assert isinstance(raised.value.__cause__, psycopg2.Error)


# --- a service that knows what the violation means says so ---------------------------------------------------------


def backend_waits_for_a_lock() -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT EXISTS (SELECT 1 FROM pg_locks WHERE NOT granted)")
        return bool(cursor.fetchone()[0])


@pytest.mark.django_db(transaction=True)
def test_the_same_anchor_registered_twice_at_the_same_moment_is_duplicate_uscc_not_a_database_error(users):
    code = uscc_with_check("91510100MA6CX0001")
    first_inserted = threading.Event()

    def register():
        return anchor_create(actor=users["manager"], name="特驱集团", uscc=code, guarantee_capacity=1000)

    def first():
        # Inserts and holds its transaction open until the second has passed the check and waits on the index.
        with transaction.atomic():
            anchor = register()
            first_inserted.set()
            for _ in range(100_000):
                if backend_waits_for_a_lock():
                    break
        return anchor

    def second():
        assert first_inserted.wait(timeout=10)
        return register()

    results = run_concurrently(first, second)

    assert isinstance(results[0], Anchor), results
    assert isinstance(results[1], DomainError), results
    assert (results[1].code, results[1].status) == ("duplicate_uscc", 409)
    assert Anchor.objects.filter(uscc=code).count() == 1
