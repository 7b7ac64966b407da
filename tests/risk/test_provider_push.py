"""The provider pushes trade records and events over the API, authenticated by an HMAC signature."""

import datetime as dt
import json
import time
from decimal import Decimal

import pytest
from django.db import IntegrityError
from django.test import Client
from rest_framework.test import APIClient

from core.business_date import business_date_set
from core.errors import DomainError
from core.masking import pii_hash
from risk.models import DataProvider, MonitoringEvent, ProviderDelivery, ProviderRequestNonce, TradeRecord
from risk.services.deliveries import trade_records_import
from risk.services.providers import (
    provider_create,
    provider_secret_rotate,
    provider_signature,
    provider_verify_request,
)
from tests.conftest import api_as
from tests.factories import make_anchor, resident_id_with_check, uscc_with_check

ID_A = resident_id_with_check("51152119700819196")
ID_B = resident_id_with_check("51018119680413303")
TRADES = "/api/v1/provider/trade-records/"
EVENTS = "/api/v1/provider/monitoring-events/"


@pytest.fixture
def provider(users):
    business_date_set(new_date=dt.date(2027, 3, 1), backwards_allowed=True)
    return provider_create(name="三方数据服务商", code="shujubao", actor=users["admin"])


@pytest.fixture
def anchor(users, org):
    return make_anchor(users["manager"], org.outlet_a, approver=users["approver"])


def push(path, provider, body: bytes, *, timestamp=None, secret=None, code=None, signature=None):
    timestamp = str(int(time.time())) if timestamp is None else timestamp
    if signature is None:
        signature = provider_signature(secret=secret or provider.secret, timestamp=timestamp, body=body)
    return APIClient().post(
        path,
        data=body,
        content_type="application/json",
        HTTP_X_PROVIDER=code or provider.code,
        HTTP_X_TIMESTAMP=timestamp,
        HTTP_X_SIGNATURE=signature,
    )


def trade_body(anchor, records) -> bytes:
    return json.dumps({"anchor_uscc": anchor.uscc, "records": records}, ensure_ascii=False).encode()


RECORDS = [
    {"id_number": ID_A, "order_no": "TQ1", "order_date": "2027-02-13", "amount": "394537.02"},
    {"id_number": ID_B, "order_no": "TQ2", "order_date": "2027-01-18", "amount": 1200},
]


def test_a_signed_push_is_accepted_and_its_records_land_exactly_like_file_records(users, provider, anchor, org):
    # given the same orders, pushed for one anchor and uploaded as a file for another
    twin = make_anchor(users["manager"], org.outlet_a, approver=users["approver"], name="新希望")
    csv = f"身份证号,订单号,订单日期,订单金额\n{ID_A},TQ1,2027-02-13,394537.02\n{ID_B},TQ2,2027-01-18,1200\n"
    trade_records_import(anchor=twin, content=csv.encode(), filename="t.csv")

    # when
    response = push(TRADES, provider, trade_body(anchor, RECORDS))

    # then
    assert response.status_code == 200, response.json()
    assert (response.json()["created"], response.json()["duplicates"], response.json()["errors"]) == (
        2,
        0,
        [],
    )
    fields = ("id_hash", "order_no", "order_date", "amount")
    assert set(TradeRecord.objects.filter(anchor=anchor).values_list(*fields)) == set(
        TradeRecord.objects.filter(anchor=twin).values_list(*fields)
    )
    delivery = ProviderDelivery.objects.get(pk=response.json()["delivery"])
    assert (delivery.channel, delivery.provider, delivery.received_by) == ("api", provider, None)
    with delivery.file.content.open("rb") as kept:
        assert kept.read() == trade_body(anchor, RECORDS)


def test_json_numbers_are_read_from_their_digits_never_through_a_float(provider, anchor):
    big = "9007199254740993.07"  # 2**53 + 1 has no float
    numbers = {"A": big, "B": "0.1", "C": "1e3"}
    records = [
        {"id_number": ID_A, "order_no": order_no, "order_date": "2027-02-13", "amount": f"<{order_no}>"}
        for order_no in numbers
    ]
    body = json.dumps({"anchor_uscc": anchor.uscc, "records": records})
    for order_no, number in numbers.items():  # bare JSON numbers, as a provider's system writes them
        body = body.replace(f'"<{order_no}>"', number)

    response = push(TRADES, provider, body.encode())

    assert response.json()["created"] == 3, response.json()
    assert dict(TradeRecord.objects.values_list("order_no", "amount")) == {
        "A": Decimal(big),
        "B": Decimal("0.10"),
        "C": Decimal("1000.00"),
    }


def test_bad_records_of_a_push_are_reported_by_position(provider, anchor):
    records = [
        RECORDS[0],
        {"id_number": ID_A, "order_no": "TQ3", "order_date": "2027-02-31", "amount": "1"},
        {"id_number": ID_A, "order_no": ["TQ4"], "order_date": "2027-02-13", "amount": True},
        "not an object",
    ]

    response = push(TRADES, provider, trade_body(anchor, records))

    assert response.json()["created"] == 1
    assert [(e["row"], e["column"], e["code"]) for e in response.json()["errors"]] == [
        (2, "order_date", "invalid_date"),
        (3, "order_no", "required"),
        (3, "amount", "required"),
        (4, "id_number", "required"),
        (4, "order_no", "required"),
        (4, "order_date", "required"),
        (4, "amount", "required"),
    ]


def test_a_push_delivered_twice_with_a_new_signature_creates_nothing_new(provider, anchor):
    body = trade_body(anchor, RECORDS)
    push(TRADES, provider, body, timestamp=str(int(time.time()) - 1))

    response = push(TRADES, provider, body)

    assert (response.json()["created"], response.json()["duplicates"]) == (0, 2)
    assert TradeRecord.objects.count() == 2


def test_a_wrong_signature_is_refused_with_401(provider, anchor):
    body = trade_body(anchor, RECORDS)

    response = push(TRADES, provider, body, secret="0" * 64)

    assert response.status_code == 401
    assert response.json()["code"] == "bad_signature"
    assert not TradeRecord.objects.exists()
    assert not ProviderRequestNonce.objects.exists()


def test_a_body_changed_after_signing_is_refused(provider, anchor):
    timestamp = str(int(time.time()))
    signature = provider_signature(secret=provider.secret, timestamp=timestamp, body=trade_body(anchor, RECORDS))

    response = push(TRADES, provider, trade_body(anchor, RECORDS[:1]), timestamp=timestamp, signature=signature)

    assert response.status_code == 401
    assert response.json()["code"] == "bad_signature"


@pytest.mark.parametrize("shift", [-600, 600])
def test_a_timestamp_far_from_the_servers_clock_is_refused_with_401(provider, anchor, shift):
    response = push(TRADES, provider, trade_body(anchor, RECORDS), timestamp=str(int(time.time()) + shift))

    assert response.status_code == 401
    assert response.json()["code"] == "stale_request"
    assert not TradeRecord.objects.exists()


@pytest.mark.parametrize(("age", "accepted"), [(0, True), (300, True), (-300, True), (301, False), (-301, False)])
def test_a_request_is_fresh_for_five_minutes_either_way(provider, age, accepted):
    now = 1_800_000_000.0
    timestamp = str(int(now - age))
    signature = provider_signature(secret=provider.secret, timestamp=timestamp, body=b"{}")

    def verify():
        return provider_verify_request(
            provider_code=provider.code, timestamp=timestamp, signature=signature, body=b"{}", now=now
        )

    if accepted:
        assert verify() == provider
    else:
        with pytest.raises(DomainError) as refused:
            verify()
        assert (refused.value.code, refused.value.status) == ("stale_request", 401)


def test_a_timestamp_that_is_not_a_number_is_stale(provider, anchor):
    response = push(TRADES, provider, trade_body(anchor, RECORDS), timestamp="yesterday")

    assert (response.status_code, response.json()["code"]) == (401, "stale_request")


def test_a_replayed_request_is_refused_with_409(provider, anchor):
    body = trade_body(anchor, RECORDS)
    timestamp = str(int(time.time()))
    first = push(TRADES, provider, body, timestamp=timestamp)

    again = push(TRADES, provider, body, timestamp=timestamp)
    upper = push(
        TRADES,
        provider,
        body,
        timestamp=timestamp,
        signature=provider_signature(secret=provider.secret, timestamp=timestamp, body=body).upper(),
    )

    assert first.status_code == 200
    assert (again.status_code, again.json()["code"]) == (409, "replayed_request")
    assert (upper.status_code, upper.json()["code"]) == (409, "replayed_request")
    assert ProviderDelivery.objects.count() == 1


def test_an_unknown_or_inactive_provider_is_refused_with_401(provider, anchor):
    body = trade_body(anchor, RECORDS)
    unknown = push(TRADES, provider, body, code="nobody")
    DataProvider.objects.filter(pk=provider.pk).update(is_active=False)

    inactive = push(TRADES, provider, body)

    assert (unknown.status_code, unknown.json()["code"]) == (401, "unknown_provider")
    assert (inactive.status_code, inactive.json()["code"]) == (401, "unknown_provider")


def test_a_rotated_secret_refuses_the_old_one(users, provider, anchor):
    old_secret = provider.secret
    provider_secret_rotate(provider=provider, actor=users["admin"])

    response = push(TRADES, provider, trade_body(anchor, RECORDS), secret=old_secret)

    assert response.json()["code"] == "bad_signature"


def test_a_push_for_an_unknown_anchor_is_refused_and_may_be_sent_again(provider, anchor):
    body = json.dumps({"anchor_uscc": uscc_with_check("91510100MA6CX0009"), "records": RECORDS}).encode()
    timestamp = str(int(time.time()))

    first = push(TRADES, provider, body, timestamp=timestamp)
    second = push(TRADES, provider, body, timestamp=timestamp)

    assert (first.status_code, first.json()["code"]) == (404, "unknown_anchor")
    assert (second.status_code, second.json()["code"]) == (404, "unknown_anchor")
    assert not ProviderRequestNonce.objects.exists()


@pytest.mark.parametrize("body", [b"[]", b"{not json", b'{"anchor_uscc": "x"}', b"{}"])
def test_a_body_that_is_not_the_agreed_json_is_refused(provider, body):
    response = push(TRADES, provider, body)

    assert response.status_code == 400
    assert response.json()["code"] in {"invalid_payload", "invalid_uscc"}


def test_a_push_with_no_valid_record_is_400_and_leaves_nothing(provider, anchor):
    response = push(TRADES, provider, trade_body(anchor, [{"order_no": "X"}]))

    assert (response.status_code, response.json()["code"]) == (400, "no_valid_rows")
    assert not ProviderDelivery.objects.exists()


def test_a_signed_event_push_is_accepted(provider):
    events = [
        {
            "subject_id": ID_A,
            "event_type": "multi_lender",
            "event_date": "2027-02-01",
            "value": 4,
            "event_id": "E1",
        },
        {
            "subject_id": ID_B,
            "event_type": "litigation",
            "event_date": "2027-02-02",
            "detail": "案号",
            "event_id": "E2",
        },
        {"subject_id": ID_B, "event_type": "bankruptcy", "event_date": "2027-02-02", "event_id": "E3"},
    ]

    response = push(EVENTS, provider, json.dumps({"events": events}).encode())

    assert response.status_code == 200, response.json()
    assert response.json()["created"] == 2
    assert [(e["row"], e["code"]) for e in response.json()["errors"]] == [(3, "unknown_event_type")]
    event = MonitoringEvent.objects.get(event_id="E1")
    assert (event.provider, event.subject_hash, event.value) == (provider, pii_hash(ID_A), Decimal("4.00"))


def test_the_push_endpoints_ignore_a_session_or_token(users, provider, anchor):
    response = api_as(users["admin"]).post(TRADES, trade_body(anchor, RECORDS), content_type="application/json")

    assert (response.status_code, response.json()["code"]) == (401, "unknown_provider")


def test_only_an_administrator_registers_a_provider_with_a_fresh_secret(users):
    first = provider_create(name="甲", code="Jia", actor=users["admin"])
    second = provider_create(name="乙", code="yi", actor=users["admin"])

    assert first.code == "jia"
    assert len(first.secret) == 64 and first.secret != second.secret
    with pytest.raises(DomainError) as refused:
        provider_create(name="丙", code="bing", actor=users["approver"])
    assert refused.value.code == "permission_denied"


def test_there_is_at_most_one_default_provider(users):
    provider_create(name="甲", code="jia", actor=users["admin"])
    DataProvider.objects.filter(code="jia").update(is_default=True)

    with pytest.raises(IntegrityError):
        DataProvider.objects.create(code="yi", name="乙", secret="s" * 64, is_default=True)


@pytest.mark.parametrize(
    "page",
    [
        "dataprovider",
        "dataprovider/add",
        "providerdelivery",
        "traderecord",
        "monitoringevent",
        "outbreak",
        "providerrequestnonce",
    ],
)
def test_the_admin_shows_the_provider_tables(users, provider, anchor, page):
    push(TRADES, provider, trade_body(anchor, RECORDS))
    client = Client()
    client.force_login(users["admin"])

    response = client.get(f"/admin/risk/{page}/")

    assert response.status_code == 200


def test_a_provider_added_in_the_admin_gets_its_secret_from_the_service(users):
    client = Client()
    client.force_login(users["admin"])

    response = client.post("/admin/risk/dataprovider/add/", {"code": "tianyan", "name": "天眼数据"})

    assert response.status_code == 302
    provider = DataProvider.objects.get(code="tianyan")
    assert len(provider.secret) == 64
    assert client.get(f"/admin/risk/dataprovider/{provider.pk}/change/").status_code == 200
