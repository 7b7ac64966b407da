"""The OpenAPI schema documents each operation's refusals, and a body that is not an object is refused."""

from __future__ import annotations

import pytest
from drf_spectacular.generators import SchemaGenerator

from tests.conftest import api_as

ERROR_REF = "#/components/schemas/Error"


def _operations() -> list[tuple[str, str, dict[str, object]]]:
    schema = SchemaGenerator().get_schema(request=None, public=True)
    return [
        (path, method.upper(), operation)
        for path, item in schema["paths"].items()
        for method, operation in item.items()
        if method in {"get", "post", "put", "patch", "delete"}
    ]


def test_every_operation_documents_its_4xx_answers_in_the_one_error_shape():
    operations = _operations()
    assert len(operations) > 30
    for path, method, operation in operations:
        responses = operation["responses"]
        refusals = {code: body for code, body in responses.items() if code.startswith("4")}
        assert refusals, (method, path)
        if "{" in path:
            assert "404" in refusals, (method, path)
        if method in {"POST", "PUT", "PATCH"}:
            assert "400" in refusals, (method, path)
        for code, body in refusals.items():
            schema = body.get("content", {}).get("application/json", {}).get("schema", {})
            assert schema.get("$ref") == ERROR_REF, (method, path, code)


@pytest.mark.parametrize("body", ["[1, 2]", '"text"', "42", "null"])
def test_a_json_body_that_is_not_an_object_is_refused_with_a_code(users, body):
    response = api_as(users["approver"]).post("/api/v1/batches/1/reject/", body, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_json"
