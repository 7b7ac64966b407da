"""Flow steps 4–7: cross-validation over the exact window, limits, review, approval, whitelist."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from core.business_date import business_date_set
from origination.models import Batch, BatchRow, CreditLimit, Notification, WhitelistEntry
from origination.outbox import notifications_send_pending
from tests.conftest import api_as
from tests.factories import make_anchor, make_program, make_trades, resident_id_with_check

HEADER = "姓名,身份证号,手机号,推荐金额,近12个月订单金额,打分卡得分\n"
ID_MATCH = resident_id_with_check("51152119700819196")
ID_MISMATCH = resident_id_with_check("51018119680413303")
ID_NONE = resident_id_with_check("51012419690919365")
SUBMITTED_ON = dt.date(2027, 3, 1)


@pytest.fixture
def batch(users):
    business_date_set(new_date=SUBMITTED_ON, backwards_allowed=True)
    anchor = make_anchor(users["manager"], approver=users["approver"])
    program = make_program(anchor, users["approver"])
    # Window: 2026-03-01 … 2027-02-28 inclusive. Orders on each edge count; those just outside do not.
    make_trades(
        anchor,
        ID_MATCH,
        [
            (dt.date(2026, 2, 28), "999999.00"),  # the day before the window
            (dt.date(2026, 3, 1), "400000.00"),  # first day of the window
            (dt.date(2027, 2, 28), "600000.00"),  # last day of the window
            (dt.date(2027, 3, 1), "888888.00"),  # the submission day itself is outside
        ],
    )
    make_trades(anchor, ID_MISMATCH, [(dt.date(2026, 9, 1), "100000.00")], prefix="M")
    content = (
        HEADER
        + f"甲,{ID_MATCH},13812345678,500000,1050000,80\n"  # within 10 % of 1,000,000
        + f"乙,{ID_MISMATCH},13812345679,500000,300000,80\n"  # declared 3× verified
        + f"丙,{ID_NONE},13812345670,500000,300000,80\n"  # provider has nothing
    ).encode()
    response = api_as(users["manager"]).post(
        f"/api/v1/programs/{program.pk}/batches/",
        {"farmer_list": SimpleUploadedFile("l.csv", content)},
        format="multipart",
    )
    assert response.status_code == 201, response.json()
    return Batch.objects.get(pk=response.json()["id"])


def results(user, batch):
    body = api_as(user).get(f"/api/v1/batches/{batch.pk}/results/").json()
    return {row["name"]: row for row in body["results"]}


def test_processing_validates_over_the_exact_window_and_computes_limits(users, batch):
    response = api_as(users["manager"]).post(f"/api/v1/batches/{batch.pk}/process/")
    assert response.status_code == 200
    assert response.json()["status"] == "processed"
    rows = results(users["manager"], batch)
    assert rows["甲"]["verified_orders_12m"] == "1000000.00"
    assert rows["甲"]["validation"] == "matched"
    # min(500,000 recommended, 30 % × 1,000,000 = 300,000, 2,000,000 cap) → 300,000, bound by orders
    assert rows["甲"]["limit"] == "300000.00" and rows["甲"]["bound_by"] == "orders"
    assert rows["甲"]["window_start"] == "2026-03-01" and rows["甲"]["window_end"] == "2027-02-28"
    assert rows["乙"]["validation"] == "mismatch"
    assert rows["乙"]["limit"] == "30000.00"
    assert rows["丙"]["validation"] == "no_trade_data"
    assert rows["丙"]["limit"] == "0.00" and rows["丙"]["bound_by"] == "none"
    assert rows["甲"]["id_number"].count("*") == 10


def test_processing_again_gives_the_same_figures(users, batch):
    client = api_as(users["manager"])
    client.post(f"/api/v1/batches/{batch.pk}/process/")
    first = results(users["manager"], batch)
    client.post(f"/api/v1/batches/{batch.pk}/process/")
    assert results(users["manager"], batch) == first


def test_the_submitter_cannot_approve(users, batch):
    client = api_as(users["approver"])
    client.post(f"/api/v1/batches/{batch.pk}/process/")
    client.post(f"/api/v1/batches/{batch.pk}/submit/")
    response = client.post(f"/api/v1/batches/{batch.pk}/approve/", {}, format="json")
    assert response.status_code == 403
    assert response.json()["code"] == "maker_checker"
    assert not CreditLimit.objects.exists()


def test_approval_grants_matched_and_decided_rows_whitelists_and_notifies_once(users, batch):
    api_as(users["manager"]).post(f"/api/v1/batches/{batch.pk}/process/")
    assert api_as(users["manager"]).post(f"/api/v1/batches/{batch.pk}/submit/").status_code == 200
    response = api_as(users["approver"]).post(
        f"/api/v1/batches/{batch.pk}/approve/",
        {"decisions": [{"row": 3, "approve": True, "amount": "20000.00"}]},
        format="json",
    )
    assert response.status_code == 200, response.json()
    limits = {limit.farmer.name: limit for limit in CreditLimit.objects.select_related("farmer")}
    assert set(limits) == {"甲", "乙"}
    assert limits["甲"].amount == Decimal("300000.00")
    assert limits["乙"].amount == Decimal("20000.00")
    assert limits["甲"].expires_on == dt.date(2028, 3, 1)
    # each limit keeps its farmer's node, on which the close sums the limits in force
    assert all(limit.org_node_id == limit.farmer.org_node_id for limit in limits.values())
    assert WhitelistEntry.objects.count() == 2
    assert BatchRow.objects.get(name="丙").decision == "refused"
    assert Notification.objects.count() == 2
    # the outbox sends each message once, however often it runs
    notifications_send_pending()
    notifications_send_pending()
    assert Notification.objects.filter(status="sent", attempts=1).count() == 2
    listing = api_as(users["manager"]).get(f"/api/v1/credit-limits/?program={batch.program_id}").json()
    assert listing["count"] == 2
    assert {row["available"] for row in listing["results"]} == {"300000.00", "20000.00"}


def test_a_decided_amount_above_the_computed_limit_is_refused(users, batch):
    api_as(users["manager"]).post(f"/api/v1/batches/{batch.pk}/process/")
    api_as(users["manager"]).post(f"/api/v1/batches/{batch.pk}/submit/")
    response = api_as(users["approver"]).post(
        f"/api/v1/batches/{batch.pk}/approve/",
        {"decisions": [{"row": 3, "approve": True, "amount": "30001.00"}]},
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["code"] == "amount_above_limit"
    assert not CreditLimit.objects.exists()


def test_an_approval_crossing_the_programme_cap_is_refused_with_the_room_left(users, batch):
    from partners.models import Program

    Program.objects.filter(pk=batch.program_id).update(
        total_cap=Decimal("250000.00"), per_farmer_cap=Decimal("250000.00")
    )
    api_as(users["manager"]).post(f"/api/v1/batches/{batch.pk}/process/")
    api_as(users["manager"]).post(f"/api/v1/batches/{batch.pk}/submit/")
    response = api_as(users["approver"]).post(
        f"/api/v1/batches/{batch.pk}/approve/",
        {"decisions": [{"row": 3, "approve": True, "amount": "20000.00"}]},
        format="json",
    )
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "program_cap_exceeded"
    assert "250,000.00" in body["detail"]
    assert not CreditLimit.objects.exists()
    assert Batch.objects.get(pk=batch.pk).status == "submitted"


def test_a_failing_gateway_keeps_the_message_for_a_retry(users, batch, settings):
    api_as(users["manager"]).post(f"/api/v1/batches/{batch.pk}/process/")
    api_as(users["manager"]).post(f"/api/v1/batches/{batch.pk}/submit/")
    settings.SMS_BACKEND = "tests.origination.test_batch_processing.BrokenGateway"
    api_as(users["approver"]).post(f"/api/v1/batches/{batch.pk}/approve/", {}, format="json")
    notifications_send_pending()
    message = Notification.objects.get()
    assert message.status == "pending" and message.attempts == 1 and "down" in message.last_error
    settings.SMS_BACKEND = "origination.sms.LogSmsBackend"
    notifications_send_pending()
    message.refresh_from_db()
    assert message.status == "sent" and message.attempts == 2


class BrokenGateway:
    def send(self, *, recipient, text, idempotency_key):
        raise ConnectionError("gateway down")
