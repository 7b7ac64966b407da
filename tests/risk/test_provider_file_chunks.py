"""A provider's file is read a chunk at a time (issue 20): the same delivery, and a refusal that only
the last chunk shows writes nothing."""

import datetime as dt
import io

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile

from core.business_date import business_date_set
from core.errors import DomainError
from core.files import sha256_of
from core.models import StoredFile
from risk.models import MonitoringEvent, ProviderDelivery, TradeRecord
from risk.services.deliveries import monitoring_events_import, trade_records_import
from tests.conftest import api_as
from tests.factories import make_anchor, resident_id_with_check

ZH_HEADER = "身份证号,订单号,订单日期,订单金额\n"
ID_A = resident_id_with_check("51152119700819196")


@pytest.fixture
def anchors(users, org):
    business_date_set(new_date=dt.date(2027, 3, 1), backwards_allowed=True)
    return [make_anchor(users["manager"], org.outlet_a, approver=users["approver"], name=name) for name in ("甲", "乙")]


class CountingFile(io.BytesIO):
    """An open file that remembers the largest read asked of it."""

    largest = 0

    def read(self, size: int | None = -1) -> bytes:
        data = super().read(size)
        self.largest = max(self.largest, len(data))
        return data


def rows_of(anchor) -> list[tuple]:
    return sorted(
        TradeRecord.objects.filter(anchor=anchor).values_list(
            "id_hash", "order_no", "order_date", "amount", "delivery__sha256"
        )
    )


def test_a_file_larger_than_a_chunk_imports_as_it_did_whole(users, anchors, sample_files, monkeypatch):
    content = sample_files.read("provider_trades.csv")
    whole = trade_records_import(anchor=anchors[0], content=content, filename="t.csv", actor=users["manager"])

    monkeypatch.setattr("risk.importers.CHUNK_ROWS", 7)
    handle = CountingFile(content)
    chunked = trade_records_import(anchor=anchors[1], content=handle, filename="t.csv", actor=users["manager"])

    assert (chunked.created, chunked.duplicates, chunked.errors) == (whole.created, whole.duplicates, whole.errors)
    assert chunked.created == sample_files.trades > 7
    assert rows_of(anchors[1]) == rows_of(anchors[0])
    assert ProviderDelivery.objects.get(pk=chunked.delivery_id).sha256 == sha256_of(content)
    assert handle.largest <= 1 << 20  # read a slice at a time
    stored = ProviderDelivery.objects.get(pk=chunked.delivery_id).file
    with default_storage.open(stored.content.name, "rb") as kept:
        assert kept.read() == content


def test_a_row_wider_than_the_header_in_the_last_chunk_writes_nothing(users, anchors, monkeypatch):
    monkeypatch.setattr("risk.importers.CHUNK_ROWS", 2)
    good = "".join(f"{ID_A},TQ{n},2027-02-13,100\n" for n in range(9))
    content = (ZH_HEADER + good + f"{ID_A},TQ99,2027-02-13,1,200\n").encode()

    with pytest.raises(DomainError) as caught:
        trade_records_import(anchor=anchors[0], content=io.BytesIO(content), filename="t.csv", actor=users["manager"])

    assert caught.value.code == "extra_cells"
    assert caught.value.status == 400
    assert "11" in caught.value.detail
    assert not TradeRecord.objects.exists()
    assert not ProviderDelivery.objects.exists()
    assert not StoredFile.objects.exists()


def test_too_many_rows_seen_only_at_the_end_write_nothing(users, anchors, monkeypatch, settings):
    monkeypatch.setattr("risk.importers.CHUNK_ROWS", 2)
    settings.PROVIDER_MAX_ROWS = 6
    content = (ZH_HEADER + "".join(f"{ID_A},TQ{n},2027-02-13,100\n" for n in range(7))).encode()

    with pytest.raises(DomainError) as caught:
        trade_records_import(anchor=anchors[0], content=io.BytesIO(content), filename="t.csv", actor=users["manager"])

    assert caught.value.code == "file_too_large"
    assert not TradeRecord.objects.exists()
    assert not ProviderDelivery.objects.exists()


def test_the_api_hands_the_uploaded_file_to_the_import_in_chunks(users, anchors, monkeypatch):
    monkeypatch.setattr("risk.importers.CHUNK_ROWS", 2)
    content = (ZH_HEADER + "".join(f"{ID_A},TQ{n},2027-02-13,100\n" for n in range(5))).encode()

    response = api_as(users["manager"]).post(
        "/api/v1/trade-records/import/",
        {"anchor": anchors[0].pk, "file": SimpleUploadedFile("t.csv", content)},
        format="multipart",
    )

    assert response.status_code == 200, response.json()
    assert response.json()["created"] == 5
    assert ProviderDelivery.objects.get().sha256 == sha256_of(content)


def test_an_event_file_read_in_chunks_gives_the_same_events(users, anchors, sample_files, monkeypatch):
    content = sample_files.read("provider_events.csv")
    monkeypatch.setattr("risk.importers.CHUNK_ROWS", 3)

    result = monitoring_events_import(content=io.BytesIO(content), filename="e.csv", actor=users["manager"])

    assert (result.created, result.errors_total) == (sample_files.events, 0)
    assert MonitoringEvent.objects.count() == sample_files.events


def test_a_key_repeated_in_a_later_chunk_of_a_redelivery_is_one_conflict_at_most(users, anchors, monkeypatch):
    """The keys of earlier chunks are held by the database: a repeat stays a duplicate, whatever it holds."""
    from risk.models import ProviderConflict

    trade_records_import(
        anchor=anchors[0],
        content=(ZH_HEADER + f"{ID_A},TQ1,2027-02-13,100\n").encode(),
        filename="a.csv",
        actor=users["manager"],
    )
    monkeypatch.setattr("risk.importers.CHUNK_ROWS", 2)
    content = (
        ZH_HEADER
        + f"{ID_A},TQ1,2027-02-13,200\n"  # chunk 1: in conflict with the stored order
        + f"{ID_A},TQ2,2027-02-13,100\n"
        + f"{ID_A},TQ1,2027-02-13,300\n"  # chunk 2: a repeat of this delivery's row 2
        + f"{ID_A},TQ2,2027-02-13,999\n"  # chunk 2: a repeat of a row this delivery stored
    ).encode()

    result = trade_records_import(anchor=anchors[0], content=io.BytesIO(content), filename="b.csv")

    assert (result.created, result.conflicts, result.duplicates) == (1, 1, 2)
    assert [(c.row, c.key) for c in ProviderConflict.objects.all()] == [(2, "TQ1")]
    assert dict(TradeRecord.objects.values_list("order_no", "amount")) == {"TQ1": 100, "TQ2": 100}
