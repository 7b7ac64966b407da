import pytest
from rest_framework.test import APIClient

from tests.factories import PASSWORD


@pytest.mark.parametrize("path", ["/api/v1/business-date/", "/api/schema/"])
def test_unauthenticated_calls_are_refused_with_a_code(db, path):
    response = APIClient().get(path, HTTP_ACCEPT="application/json")
    assert response.status_code in (401, 403)
    assert response.json()["code"] == "not_authenticated"


def test_a_token_opens_the_api(users):
    client = APIClient()
    token = client.post("/api/v1/auth/token/", {"username": "manager", "password": PASSWORD}, format="json")
    assert token.status_code == 200
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.json()['token']}")
    answer = client.get("/api/v1/business-date/")
    assert answer.status_code == 200
    assert len(answer.json()["date"]) == 10


def test_a_wrong_password_gets_no_token(users):
    response = APIClient().post("/api/v1/auth/token/", {"username": "manager", "password": "nope"}, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert "token" not in response.json()


def test_the_schema_and_docs_are_served_to_a_signed_in_user(users):
    client = APIClient()
    client.force_authenticate(users["manager"])
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json")
    assert schema.status_code == 200
    assert "/api/v1/business-date/" in schema.json()["paths"]
    docs = client.get("/api/docs/")
    assert docs.status_code == 200
    assert b"swagger-ui" in docs.content
