"""Provider records that contradict what is stored (conflicting_duplicate): counted, listed, kept apart, never stored.

A trade record's key is its order number per anchor and its content the farmer, the date and the amount; an
event's key is its event number per provider and its content the subject, the type, the date and the value.
"""

import datetime as dt
import io
import json
from decimal import Decimal

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from core.business_date import business_date_set
from core.masking import mask_id_number, pii_hash
from core.models import AuditEvent
from risk.models import MonitoringEvent, ProviderConflict, ProviderDelivery, TradeRecord
from risk.services.deliveries import monitoring_events_import, trade_records_import
from risk.services.providers import provider_create
from tests.conftest import api_as
from tests.factories import make_anchor, make_anchor_operator, make_farmer, resident_id_with_check, uscc_with_check
from tests.risk.test_provider_push import EVENTS, TRADES, push, trade_body

TRADE_HEADER = "身份证号,订单号,订单日期,订单金额\n"
EVENT_HEADER = "主体证件号,事件类型,事件日期,数值,详情,事件编号\n"
ID_A = resident_id_with_check("51152119700819196")
ID_B = resident_id_with_check("51018119680413303")
ENTERPRISE = uscc_with_check("91510100MA6CX0001")


@pytest.fixture
def anchor(users, org):
    business_date_set(new_date=dt.date(2027, 3, 1), backwards_allowed=True)
    return make_anchor(users["manager"], org.outlet_a, approver=users["approver"])


def trades(*lines: str) -> bytes:
    return (TRADE_HEADER + "".join(f"{line}\n" for line in lines)).encode()


def events(*lines: str) -> bytes:
    return (EVENT_HEADER + "".join(f"{line}\n" for line in lines)).encode()


def upload_trades(user, anchor, content: bytes):
    return api_as(user).post(
        "/api/v1/trade-records/import/",
        {"anchor": anchor.pk, "file": SimpleUploadedFile("trades.csv", content)},
        format="multipart",
    )


def upload_events(user, content: bytes):
    return api_as(user).post(
        "/api/v1/monitoring-events/import/",
        {"file": SimpleUploadedFile("events.csv", content)},
        format="multipart",
    )


def stored_trades(anchor):
    return set(TradeRecord.objects.filter(anchor=anchor).values_list("order_no", "id_hash", "order_date", "amount"))


STORED = (f"{ID_A},TQ1,2027-01-13,100.00", f"{ID_B},TQ2,2027-01-20,250.50")


# --- trade records ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "changed",
    [
        pytest.param(f"{ID_B},TQ1,2027-01-13,100.00", id="another farmer"),
        pytest.param(f"{ID_A},TQ1,2027-01-14,100.00", id="another date"),
        pytest.param(f"{ID_A},TQ1,2027-01-13,100.01", id="another amount"),
    ],
)
def test_an_order_stored_with_other_content_is_a_conflict_and_the_stored_order_stays(users, anchor, changed):
    upload_trades(users["manager"], anchor, trades(*STORED))
    before = stored_trades(anchor)

    response = upload_trades(users["manager"], anchor, trades(STORED[1], changed, f"{ID_A},TQ3,2027-02-01,70"))

    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["created"], body["duplicates"], body["conflicts"], body["errors_total"]) == (1, 1, 1, 0)
    [error] = body["errors"]
    assert (error["row"], error["column"], error["code"]) == (3, "order_no", "conflicting_duplicate")
    assert "TQ1" in error["detail"]
    assert stored_trades(anchor) - before == {("TQ3", pii_hash(ID_A), dt.date(2027, 2, 1), Decimal("70.00"))}
    delivery = ProviderDelivery.objects.get(pk=body["delivery"])
    assert (delivery.created, delivery.duplicates, delivery.conflicts, delivery.errors) == (1, 1, 1, 0)
    conflict = ProviderConflict.objects.get()
    assert (conflict.delivery, conflict.row, conflict.key) == (delivery, 3, "TQ1")
    assert conflict.stored == {"farmer": pii_hash(ID_A), "order_date": "2027-01-13", "amount": "100.00"}
    number, _order, day, amount = changed.split(",")
    assert conflict.received == {"farmer": pii_hash(number), "order_date": day, "amount": amount}


def test_the_conflict_lists_both_versions_with_the_farmer_masked_never_in_clear(users, anchor, org):
    make_farmer(org.outlet_a, body17=ID_A[:17])
    upload_trades(users["manager"], anchor, trades(*STORED))

    body = upload_trades(users["manager"], anchor, trades(f"{ID_B},TQ1,2027-01-13,100.00")).json()

    [error] = body["errors"]
    assert error["stored"] == {"farmer": mask_id_number(ID_A), "order_date": "2027-01-13", "amount": "100.00"}
    # a farmer the bank has not registered shows as a short prefix of his hash
    assert error["received"]["farmer"] == f"#{pii_hash(ID_B)[:10]}"
    assert mask_id_number(ID_A) in error["detail"] and "100.00" in error["detail"]
    text = json.dumps(body) + json.dumps(list(ProviderConflict.objects.values("stored", "received")))
    assert ID_A not in text and ID_B not in text


def test_an_identical_re_delivery_is_a_duplicate_not_a_conflict(users, anchor):
    upload_trades(users["manager"], anchor, trades(*STORED))

    # the same orders, written another way: an amount without its decimals, a date as 2027/1/13
    body = upload_trades(
        users["manager"], anchor, trades(f"{ID_A},TQ1,2027/1/13,100", f"{ID_B},TQ2,2027-01-20,250.5")
    ).json()

    assert (body["created"], body["duplicates"], body["conflicts"], body["errors"]) == (0, 2, 0, [])
    assert not ProviderConflict.objects.exists()


def test_a_file_of_conflicts_only_is_answered_with_its_counts_not_refused(users, anchor):
    upload_trades(users["manager"], anchor, trades(*STORED))
    before = stored_trades(anchor)

    response = upload_trades(
        users["manager"], anchor, trades(f"{ID_A},TQ1,2027-01-13,999", f"{ID_A},TQ2,2027-01-20,250.50")
    )

    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["created"], body["duplicates"], body["conflicts"]) == (0, 0, 2)
    assert [(e["row"], e["code"]) for e in body["errors"]] == [
        (2, "conflicting_duplicate"),
        (3, "conflicting_duplicate"),
    ]
    assert stored_trades(anchor) == before


def test_conflicts_and_refused_cells_are_listed_together_in_row_order(users, anchor):
    upload_trades(users["manager"], anchor, trades(*STORED))

    body = upload_trades(
        users["manager"],
        anchor,
        trades(
            f"{ID_A},TQ5,someday,10",
            f"{ID_B},TQ2,2027-01-21,250.50",
            f"{ID_A},TQ6,2027-01-13,-1",
            f"{ID_B},TQ1,2027-01-13,100",
        ),
    ).json()

    assert [(e["row"], e["column"], e["code"]) for e in body["errors"]] == [
        (2, "order_date", "invalid_date"),
        (3, "order_no", "conflicting_duplicate"),
        (4, "amount", "negative_amount"),
        (5, "order_no", "conflicting_duplicate"),
    ]
    assert (body["conflicts"], body["errors_total"]) == (2, 2)


def test_across_slices_conflicts_are_found_and_the_list_is_capped_in_row_order(users, anchor, monkeypatch):
    upload_trades(users["manager"], anchor, trades(*STORED))
    monkeypatch.setattr("risk.importers.CHUNK_ROWS", 2)
    monkeypatch.setattr("risk.importers.MAX_ERRORS_LISTED", 2)

    body = upload_trades(
        users["manager"],
        anchor,
        trades(
            f"{ID_A},TQ7,2027-02-01,5",
            f"{ID_A},TQ8,2027-02-01,bad",
            f"{ID_A},TQ9,2027-02-01,9",
            f"{ID_A},TQ2,2027-01-20,250.50",
            f"{ID_A},TQ1,2027-01-13,1",
        ),
    ).json()

    assert (body["created"], body["duplicates"], body["conflicts"], body["errors_total"]) == (2, 0, 2, 1)
    assert [(e["row"], e["code"]) for e in body["errors"]] == [(3, "invalid_amount"), (5, "conflicting_duplicate")]
    assert ProviderConflict.objects.count() == 2


def test_in_one_file_the_first_occurrence_of_an_order_number_is_the_record(users, anchor):
    # A key repeated in one delivery is a duplicate whatever it holds (tests/risk/test_provider_trades.py):
    # the first occurrence alone is compared with what is stored.
    upload_trades(users["manager"], anchor, trades(*STORED))

    same_first = upload_trades(
        users["manager"], anchor, trades(f"{ID_A},TQ1,2027-01-13,100", f"{ID_A},TQ1,2027-01-13,999")
    ).json()
    other_first = upload_trades(
        users["manager"], anchor, trades(f"{ID_A},TQ1,2027-01-13,999", f"{ID_A},TQ1,2027-01-13,100")
    ).json()

    assert (same_first["duplicates"], same_first["conflicts"]) == (2, 0)
    assert (other_first["duplicates"], other_first["conflicts"]) == (1, 1)
    assert [e["row"] for e in other_first["errors"]] == [2]


def test_the_same_order_number_of_another_anchor_is_no_conflict(users, anchor):
    twin = make_anchor(users["manager"], approver=users["approver"], name="新希望")
    upload_trades(users["manager"], anchor, trades(*STORED))

    body = upload_trades(users["manager"], twin, trades(f"{ID_B},TQ1,2027-02-13,5")).json()

    assert (body["created"], body["conflicts"]) == (1, 0)


def test_a_file_refused_whole_leaves_no_conflict_behind(users, anchor):
    upload_trades(users["manager"], anchor, trades(*STORED))

    no_valid = upload_trades(users["manager"], anchor, trades(f"{ID_A},TQ1,someday,5"))
    not_a_table = upload_trades(users["manager"], anchor, b"\x00\x01\x02 not a table")

    assert (no_valid.status_code, no_valid.json()["code"]) == (400, "no_valid_rows")
    assert not_a_table.status_code == 400
    assert ProviderDelivery.objects.count() == 1
    assert not ProviderConflict.objects.exists()


def test_a_failure_after_the_conflicts_were_found_keeps_none_of_them(users, anchor, monkeypatch):
    upload_trades(users["manager"], anchor, trades(*STORED))

    def broken(*args, **kwargs):
        raise RuntimeError("the audit trail is down")

    monkeypatch.setattr("risk.services.deliveries.audit_record", broken)
    with pytest.raises(RuntimeError):
        trade_records_import(
            anchor=anchor, content=trades(f"{ID_B},TQ1,2027-01-13,100", f"{ID_A},TQ4,2027-02-01,1"), filename="t.csv"
        )

    assert not ProviderConflict.objects.exists()
    assert ProviderDelivery.objects.count() == 1
    assert not TradeRecord.objects.filter(order_no="TQ4").exists()


def test_the_import_is_audited_with_its_conflicts(users, anchor):
    upload_trades(users["manager"], anchor, trades(*STORED))

    body = upload_trades(users["manager"], anchor, trades(f"{ID_B},TQ1,2027-01-13,100")).json()

    event = AuditEvent.objects.filter(action="trade_records_import").latest("id")
    assert event.object_id == str(body["delivery"])
    assert (event.data["created"], event.data["duplicates"], event.data["conflicts"]) == (0, 0, 1)


# --- monitoring events ----------------------------------------------------------------------

EVENTS_STORED = (f"{ID_A},multi_lender,2027-02-01,3,三家机构,EV1", f"{ENTERPRISE},litigation,2027-02-02,,案号,EV2")


@pytest.mark.parametrize(
    "changed",
    [
        pytest.param(f"{ID_B},multi_lender,2027-02-01,3,三家机构,EV1", id="another subject"),
        pytest.param(f"{ID_A},credit_overdue,2027-02-01,3,三家机构,EV1", id="another type"),
        pytest.param(f"{ID_A},multi_lender,2027-02-03,3,三家机构,EV1", id="another date"),
        pytest.param(f"{ID_A},multi_lender,2027-02-01,4,三家机构,EV1", id="another value"),
        pytest.param(f"{ID_A},multi_lender,2027-02-01,,三家机构,EV1", id="a value taken away"),
    ],
)
def test_an_event_stored_with_other_content_is_a_conflict(users, anchor, changed):
    upload_events(users["manager"], events(*EVENTS_STORED))
    before = set(MonitoringEvent.objects.values_list("event_id", "subject_hash", "event_type", "event_date", "value"))

    response = upload_events(users["manager"], events(changed, EVENTS_STORED[1]))

    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["created"], body["duplicates"], body["conflicts"]) == (0, 1, 1)
    [error] = body["errors"]
    assert (error["row"], error["column"], error["code"]) == (2, "event_id", "conflicting_duplicate")
    assert error["stored"]["event_type"] == "multi_lender" and error["stored"]["value"] == "3.00"
    after = set(MonitoringEvent.objects.values_list("event_id", "subject_hash", "event_type", "event_date", "value"))
    assert after == before
    assert ProviderConflict.objects.get().key == "EV1"


def test_an_event_differing_only_in_its_detail_is_a_duplicate(users, anchor):
    upload_events(users["manager"], events(*EVENTS_STORED))

    body = upload_events(
        users["manager"], events(f"{ID_A},MULTI_LENDER,2027-02-01,3.00,四家机构(更正),EV1", EVENTS_STORED[1])
    ).json()

    assert (body["created"], body["duplicates"], body["conflicts"]) == (0, 2, 0)


def test_an_enterprise_subject_of_a_conflict_shows_as_the_anchor(users, anchor):
    event_anchor = make_anchor(users["manager"], approver=users["approver"], name="成都某龙头")
    event_anchor.uscc = ENTERPRISE
    event_anchor.save(update_fields=["uscc"])
    upload_events(users["manager"], events(*EVENTS_STORED))

    body = upload_events(users["manager"], events(f"{ENTERPRISE},enforcement,2027-02-02,,,EV2")).json()

    [error] = body["errors"]
    assert error["stored"]["subject"] == "成都某龙头"
    assert (error["stored"]["event_type"], error["received"]["event_type"]) == ("litigation", "enforcement")


def test_the_same_event_number_of_another_provider_is_no_conflict(users):
    business_date_set(new_date=dt.date(2027, 3, 1), backwards_allowed=True)
    other = provider_create(name="天眼数据", code="tianyan", actor=users["admin"])
    monitoring_events_import(content=events(*EVENTS_STORED), filename="a.csv")

    result = monitoring_events_import(
        content=events(f"{ID_B},dishonest,2027-02-05,,,EV1"), filename="b.csv", provider=other
    )

    assert (result.created, result.conflicts) == (1, 0)


# --- signed pushes ----------------------------------------------------------------------------


@pytest.fixture
def provider(users):
    business_date_set(new_date=dt.date(2027, 3, 1), backwards_allowed=True)
    return provider_create(name="三方数据服务商", code="shujubao", actor=users["admin"])


def test_a_pushed_order_stored_with_other_content_is_a_conflict_by_position(provider, anchor):
    first = [{"id_number": ID_A, "order_no": "TQ1", "order_date": "2027-01-13", "amount": "100.00"}]
    push(TRADES, provider, trade_body(anchor, first))
    again = [
        {"id_number": ID_A, "order_no": "TQ1", "order_date": "2027-01-13", "amount": 100},
        {"id_number": ID_A, "order_no": "TQ2", "order_date": "2027-01-13", "amount": 5},
    ]
    changed = [
        {"id_number": ID_A, "order_no": "TQ2", "order_date": "2027-01-13", "amount": 5},
        {"id_number": ID_A, "order_no": "TQ1", "order_date": "2027-01-13", "amount": "100.10"},
    ]

    duplicate = push(TRADES, provider, trade_body(anchor, again)).json()
    conflict = push(TRADES, provider, trade_body(anchor, changed)).json()

    assert (duplicate["created"], duplicate["duplicates"], duplicate["conflicts"]) == (1, 1, 0)
    assert (conflict["created"], conflict["duplicates"], conflict["conflicts"]) == (0, 1, 1)
    [error] = conflict["errors"]
    assert (error["row"], error["column"], error["code"]) == (2, "order_no", "conflicting_duplicate")
    assert (error["stored"]["amount"], error["received"]["amount"]) == ("100.00", "100.10")
    assert TradeRecord.objects.get(anchor=anchor, order_no="TQ1").amount == Decimal("100.00")
    delivery = ProviderDelivery.objects.get(pk=conflict["delivery"])
    assert (delivery.channel, delivery.conflicts) == ("api", 1)


def test_a_pushed_event_stored_with_other_content_is_a_conflict(provider):
    event = {"subject_id": ID_A, "event_type": "litigation", "event_date": "2027-02-01", "event_id": "E1"}
    push(EVENTS, provider, json.dumps({"events": [event]}).encode())

    body = push(EVENTS, provider, json.dumps({"events": [{**event, "event_date": "2027-02-09"}]}).encode()).json()

    assert (body["created"], body["duplicates"], body["conflicts"]) == (0, 0, 1)
    assert [(e["row"], e["column"], e["code"]) for e in body["errors"]] == [(1, "event_id", "conflicting_duplicate")]
    assert MonitoringEvent.objects.get(event_id="E1").event_date == dt.date(2027, 2, 1)


# --- the delivery page ------------------------------------------------------------------------


def _page(user, url):
    client = Client()
    client.force_login(user)
    return client.get(url)


def test_the_delivery_page_shows_the_counts_and_each_conflict_stored_beside_received(users, anchor, org):
    make_farmer(org.outlet_a, body17=ID_A[:17])
    upload_trades(users["manager"], anchor, trades(*STORED))
    body = upload_trades(
        users["manager"],
        anchor,
        trades(f"{ID_A},TQ1,2027-01-13,180.00", f"{ID_A},TQ2,2027-01-20,250.50", f"{ID_A},TQ3,2027-02-01,5"),
    ).json()

    listing = _page(users["manager"], "/provider-data/").content.decode()
    page = _page(users["manager"], f"/provider-data/deliveries/{body['delivery']}/")

    assert f'href="/provider-data/deliveries/{body["delivery"]}/"' in listing
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-testid="count-created">1<' in html
    assert 'data-testid="count-conflicts">2<' in html
    assert html.count('data-error-code="conflicting_duplicate"') == 2
    # the first conflict (row 2, TQ1): the amount differs
    stored = html.split('data-testid="conflict-stored"')[1].split("</td>")[0]
    received = html.split('data-testid="conflict-received"')[1].split("</td>")[0]
    assert "100.00" in stored and "180.00" in received and "<mark" in received
    assert mask_id_number(ID_A) in stored and mask_id_number(ID_A) in received
    # the second (TQ2): stored for farmer B, who is not registered: a short prefix of his hash, never his number
    second = html.split('data-testid="conflict-stored"')[2].split("</td>")[0]
    assert f"#{pii_hash(ID_B)[:10]}" in second
    assert ID_A not in html and ID_B not in html


def test_the_conflicts_download_holds_both_versions(users, anchor):
    upload_trades(users["manager"], anchor, trades(*STORED))
    body = upload_trades(users["manager"], anchor, trades(f"{ID_B},TQ1,2027-01-14,100")).json()

    response = _page(users["approver"], f"/provider-data/deliveries/{body['delivery']}/conflicts.xlsx")

    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert len(rows) == 2
    assert rows[1][:2] == (2, "TQ1")
    assert rows[1][4:] == (dt.datetime(2027, 1, 13), dt.datetime(2027, 1, 14), 100, 100)
    assert ID_A not in str(rows) and ID_B not in str(rows)


def test_a_delivery_outside_the_users_reach_is_404_and_an_anchor_operator_sees_counts_only(users, anchor):
    upload_trades(users["manager"], anchor, trades(*STORED))
    body = upload_trades(users["manager"], anchor, trades(f"{ID_B},TQ1,2027-01-14,100")).json()
    url = f"/provider-data/deliveries/{body['delivery']}/"
    operator = make_anchor_operator("clerk", anchor)

    assert _page(users["manager_b"], url).status_code == 404
    own = _page(operator, url)
    assert own.status_code == 200
    assert 'data-testid="count-conflicts">1<' in own.content.decode()
    assert 'data-testid="conflicts"' not in own.content.decode()
    assert _page(operator, url + "conflicts.xlsx").status_code == 403
    assert _page(users["manager"], "/provider-data/deliveries/999999/").status_code == 404


def test_the_import_form_tells_of_the_conflicts(users, anchor):
    upload_trades(users["manager"], anchor, trades(*STORED))
    client = Client()
    client.force_login(users["manager"])

    page = client.post(
        "/provider-data/",
        {
            "kind": "trades",
            "anchor": anchor.pk,
            "file": SimpleUploadedFile("t.csv", trades(f"{ID_B},TQ1,2027-01-14,1")),
        },
    ).content.decode()

    assert 'data-testid="import-conflicts"' in page
    assert 'data-error-code="conflicting_duplicate"' in page


def test_the_import_leaves_the_transactions_jit_setting_as_it_found_it(users, anchor):
    from django.db import connection

    upload_trades(users["manager"], anchor, trades(*STORED))
    with connection.cursor() as cursor:
        cursor.execute("SELECT set_config('jit', 'on', true)")
        trade_records_import(anchor=anchor, content=trades(f"{ID_B},TQ1,2027-01-13,1"), filename="t.csv")
        cursor.execute("SELECT current_setting('jit')")
        assert cursor.fetchone()[0] == "on"
