"""The pages of the lists: they render in Chinese, hand entries down within the subtree, and the phone page calls."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from core.audit import AuditAction
from core.models import AuditEvent
from distribution.models import ContactOutcome, ListEntry, OutreachList
from tests.distribution.files import preapproved_csv
from tests.factories import resident_id_with_check

pytestmark = pytest.mark.django_db


def client_as(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_lists_page_shows_each_list_with_its_funnel(lending):
    response = client_as(lending["users"]["admin"]).get(reverse("distribution-lists"))
    assert response.status_code == 200
    text = response.content.decode()
    assert "名单" in text
    assert lending["list"].name in text
    assert 'data-testid="funnel-by-node"' in text


def test_a_list_is_imported_from_the_page_and_a_bad_file_shows_its_rows(lending):
    admin = client_as(lending["users"]["admin"])
    url = reverse("distribution-lists")
    good = resident_id_with_check("51152119750301123")
    wrong = good[:-1] + ("1" if good[-1] != "1" else "2")
    bad = preapproved_csv([("C1", "王建国", wrong, "13800001111", "2019-05-01", "1000", "")])
    response = admin.post(
        url,
        {
            "action": "import",
            "kind": "preapproved",
            "name": "快贷",
            "owner_node": lending["org"].sub_a.pk,
            "file": _upload("bad.csv", bad),
        },
    )
    assert response.status_code == 200
    assert 'data-error-code="invalid_id_checksum"' in response.content.decode()
    response = admin.post(
        url,
        {
            "action": "import",
            "kind": "preapproved",
            "name": "快贷",
            "owner_node": lending["org"].sub_a.pk,
            "owner_user": lending["sub_leader"].pk,
            "file": _upload("good.csv", preapproved_csv()),
        },
    )
    made = OutreachList.objects.get(name="快贷")
    assert made.owner_user_id == lending["sub_leader"].pk
    assert response.status_code == 302 and response["Location"] == reverse("distribution-list", args=[made.pk])
    assert made.entries.count() == 2


def test_entries_are_handed_down_by_filters_from_the_list_page(lending):
    org = lending["org"]
    sub_leader = client_as(lending["sub_leader"])
    list_url = reverse("distribution-list", args=[lending["list"].pk])
    # the list's entries sit at outlet A, in the sub-branch's subtree
    page = sub_leader.get(list_url + "?breed=生猪")
    assert page.status_code == 200
    assert "张小梅" in page.content.decode() and "胡磊涛" not in page.content.decode()
    # each node of the funnel leads to the list's entries at that node
    assert f'href="{list_url}?node={org.outlet_a.pk}"' in page.content.decode()
    response = sub_leader.post(
        list_url + "?breed=生猪", {"scope": "filtered", "target": f"user:{lending['users']['manager'].pk}"}
    )
    assert response.status_code == 302
    entry = ListEntry.objects.get(farmer=lending["other"], outreach_list=lending["list"])
    assert entry.assignee_id == lending["users"]["manager"].pk
    assert ListEntry.objects.get(farmer=lending["farmer"], outreach_list=lending["list"]).assignee_id is None
    # another sub-branch's outlet does not see the list at all
    assert client_as(lending["users"]["manager_b"]).get(list_url).status_code == 404


def test_my_list_on_the_phone_calls_and_records_in_a_few_taps(lending):
    manager = lending["users"]["manager"]
    entry = ListEntry.objects.get(farmer=lending["other"], outreach_list=lending["list"])
    from distribution.services import entries_assign

    entries_assign(entry_ids=[entry.pk], actor=lending["users"]["admin"], to_user=manager)
    client = client_as(manager)
    page = client.get(reverse("distribution-my-list"))
    text = page.content.decode()
    assert page.status_code == 200 and 'data-testid="entry-card"' in text
    assert lending["other"].phone not in text  # masked until asked for
    revealed = client.post(reverse("distribution-entry-phone", args=[entry.pk]), HTTP_HX_REQUEST="true")
    assert f'href="tel:{lending["other"].phone}"' in revealed.content.decode()
    assert AuditEvent.objects.filter(action=AuditAction.LIST_ENTRY_PHONE_VIEW).count() == 1
    recorded = client.post(
        reverse("distribution-entry-contact", args=[entry.pk]),
        {"result": "interested", "channel": "call", "note": "", "next": reverse("distribution-my-list")},
    )
    assert recorded.status_code == 302 and recorded["Location"] == reverse("distribution-my-list")
    assert ContactOutcome.objects.get(entry=entry).result == "interested"
    # someone else's tap on the number is refused
    other = client_as(lending["users"]["admin"]).post(reverse("distribution-entry-phone", args=[entry.pk]))
    assert other.status_code == 403


def test_the_entry_page_and_the_call_list_download(lending):
    admin = client_as(lending["users"]["admin"])
    entry = ListEntry.objects.get(farmer=lending["other"], outreach_list=lending["list"])
    page = admin.get(reverse("distribution-entry", args=[entry.pk]))
    assert page.status_code == 200 and lending["other"].phone not in page.content.decode()
    download = admin.get(reverse("distribution-call-list", args=[lending["list"].pk]) + "?format=xlsx")
    assert download.status_code == 200 and download.content[:2] == b"PK"
    refused = client_as(lending["users"]["manager"]).get(reverse("distribution-call-list", args=[lending["list"].pk]))
    assert refused.status_code == 403


def _upload(name: str, content: bytes):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, content, content_type="text/csv")


def test_every_form_of_the_phone_pages_carries_its_csrf_token(lending):
    from distribution.services import entries_assign

    manager = lending["users"]["manager"]
    entry = ListEntry.objects.get(farmer=lending["other"], outreach_list=lending["list"])
    entries_assign(entry_ids=[entry.pk], actor=lending["users"]["admin"], to_user=manager)
    client = Client(enforce_csrf_checks=True)
    client.force_login(manager)
    for url in (reverse("distribution-my-list"), reverse("distribution-entry", args=[entry.pk])):
        text = client.get(url).content.decode()
        assert text.count('method="post"') == text.count('name="csrfmiddlewaretoken"') > 0
    token = client.cookies["csrftoken"].value
    recorded = client.post(
        reverse("distribution-entry-contact", args=[entry.pk]),
        {"result": "reached", "channel": "call", "csrfmiddlewaretoken": token},
    )
    assert recorded.status_code == 302
