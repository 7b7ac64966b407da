"""Flow step 4: the provider's trade records (三方交易数据), delivered as files, written once per order."""

import datetime as dt
import io
from decimal import Decimal

import openpyxl
import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile

from core.business_date import business_date_set
from core.files import sha256_of
from core.masking import pii_hash
from core.models import AuditEvent, StoredFile
from risk.models import DataProvider, ProviderDelivery, TradeRecord
from risk.services.deliveries import trade_records_import
from tests.concurrency import run_concurrently
from tests.conftest import api_as
from tests.factories import make_anchor, make_anchor_operator, resident_id_with_check

ZH_HEADER = "身份证号,订单号,订单日期,订单金额\n"
ID_A = resident_id_with_check("51152119700819196")
ID_B = resident_id_with_check("51018119680413303")


@pytest.fixture
def anchor(users, org):
    business_date_set(new_date=dt.date(2027, 3, 1), backwards_allowed=True)
    return make_anchor(users["manager"], org.outlet_a, approver=users["approver"])


def upload(user, anchor, content: bytes, name="trades.csv"):
    return api_as(user).post(
        "/api/v1/trade-records/import/",
        {"anchor": anchor.pk, "file": SimpleUploadedFile(name, content)},
        format="multipart",
    )


def stored(anchor) -> set[tuple[str, str, dt.date, Decimal]]:
    return set(TradeRecord.objects.filter(anchor=anchor).values_list("id_hash", "order_no", "order_date", "amount"))


def test_the_sample_trade_file_is_imported_whole_and_every_record_keeps_its_delivery(users, anchor, sample_files):
    content = sample_files.read("provider_trades.csv")
    count = sample_files.trades

    response = upload(users["manager"], anchor, content)

    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["created"], body["duplicates"], body["errors"]) == (count, 0, [])
    delivery = ProviderDelivery.objects.get(pk=body["delivery"])
    assert (delivery.kind, delivery.channel, delivery.anchor_id) == ("trades", "file", anchor.pk)
    assert (delivery.created, delivery.duplicates, delivery.errors) == (count, 0, 0)
    assert delivery.received_by == users["manager"]
    assert delivery.business_date == dt.date(2027, 3, 1)
    assert delivery.provider.is_default
    assert delivery.sha256 == sha256_of(content)
    with delivery.file.content.open("rb") as kept:
        assert kept.read() == content
    assert TradeRecord.objects.filter(anchor=anchor, delivery=delivery).count() == count


def test_identity_numbers_are_kept_only_as_their_keyed_hash(users, anchor):
    content = (ZH_HEADER + f"{ID_A.lower()},TQ1,2027-02-13,100\n").encode()

    upload(users["manager"], anchor, content)

    record = TradeRecord.objects.get()
    assert record.id_hash == pii_hash(ID_A)
    assert ID_A not in str(TradeRecord.objects.values().get())


def test_a_gbk_csv_gives_the_same_records_as_utf8(users, anchor, make_second_anchor, sample_files):
    text = sample_files.read("provider_trades.csv").decode("utf-8")
    other = make_second_anchor()

    upload(users["manager"], anchor, text.encode("utf-8"))
    response = upload(users["manager"], other, text.encode("gbk"))

    assert response.json()["created"] == sample_files.trades
    assert stored(anchor) == stored(other)


def test_an_xlsx_with_english_headers_is_read(users, anchor):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["ID_Number", "order_no ", "Order_Date", "AMOUNT"])
    sheet.append([ID_A, "TQ1", dt.date(2027, 2, 13), 394537.02])
    sheet.append([ID_B, "TQ2", "2027/1/18", "1,200.50"])
    buffer = io.BytesIO()
    workbook.save(buffer)

    response = upload(users["manager"], anchor, buffer.getvalue(), name="trades.xlsx")

    assert response.status_code == 200, response.json()
    assert response.json()["created"] == 2
    assert stored(anchor) == {
        (pii_hash(ID_A), "TQ1", dt.date(2027, 2, 13), Decimal("394537.02")),
        (pii_hash(ID_B), "TQ2", dt.date(2027, 1, 18), Decimal("1200.50")),
    }


def test_amounts_in_every_written_form_keep_every_fen(users, anchor):
    content = (
        ZH_HEADER
        + f'{ID_A},TQ1,2027-02-13,"1,200,000.05"\n'
        + f"{ID_A},TQ2,2027-02-14,120万\n"
        + f"{ID_A},TQ3,2027-02-15,１２３.４５\n"
        + f"{ID_A},TQ4,20270216,0.1\n"
    ).encode()

    upload(users["manager"], anchor, content)

    amounts = dict(TradeRecord.objects.values_list("order_no", "amount"))
    assert amounts == {
        "TQ1": Decimal("1200000.05"),
        "TQ2": Decimal("1200000.00"),
        "TQ3": Decimal("123.45"),
        "TQ4": Decimal("0.10"),
    }


def test_the_same_file_delivered_twice_creates_nothing_the_second_time(users, anchor, sample_files):
    content = sample_files.read("provider_trades.csv")
    upload(users["manager"], anchor, content)

    response = upload(users["approver"], anchor, content)

    assert response.status_code == 200, response.json()
    assert (response.json()["created"], response.json()["duplicates"]) == (0, sample_files.trades)
    assert TradeRecord.objects.filter(anchor=anchor).count() == sample_files.trades
    assert ProviderDelivery.objects.count() == 2


def test_a_later_delivery_adds_only_the_new_orders(users, anchor):
    upload(users["manager"], anchor, (ZH_HEADER + f"{ID_A},TQ1,2027-01-13,100\n").encode())

    response = upload(
        users["manager"],
        anchor,
        (ZH_HEADER + f"{ID_A},TQ1,2027-01-13,100\n{ID_A},TQ2,2027-02-13,200\n").encode(),
    )

    assert (response.json()["created"], response.json()["duplicates"]) == (1, 1)
    first, second = ProviderDelivery.objects.order_by("id")
    assert TradeRecord.objects.get(order_no="TQ1").delivery == first
    assert TradeRecord.objects.get(order_no="TQ2").delivery == second


def test_an_order_number_repeated_in_one_file_is_a_duplicate_and_the_first_one_counts(users, anchor):
    content = (
        ZH_HEADER
        + f"{ID_B},TQ9,2027-02-13,300\n"
        + f"{ID_A},TQ1,2027-02-13,100\n"
        + f"{ID_A},TQ1,2027-02-14,999\n"
        + f"{ID_A},ＴＱ1,2027-02-15,555\n"
    ).encode()

    response = upload(users["manager"], anchor, content)

    assert (response.json()["created"], response.json()["duplicates"]) == (2, 2)
    assert response.json()["errors"] == []
    assert TradeRecord.objects.get(order_no="TQ1").amount == Decimal("100.00")


def test_the_same_order_number_of_two_anchors_is_two_orders(users, anchor, make_second_anchor):
    content = (ZH_HEADER + f"{ID_A},TQ1,2027-02-13,100\n").encode()

    upload(users["manager"], anchor, content)
    response = upload(users["manager"], make_second_anchor(), content)

    assert response.json()["created"] == 1
    assert TradeRecord.objects.count() == 2


def test_bad_rows_are_reported_by_row_and_column_and_good_rows_go_on(users, anchor):
    bad_check = ID_B[:-1] + ("0" if ID_B[-1] != "0" else "1")
    content = (
        ZH_HEADER
        + f"{ID_A},TQ1,2027-02-13,100\n"  # row 2: good
        + f"{bad_check},TQ2,2027-02-13,100\n"  # row 3: check digit
        + f"{ID_A},TQ3,2027-02-30,100\n"  # row 4: no such date
        + f"{ID_A},TQ4,2027-02-13,-5\n"  # row 5: negative
        + f"{ID_A},,2027-02-13,abc\n"  # row 6: two errors
        + f"{ID_A},TQ7,2027-02-13,12345678901234567\n"  # row 7: too large for the column
        + f"{ID_A},TQ8,2027-02-13,88.8\n"  # row 8: good
    ).encode()

    response = upload(users["manager"], anchor, content)

    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["created"], body["duplicates"], body["errors_total"]) == (2, 0, 6)
    assert [(e["row"], e["column"], e["code"]) for e in body["errors"]] == [
        (3, "id_number", "invalid_id_checksum"),
        (4, "order_date", "invalid_date"),
        (5, "amount", "negative_amount"),
        (6, "order_no", "required"),
        (6, "amount", "invalid_amount"),
        (7, "amount", "amount_too_large"),
    ]
    assert all(error["detail"] for error in body["errors"])
    assert set(TradeRecord.objects.values_list("order_no", flat=True)) == {"TQ1", "TQ8"}
    assert ProviderDelivery.objects.get().errors == 6


def test_a_file_without_a_valid_row_is_refused_and_leaves_nothing(users, anchor):
    content = (ZH_HEADER + f"{ID_A},TQ1,someday,100\n" + "123,TQ2,2027-02-13,100\n").encode()

    response = upload(users["manager"], anchor, content)

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "no_valid_rows"
    assert [(e["row"], e["column"]) for e in body["errors"]] == [(2, "order_date"), (3, "id_number")]
    assert not ProviderDelivery.objects.exists()
    assert not StoredFile.objects.exists()
    assert not default_storage.exists(f"files/{sha256_of(content)[:2]}/{sha256_of(content)}")
    assert not TradeRecord.objects.exists()


@pytest.mark.parametrize(
    ("content", "code"),
    [
        (b"", "not_a_table"),
        ("身份证号,订单日期,订单金额\n1,2,3\n".encode(), "missing_columns"),
        (b"\x00\x01\x02binary", "not_a_table"),
    ],
)
def test_a_file_that_is_not_a_usable_table_is_refused_with_its_code(users, anchor, content, code):
    response = upload(users["manager"], anchor, content)

    assert response.status_code == 400
    assert response.json()["code"] == code
    assert not ProviderDelivery.objects.exists()


def test_a_header_without_rows_is_no_valid_rows(users, anchor):
    response = upload(users["manager"], anchor, ZH_HEADER.encode())

    assert response.status_code == 400
    assert (response.json()["code"], response.json()["errors"]) == ("no_valid_rows", [])


def test_a_user_outside_the_anchors_reach_gets_404(users, anchor):
    response = upload(users["manager_b"], anchor, (ZH_HEADER + f"{ID_A},TQ1,2027-02-13,1\n").encode())

    assert response.status_code == 404
    assert not TradeRecord.objects.exists()


def test_an_unknown_anchor_is_404(users, anchor):
    response = api_as(users["admin"]).post(
        "/api/v1/trade-records/import/",
        {"anchor": anchor.pk + 1000, "file": SimpleUploadedFile("t.csv", b"x")},
        format="multipart",
    )

    assert response.status_code == 404


@pytest.mark.parametrize("who", ["leader", "anchor_operator"])
def test_only_staff_who_handle_provider_data_may_import(users, anchor, who):
    user = make_anchor_operator("operator", anchor) if who == "anchor_operator" else users[who]

    response = upload(user, anchor, (ZH_HEADER + f"{ID_A},TQ1,2027-02-13,1\n").encode())

    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"
    assert not ProviderDelivery.objects.exists()


def test_the_import_is_audited_with_its_counts(users, anchor):
    response = upload(users["approver"], anchor, (ZH_HEADER + f"{ID_A},TQ1,2027-02-13,1\n").encode())

    event = AuditEvent.objects.get(action="trade_records_import")
    assert event.actor == users["approver"]
    assert event.object_id == str(response.json()["delivery"])
    assert (event.data["created"], event.data["duplicates"], event.data["errors"]) == (1, 0, 0)


def test_the_service_defaults_to_the_one_default_provider(users, anchor):
    content = (ZH_HEADER + f"{ID_A},TQ1,2027-02-13,1\n").encode()

    trade_records_import(anchor=anchor, content=content, filename="a.csv")
    trade_records_import(anchor=anchor, content=content, filename="b.csv")

    provider = DataProvider.objects.get()
    assert (provider.code, provider.name, provider.is_default) == ("default", "三方数据服务商", True)
    assert len(provider.secret) == 64


@pytest.mark.django_db(transaction=True)
def test_two_deliveries_of_the_same_orders_at_once_write_each_order_once(users, anchor, sample_files):
    content = sample_files.read("provider_trades.csv")
    count = sample_files.trades

    results = run_concurrently(
        lambda: trade_records_import(anchor=anchor, content=content, filename="a.csv"),
        lambda: trade_records_import(anchor=anchor, content=content, filename="b.csv"),
    )

    assert sorted(result.created for result in results) == [0, count]
    assert sorted(result.duplicates for result in results) == [0, count]
    assert TradeRecord.objects.filter(anchor=anchor).count() == count


@pytest.fixture
def make_second_anchor(users, org):
    def make():
        return make_anchor(users["manager"], org.outlet_a, approver=users["approver"], name="新希望")

    return make


def test_a_large_file_checked_and_written_in_slices_gives_the_same_result(users, anchor, monkeypatch):
    # given slices of two rows, so that a repeat and the errors fall in different slices
    monkeypatch.setattr("risk.importers.CHUNK_ROWS", 2)
    monkeypatch.setattr("risk.importers.MAX_ERRORS_LISTED", 2)
    content = (
        ZH_HEADER
        + f"{ID_A},TQ1,2027-02-13,100\n"
        + f"{ID_B},TQ2,2027-02-13,bad\n"
        + f"{ID_B},TQ3,2027-02-13,300\n"
        + f"{ID_A},TQ1,2027-02-14,999\n"
        + f"{ID_A},TQ5,someday,500\n"
        + f"{ID_A},TQ6,2027-02-13,-1\n"
        + f"{ID_B},TQ7,2027-02-13,700\n"
    ).encode()

    response = upload(users["manager"], anchor, content)

    body = response.json()
    assert (body["created"], body["duplicates"], body["errors_total"]) == (3, 1, 3)
    assert [(e["row"], e["column"]) for e in body["errors"]] == [(3, "amount"), (6, "order_date")]
    assert dict(TradeRecord.objects.values_list("order_no", "amount")) == {
        "TQ1": Decimal("100.00"),
        "TQ3": Decimal("300.00"),
        "TQ7": Decimal("700.00"),
    }
    assert TradeRecord.objects.filter(id_hash=pii_hash(ID_B)).count() == 2
    # and delivered again, slice by slice, it changes nothing
    again = upload(users["manager"], anchor, content).json()
    assert (again["created"], again["duplicates"], again["errors_total"]) == (0, 4, 3)
    assert TradeRecord.objects.count() == 3
