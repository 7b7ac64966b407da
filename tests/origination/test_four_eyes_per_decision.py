"""Four eyes on every decision of a batch: whoever submitted it or decided one of its rows does not approve it."""

from decimal import Decimal

from django.test import Client

from origination.models import Batch, BatchRow, CreditLimit
from tests.conftest import api_as
from tests.origination.test_batch_processing import batch  # noqa: F401 - the fixture


def processed_and_decided(users, batch, decider):  # noqa: F811
    """Processed by the manager, row 3 (the mismatch) decided by ``decider``, submitted by the manager."""
    api_as(users["manager"]).post(f"/api/v1/batches/{batch.pk}/process/")
    client = Client()
    client.force_login(decider)
    client.post(f"/batches/{batch.pk}/rows/3/decide/", {"approve": "1", "amount": "25000"})
    assert BatchRow.objects.get(batch=batch, row=3).decided_by == decider
    assert api_as(users["manager"]).post(f"/api/v1/batches/{batch.pk}/submit/").status_code == 200


def test_an_approver_who_decided_a_row_cannot_approve_the_batch_another_submitted(users, batch):  # noqa: F811
    processed_and_decided(users, batch, users["approver"])
    response = api_as(users["approver"]).post(f"/api/v1/batches/{batch.pk}/approve/", {}, format="json")
    assert response.status_code == 403
    assert response.json()["code"] == "maker_checker"
    assert not CreditLimit.objects.exists()
    assert Batch.objects.get(pk=batch.pk).status == "submitted"


def test_an_approver_who_decided_a_row_cannot_reject_the_batch_either(users, batch):  # noqa: F811
    processed_and_decided(users, batch, users["approver"])
    response = api_as(users["approver"]).post(
        f"/api/v1/batches/{batch.pk}/reject/", {"reason": "名单需补充材料"}, format="json"
    )
    assert response.status_code == 403
    assert response.json()["code"] == "maker_checker"
    assert Batch.objects.get(pk=batch.pk).status == "submitted"


def test_an_approver_who_took_no_part_approves_the_rows_another_decided(users, batch):  # noqa: F811
    processed_and_decided(users, batch, users["approver"])
    response = api_as(users["approver2"]).post(f"/api/v1/batches/{batch.pk}/approve/", {}, format="json")
    assert response.status_code == 200, response.json()
    limits = {limit.farmer.name: limit.amount for limit in CreditLimit.objects.select_related("farmer")}
    assert limits == {"甲": Decimal("300000.00"), "乙": Decimal("25000.00")}


def test_the_review_page_offers_approval_only_to_someone_who_took_no_part(users, batch):  # noqa: F811
    processed_and_decided(users, batch, users["approver"])
    decider, other = Client(), Client()
    decider.force_login(users["approver"])
    other.force_login(users["approver2"])
    approve_url = f"/batches/{batch.pk}/approve/"
    assert approve_url not in decider.get(f"/batches/{batch.pk}/review/").content.decode()
    assert approve_url in other.get(f"/batches/{batch.pk}/review/").content.decode()
    decider.post(approve_url)
    assert not CreditLimit.objects.exists()
