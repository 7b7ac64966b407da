"""The review page: both figures, the monthly chart data, decisions, submission and approval."""

import pytest
from django.test import Client

from origination.models import BatchRow, CreditLimit
from tests.origination.test_batch_processing import batch  # noqa: F401 - the fixture


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def processed(users, batch):  # noqa: F811
    client_for(users["manager"]).post(f"/batches/{batch.pk}/process/")
    return batch


def test_the_review_lists_each_farmer_with_both_figures(users, processed):
    page = client_for(users["manager"]).get(f"/batches/{processed.pk}/review/").content.decode()
    assert "1,050,000.00" in page and "1,000,000.00" in page
    assert "一致" in page and "不一致" in page and "无交易数据" in page
    assert "提交审批" in page


def test_the_row_panel_gives_the_monthly_orders_and_the_records_used(users, processed):
    panel = client_for(users["manager"]).get(f"/batches/{processed.pk}/rows/2/").content.decode()
    assert 'id="row-chart-data"' in panel
    assert '"2026-03"' in panel and '"2027-02"' in panel
    assert "2 " in panel  # two provider records inside the window


def test_a_mismatch_is_decided_by_the_account_manager(users, processed):
    client_for(users["manager"]).post(f"/batches/{processed.pk}/rows/3/decide/", {"approve": "1", "amount": "25000"})
    row = BatchRow.objects.get(batch=processed, row=3)
    assert row.decision == "approved" and str(row.decided_amount) == "25000.00"


def test_refusing_needs_a_reason(users, processed):
    response = client_for(users["manager"]).post(
        f"/batches/{processed.pk}/rows/3/decide/", {"approve": "0", "reason": ""}, follow=True
    )
    assert "第 3 行：请填写拒绝原因。" in response.content.decode()
    assert BatchRow.objects.get(batch=processed, row=3).decision == "pending"


def test_submission_then_approval_by_another_person_from_the_page(users, processed):
    client_for(users["manager"]).post(f"/batches/{processed.pk}/submit/")
    own = client_for(users["manager"]).get(f"/batches/{processed.pk}/review/").content.decode()
    assert "批准额度" not in own
    client_for(users["approver"]).post(f"/batches/{processed.pk}/approve/")
    assert CreditLimit.objects.count() == 1
