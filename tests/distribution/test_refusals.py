"""Odd input on the pages and the API of the lists: a clear refusal or an empty answer, never a server error."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from tests.conftest import api_as

pytestmark = pytest.mark.django_db
ODD = ("99999999999999999999999", "²", "-1", "1e5", "Infinity", "NaN", "١٢", "")


def test_odd_filters_and_ids_never_make_a_server_error(lending):
    admin = lending["users"]["admin"]
    client = Client()
    client.force_login(admin)
    api = api_as(admin)
    list_url = reverse("distribution-list", args=[lending["list"].pk])
    for odd in ODD:
        query = dict.fromkeys(("list", "node", "assignee", "stage", "anchor", "amount_min", "amount_max"), odd)
        assert client.get(list_url, query).status_code == 200
        assert client.get(reverse("distribution-my-list"), {"stage": odd}).status_code == 200
        assert api.get("/api/v1/list-entries/", query).status_code == 200
        assert api.get("/api/v1/lists/funnel/", {"list": odd, "by": "node"}).status_code == 200
        posted = client.post(list_url, {"scope": "selected", "entry": odd, "target": f"node:{odd}"})
        assert posted.status_code == 302
        refused = client.post(reverse("distribution-lists"), {"action": "match", "source_list": odd})
        assert refused.status_code == 200
    for body in ({"entries": [2**70], "to_node": 1}, {"entries": [1], "to_user": 2**70}, {"entries": "x"}):
        assert api.post("/api/v1/list-entries/assign/", body, format="json").status_code == 400
    assert api.get("/api/v1/list-entries/99999999999999999999/").status_code == 404
    assert client.get("/lists/99999999999999999999/").status_code == 404
    assert client.post(reverse("distribution-lists"), {"action": "nonsense"}).status_code == 200
    assert client.post(reverse("distribution-lists"), {"action": "import", "kind": "x"}).status_code == 200
