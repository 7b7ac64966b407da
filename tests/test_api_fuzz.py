"""Schemathesis over the API's own OpenAPI schema: no generated request gets a server error.

Each operation of the schema is called with bounded generated examples (valid and invalid input, ids that
exist and ids that do not), by a superuser in a small lending world, through the real WSGI application.
A 5xx answer fails; every refusal must be a 4xx with ``{"code", "detail"}``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, settings
from rest_framework.authtoken.models import Token

EXAMPLES_PER_OPERATION = 12


@pytest.fixture
def connection_kept_between_requests() -> Iterator[None]:
    """The WSGI handler closes the database connection after each request, as in production; inside a
    test's transaction it must stay open (Django's own test client does the same)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


# The schema as /api/schema/ serves it, generated in process once at collection.
schema = schemathesis.openapi.from_dict(SchemaGenerator().get_schema(request=None, public=True))
schema.app = WSGIHandler()


@schema.parametrize()
@settings(
    max_examples=EXAMPLES_PER_OPERATION,
    deadline=None,
    derandomize=True,  # the same cases on every run, so that a failure is reproducible
    suppress_health_check=list(HealthCheck),
)
@pytest.mark.django_db
def test_no_generated_request_gets_a_server_error(
    case: Any, world: dict[str, Any], connection_kept_between_requests: None
) -> None:
    admin = world["users"]["admin"]
    token, _ = Token.objects.get_or_create(user=admin)
    response = case.call(headers={"Authorization": f"Token {token.key}"})
    assert response.status_code < 500, (case.method, case.formatted_path, response.text[:500])
    if response.status_code >= 400 and response.headers.get("Content-Type", "").startswith("application/json"):
        body = response.json()
        assert {"code", "detail"} <= set(body), (case.method, case.formatted_path, body)
