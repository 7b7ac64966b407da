"""/api/v1/lists/ and /api/v1/list-entries/: scoped to the subtree, masked, one service call per write."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from distribution.models import ContactOutcome, ListEntry
from tests.conftest import api_as
from tests.distribution.files import results_csv
from tests.factories import make_anchor_operator

pytestmark = pytest.mark.django_db


def test_lists_and_entries_are_scoped_and_masked(lending):
    admin = api_as(lending["users"]["admin"])
    lists = admin.get("/api/v1/lists/").json()
    assert [item["id"] for item in lists["results"]] == [lending["list"].pk]
    entries = admin.get("/api/v1/list-entries/", {"list": lending["list"].pk, "breed": "生猪"}).json()["results"]
    assert [entry["name"] for entry in entries] == ["张小梅"]
    phone = lending["other"].phone
    assert entries[0]["phone_masked"] == phone[:3] + "****" + phone[-4:]
    assert phone not in str(entries) and lending["other"].id_number not in str(entries)
    assert entries[0]["stage"] == "whitelisted"
    amount = admin.get("/api/v1/list-entries/", {"amount_min": "90000", "amount_max": "1e400"}).json()["results"]
    assert [entry["name"] for entry in amount] == ["胡磊涛"]
    # another sub-branch's outlet and an anchor operator see none of it
    assert api_as(lending["users"]["manager_b"]).get("/api/v1/list-entries/").json()["results"] == []
    operator = make_anchor_operator("op", lending["program"].anchor)
    assert api_as(operator).get("/api/v1/lists/").json()["results"] == []


def test_assign_record_and_reveal_through_the_api(lending):
    users = lending["users"]
    entry = ListEntry.objects.get(farmer=lending["other"], outreach_list=lending["list"])
    admin = api_as(users["admin"])
    moved = admin.post(
        "/api/v1/list-entries/assign/", {"entries": [entry.pk], "to_user": users["manager"].pk}, format="json"
    )
    assert moved.status_code == 200 and moved.json() == {"moved": 1}
    refused = api_as(users["manager_b"]).post(
        "/api/v1/list-entries/assign/", {"entries": [entry.pk], "to_user": users["manager_b"].pk}, format="json"
    )
    assert refused.status_code == 400 and refused.json()["code"] == "outside_subtree"

    manager = api_as(users["manager"])
    answer = manager.post(
        f"/api/v1/list-entries/{entry.pk}/outcomes/", {"result": "fraud", "channel": "call"}, format="json"
    )
    assert answer.status_code == 200 and answer.json()["stage"] == "reached"
    assert ContactOutcome.objects.get(entry=entry).result == "fraud"
    bad = manager.post(f"/api/v1/list-entries/{entry.pk}/outcomes/", {"result": "x", "channel": "call"}, format="json")
    assert bad.status_code == 400

    assert manager.post(f"/api/v1/list-entries/{entry.pk}/phone/").json() == {"phone": lending["other"].phone}
    assert admin.post(f"/api/v1/list-entries/{entry.pk}/phone/").status_code == 403


def test_the_funnel_and_the_call_results_through_the_api(lending):
    admin = api_as(lending["users"]["admin"])
    rows = admin.get("/api/v1/lists/funnel/", {"by": "list"}).json()
    assert rows == [
        {
            "key": lending["list"].pk,
            "label": lending["list"].name,
            "whitelisted": 2,
            "contacted": 1,
            "reached": 1,
            "drew": 1,
        }
    ]
    assert admin.get("/api/v1/lists/funnel/", {"by": "nonsense"}).status_code == 400

    entry = ListEntry.objects.get(farmer=lending["other"], outreach_list=lending["list"])
    content = results_csv([(f"E{entry.pk}", "2027-06-15 10:00", "declined", "")])
    first = admin.post(
        "/api/v1/lists/call-results/", {"file": SimpleUploadedFile("r.csv", content)}, format="multipart"
    )
    assert first.status_code == 200 and first.json()["created"] is True
    again = admin.post(
        "/api/v1/lists/call-results/", {"file": SimpleUploadedFile("r.csv", content)}, format="multipart"
    )
    assert again.json()["created"] is False
    bad = admin.post(
        "/api/v1/lists/call-results/",
        {"file": SimpleUploadedFile("b.csv", results_csv([("E1x", "2027-06-15", "declined", "")]))},
        format="multipart",
    )
    assert bad.status_code == 400 and bad.json()["code"] == "file_rejected"
    assert bad.json()["errors"][0]["row"] == 2
    manager = api_as(lending["users"]["manager"])
    assert (
        manager.post("/api/v1/lists/call-results/", {"file": SimpleUploadedFile("r.csv", content)}).status_code == 403
    )
