"""A signed push nested deeper than any record ever is refused with 400 invalid_json, never a server error."""

import pytest

from core.json_input import MAX_JSON_DEPTH
from risk.models import ProviderDelivery
from tests.risk.test_provider_push import EVENTS, TRADES, anchor, provider, push  # noqa: F401 - fixtures

STACK_BREAKING = 100_000  # far deeper than Python's decoder can recurse


def nested(depth: int) -> bytes:
    return b"[" * depth + b"]" * depth


@pytest.mark.parametrize("path", [TRADES, EVENTS])
def test_a_push_nested_deeper_than_the_stack_is_refused_with_invalid_json(provider, path):  # noqa: F811
    response = push(path, provider, b'{"anchor_uscc": "x", "records": ' + nested(STACK_BREAKING) + b"}")

    assert response.status_code == 400
    assert response.json()["code"] == "invalid_json"
    assert response.json()["detail"]
    assert not ProviderDelivery.objects.exists()


def test_a_record_nested_deeper_than_the_limit_is_refused_before_anything_walks_it(provider, anchor):  # noqa: F811
    record = b'{"id_number": ' + nested(MAX_JSON_DEPTH + 1) + b', "order_no": "TQ1"}'
    body = b'{"anchor_uscc": "' + anchor.uscc.encode() + b'", "records": [' + record + b"]}"

    response = push(TRADES, provider, body)

    assert response.status_code == 400
    assert response.json()["code"] == "invalid_json"
