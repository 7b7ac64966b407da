"""The intake reads a farmer list a chunk at a time: the same batch, errors and refusals as read whole.

``origination.importers.CHUNK_ROWS`` is set to a few rows, so that each list here spans several
chunks: an error in a late chunk must leave nothing written and name its own row, and an identity
number repeated in another chunk must be a duplicate as it is within one.
"""

from __future__ import annotations

import datetime as dt
import io

import openpyxl
import pandas as pd
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from core.business_date import business_date_set
from core.models import AuditEvent, StoredFile
from origination import importers
from origination.importers import farmer_list_chunks, read_farmer_list
from origination.models import Batch, BatchRow, BatchRowError
from partners.models import AnchorFarmer, Farmer
from tests.conftest import api_as
from tests.factories import make_anchor, make_program, resident_id_with_check

CHUNK = 3
TODAY = dt.date(2027, 3, 1)
HEADER = ["姓名", "身份证号", "手机号", "推荐金额", "近12个月订单金额", "打分卡得分", "地区代码", "养殖品种"]
IDS = [resident_id_with_check(f"5101811968{month:02d}{day:02d}303") for month in (1, 2) for day in range(10, 20)]


@pytest.fixture
def program(users):
    business_date_set(new_date=TODAY, backwards_allowed=True)
    return make_program(make_anchor(users["manager"], approver=users["approver"]), users["approver"])


@pytest.fixture
def small_chunks(monkeypatch):
    monkeypatch.setattr(importers, "CHUNK_ROWS", CHUNK)


def good(number: int) -> list[str]:
    return [f"农户{number}", IDS[number], "13812345678", "100000", "300000", "80", "", "生猪"]


def csv_of(records: list[list[str]], encoding: str = "utf-8") -> bytes:
    return "".join(",".join(record) + "\n" for record in [HEADER, *records]).encode(encoding)


def xlsx_of(records: list[list[str]]) -> bytes:
    book = openpyxl.Workbook()
    for record in [HEADER, *records]:
        book.active.append(record)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def upload(user, program, content: bytes, name: str = "farmers.csv"):
    files = {"farmer_list": SimpleUploadedFile(name, content)}
    return api_as(user).post(f"/api/v1/programs/{program.pk}/batches/", files, format="multipart")


def nothing_written() -> None:
    assert not Batch.objects.exists()
    assert not BatchRow.objects.exists()
    assert not BatchRowError.objects.exists()
    assert not Farmer.objects.exists()
    assert not AnchorFarmer.objects.exists()
    assert not StoredFile.objects.exists()
    assert not AuditEvent.objects.filter(action="batch_upload").exists()


# A list with bad rows and repeats spread over several chunks of three: row 4 has a bad phone but a
# good identity number, repeated at row 9 (next chunk but one); row 2's number comes again at row 12.
MIXED = [good(n) for n in range(12)]
MIXED[2][2] = "12345"
MIXED[7][1] = IDS[2]
MIXED[10][1] = IDS[0]
MIXED[5][3] = "-5"


def whole_and_chunked(content: bytes, name: str, chunk_rows: int) -> tuple[importers.FarmerList, list]:
    whole = read_farmer_list(content, name, today=TODAY)
    chunks = list(farmer_list_chunks(io.BytesIO(content), name, today=TODAY, chunk_rows=chunk_rows))
    return whole, chunks


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("mixed_gbk.csv", csv_of(MIXED, "gbk")),
        ("mixed_bom.csv", csv_of(MIXED, "utf-8-sig")),
        ("mixed.xlsx", xlsx_of(MIXED)),
    ],
)
def test_a_list_split_across_chunks_gives_the_rows_and_errors_read_whole(name, content):
    whole, chunks = whole_and_chunked(content, name, CHUNK)
    assert len(chunks) >= 4 and all(chunk.rows_total <= CHUNK for chunk in chunks)
    assert sum(chunk.rows_total for chunk in chunks) == whole.rows_total == 12
    valid = pd.concat([chunk.valid for chunk in chunks])
    pd.testing.assert_frame_equal(valid.reset_index(drop=True), whole.valid.reset_index(drop=True))
    assert [error for chunk in chunks for error in chunk.errors] == whole.errors
    found = [(error["row"], error["column"], error["code"]) for error in whole.errors]
    assert found == [
        (4, "phone", "invalid_phone"),
        (7, "recommended_amount", "negative_amount"),
        (9, "id_number", "duplicate_in_file"),
        (12, "id_number", "duplicate_in_file"),
    ]


@pytest.mark.parametrize("sample", ["farmer_list_gbk.csv", "farmer_list_utf8_bom.csv", "farmer_list.xlsx"])
def test_the_sample_lists_in_chunks_give_the_rows_read_whole(sample, sample_files):
    content = sample_files.read(sample)
    whole, chunks = whole_and_chunked(content, sample, 7)
    assert len(chunks) >= sample_files.farmers // 7 and all(chunk.rows_total <= 7 for chunk in chunks)
    valid = pd.concat([chunk.valid for chunk in chunks])
    pd.testing.assert_frame_equal(valid.reset_index(drop=True), whole.valid.reset_index(drop=True))
    assert [error for chunk in chunks for error in chunk.errors] == whole.errors == []


@pytest.mark.django_db
def test_a_row_wider_than_the_header_in_the_last_chunk_refuses_the_list_and_leaves_nothing(
    users, program, small_chunks
):
    records = [good(n) for n in range(11)]
    records[10] = [*records[10], "多余"]  # row 12, in the fourth chunk: three chunks were written before it
    response = upload(users["manager"], program, csv_of(records))
    assert response.status_code == 400, response.json()
    body = response.json()
    assert body["code"] == "extra_cells"
    assert "12" in body["detail"]
    nothing_written()


@pytest.mark.django_db
def test_no_usable_row_in_any_chunk_refuses_the_list_with_every_row_and_leaves_nothing(users, program, small_chunks):
    records = [good(n) for n in range(8)]
    for record in records:
        record[2] = "12345"
    records[6][1] = IDS[0]  # a repeat in a later chunk is still a duplicate
    response = upload(users["manager"], program, csv_of(records))
    assert response.status_code == 400, response.json()
    body = response.json()
    assert body["code"] == "no_valid_rows"
    found = [(error["row"], error["column"], error["code"]) for error in body["errors"]]
    expected = [(row, "phone", "invalid_phone") for row in range(2, 10)]
    expected.insert(6, (8, "id_number", "duplicate_in_file"))
    assert found == expected
    nothing_written()


@pytest.mark.django_db
def test_a_list_in_chunks_is_stored_as_read_whole(users, program, small_chunks):
    response = upload(users["manager"], program, csv_of(MIXED, "gbk"))
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["rows_total"], body["rows_valid"]) == (12, 8)
    assert [(e["row"], e["column"], e["code"]) for e in body["errors"]] == [
        (4, "phone", "invalid_phone"),
        (7, "recommended_amount", "negative_amount"),
        (9, "id_number", "duplicate_in_file"),
        (12, "id_number", "duplicate_in_file"),
    ]
    batch = Batch.objects.get(pk=body["id"])
    assert (batch.rows_total, batch.rows_valid) == (12, 8)
    rows = list(BatchRow.objects.filter(batch=batch).order_by("id").values_list("row", "name"))
    assert rows == [(n + 2, f"农户{n}") for n in (0, 1, 3, 4, 6, 8, 9, 11)]
    assert list(BatchRowError.objects.filter(batch=batch).values_list("row", flat=True)) == [4, 7, 9, 12]
    assert BatchRowError.objects.get(batch=batch, row=12).original["name"] == "农户10"
    assert Farmer.objects.count() == AnchorFarmer.objects.count() == 8


@pytest.mark.django_db
def test_a_farmer_of_an_open_batch_in_a_late_chunk_is_refused_with_its_row(users, program, small_chunks):
    first = upload(users["manager"], program, csv_of([good(9)]))
    assert first.status_code == 201, first.json()
    response = upload(users["manager"], program, csv_of([good(n) for n in range(11)]))
    assert response.status_code == 201, response.json()
    body = response.json()
    assert [(e["row"], e["column"], e["code"]) for e in body["errors"]] == [(11, "id_number", "already_recommended")]
    assert body["rows_valid"] == 10
