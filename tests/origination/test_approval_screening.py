"""Approval honours screening: a refused row is never granted nor decided, a review row only by a decision.

The rows' screening is set directly after processing, so that these tests hold approval's rules whatever
processing writes; the last test goes through processing itself, with a monitoring event.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.test import Client

from core.masking import pii_hash
from origination.models import Batch, BatchRow, CreditLimit
from origination.services.approval import batch_approval_preview
from tests.conftest import api_as
from tests.origination.test_batch_processing import (
    ID_MATCH,
    SUBMITTED_ON,
    batch,  # noqa: F401 - the fixture
)

pytestmark = pytest.mark.django_db

# The fixture's rows: 甲 (row 2) matched, limit 300,000; 乙 (row 3) a mismatch, 30,000; 丙 (row 4) no trade data.
MATCHED, MISMATCH = 2, 3


def processed(users, batch, screening: dict[int, str] | None = None):  # noqa: F811
    assert api_as(users["manager"]).post(f"/api/v1/batches/{batch.pk}/process/").status_code == 200
    for row, outcome in (screening or {}).items():
        BatchRow.objects.filter(batch=batch, row=row).update(screening=outcome)
    return batch


def submitted(users, batch, screening: dict[int, str] | None = None):  # noqa: F811
    processed(users, batch, screening)
    assert api_as(users["manager"]).post(f"/api/v1/batches/{batch.pk}/submit/").status_code == 200
    return batch


def approve(users, batch, decisions=None):  # noqa: F811
    body = {"decisions": decisions} if decisions is not None else {}
    return api_as(users["approver"]).post(f"/api/v1/batches/{batch.pk}/approve/", body, format="json")


def granted(batch) -> dict[str, Decimal]:  # noqa: F811
    limits = CreditLimit.objects.filter(batch_row__batch=batch).select_related("farmer")
    return {limit.farmer.name: limit.amount for limit in limits}


def test_a_matched_row_that_screening_refused_is_not_granted(users, batch):  # noqa: F811
    submitted(users, batch, {MATCHED: "refused"})
    response = approve(users, batch)
    assert response.status_code == 200, response.json()
    assert granted(batch) == {}
    assert BatchRow.objects.get(batch=batch, row=MATCHED).decision == "refused"


@pytest.mark.parametrize("approve_it", [True, False])
def test_any_decision_on_a_refused_row_is_row_refused_and_changes_nothing(users, batch, approve_it):  # noqa: F811
    submitted(users, batch, {MATCHED: "refused"})
    response = approve(users, batch, [{"row": MATCHED, "approve": approve_it, "reason": "人工核实"}])
    assert response.status_code == 400
    assert response.json()["code"] == "row_refused"
    assert Batch.objects.get(pk=batch.pk).status == "submitted"
    assert not CreditLimit.objects.exists()
    assert BatchRow.objects.get(batch=batch, row=MATCHED).decision == "pending"


def test_the_pages_decision_on_a_refused_row_is_refused(users, batch):  # noqa: F811
    processed(users, batch, {MISMATCH: "refused"})
    client = Client()
    client.force_login(users["manager"])
    response = client.post(
        f"/batches/{batch.pk}/rows/{MISMATCH}/decide/", {"approve": "1", "amount": "20000"}, follow=True
    )
    assert response.status_code == 200
    row = BatchRow.objects.get(batch=batch, row=MISMATCH)
    assert row.decision == "pending" and row.decided_by is None
    assert row.decided_amount is None


def test_a_review_row_is_not_granted_without_a_decision(users, batch):  # noqa: F811
    submitted(users, batch, {MATCHED: "review"})
    assert approve(users, batch).status_code == 200
    assert granted(batch) == {}


def test_the_api_grants_a_review_row_by_a_decision_and_keeps_the_reason_when_sent(users, batch):  # noqa: F811
    submitted(users, batch, {MATCHED: "review"})
    response = approve(users, batch, [{"row": MATCHED, "approve": True, "reason": "多头借贷已结清, 核实无误"}])
    assert response.status_code == 200, response.json()
    assert granted(batch) == {"甲": Decimal("300000.00")}
    row = BatchRow.objects.get(batch=batch, row=MATCHED)
    assert row.decision == "approved" and row.decision_reason == "多头借贷已结清, 核实无误"


def test_the_api_grants_a_review_row_without_a_reason_too(users, batch):  # noqa: F811
    submitted(users, batch, {MATCHED: "review"})
    assert approve(users, batch, [{"row": MATCHED, "approve": True}]).status_code == 200
    assert granted(batch) == {"甲": Decimal("300000.00")}


def test_a_reason_longer_than_the_row_holds_is_refused_not_a_500(users, batch):  # noqa: F811
    submitted(users, batch, {MATCHED: "review"})
    response = approve(users, batch, [{"row": MATCHED, "approve": True, "reason": "长" * 201}])
    assert response.status_code == 400
    assert response.json()["code"] == "too_long"
    assert not CreditLimit.objects.exists()


def test_the_page_needs_a_written_reason_to_grant_a_review_row(users, batch):  # noqa: F811
    processed(users, batch, {MATCHED: "review"})
    client = Client()
    client.force_login(users["manager"])
    url = f"/batches/{batch.pk}/rows/{MATCHED}/decide/"
    client.post(url, {"approve": "1", "amount": "", "reason": "  "})
    assert BatchRow.objects.get(batch=batch, row=MATCHED).decision == "pending"
    client.post(url, {"approve": "1", "amount": "", "reason": "多头查询为同一笔贷款"})
    row = BatchRow.objects.get(batch=batch, row=MATCHED)
    assert row.decision == "approved" and row.decision_reason == "多头查询为同一笔贷款"
    assert api_as(users["manager"]).post(f"/api/v1/batches/{batch.pk}/submit/").status_code == 200
    assert approve(users, batch).status_code == 200
    assert granted(batch) == {"甲": Decimal("300000.00")}


def test_the_review_decision_without_a_reason_answers_reason_required(users, batch):  # noqa: F811
    from core.errors import DomainError
    from origination.services.approval import Decision, batch_row_decide

    processed(users, batch, {MATCHED: "review"})
    with pytest.raises(DomainError) as refused:
        batch_row_decide(batch=batch, actor=users["manager"], decision=Decision(row=MATCHED, approve=True))
    assert refused.value.code == "reason_required"


def test_a_row_processed_before_screening_existed_counts_as_passed(users, batch):  # noqa: F811
    submitted(users, batch, {MATCHED: ""})
    assert approve(users, batch).status_code == 200
    assert granted(batch) == {"甲": Decimal("300000.00")}


def test_the_preview_counts_only_what_will_be_granted(users, batch):  # noqa: F811
    submitted(users, batch, {MATCHED: "review"})
    preview = batch_approval_preview(Batch.objects.get(pk=batch.pk))
    assert preview.rows_granted == 0 and preview.total_granted == 0
    assert preview.headroom_after == preview.headroom_before


def test_the_cap_check_counts_only_what_will_be_granted(users, batch):  # noqa: F811
    processed(users, batch, {MATCHED: "refused"})
    caps = {"total_cap": Decimal("60000.00"), "per_farmer_cap": Decimal("50000.00")}
    batch.program.__class__.objects.filter(pk=batch.program_id).update(**caps)
    assert api_as(users["manager"]).post(f"/api/v1/batches/{batch.pk}/submit/").status_code == 200
    # 甲 (50,000 within the per-farmer cap) and 乙 would cross the cap of 60,000; 甲 refused, he is not counted.
    response = approve(users, batch, [{"row": MISMATCH, "approve": True, "amount": "30000"}])
    assert response.status_code == 200, response.json()
    assert granted(batch) == {"乙": Decimal("30000.00")}


def test_processing_screens_and_approval_honours_it_end_to_end(users, batch):  # noqa: F811
    """A dishonest-debtor event on 甲 before processing: processing refuses him, approval grants him nothing."""
    pytest.importorskip("origination.screening")
    from risk.models import DataProvider, MonitoringEvent, ProviderDelivery

    provider, _ = DataProvider.objects.get_or_create(code="test", defaults={"name": "测试数据商", "secret": "s" * 64})
    delivery = ProviderDelivery.objects.create(
        provider=provider, kind="events", channel="file", sha256="1" * 64, business_date=SUBMITTED_ON
    )
    MonitoringEvent.objects.create(
        provider=provider,
        event_id="E-DISHONEST-1",
        subject_hash=pii_hash(ID_MATCH),
        subject_kind="person",
        event_type="dishonest",
        event_date=SUBMITTED_ON - dt.timedelta(days=30),
        delivery=delivery,
    )
    submitted(users, batch)
    row = BatchRow.objects.get(batch=batch, row=MATCHED)
    assert row.screening == "refused" and "dishonest" in row.screening_reasons
    response = approve(users, batch, [{"row": MATCHED, "approve": True, "reason": "申请复议"}])
    assert response.json()["code"] == "row_refused"
    assert approve(users, batch).status_code == 200
    assert "甲" not in granted(batch)
