"""Flow step 3: an anchor's farmer list becomes a batch; every row checked, nothing lost, nothing twice."""

import datetime as dt
from decimal import Decimal

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from core.business_date import business_date_set
from core.models import StoredFile
from origination.models import Batch, BatchRow, BatchRowError, BatchStatusChange
from partners.models import AnchorFarmer, Farmer
from partners.services.programs import program_create, program_suspend
from tests.conftest import api_as
from tests.factories import make_anchor, make_program, resident_id_with_check

ZH_HEADER = "姓名,身份证号,手机号,推荐金额,近12个月订单金额,打分卡得分,地区代码,养殖品种\n"
EN_HEADER = "Name , ID_NUMBER,phone,recommended_amount,declared_orders_12m,score\n"
ID_A = resident_id_with_check("51152119700819196")
ID_B = resident_id_with_check("51018119680413303")
ID_C = resident_id_with_check("51012419690919365")


@pytest.fixture
def program(users):
    business_date_set(new_date=dt.date(2027, 3, 1), backwards_allowed=True)
    return make_program(make_anchor(users["manager"], approver=users["approver"]), users["approver"])


def upload(user, program, content: bytes, name="farmers.csv", **attachments):
    files = {"farmer_list": SimpleUploadedFile(name, content)}
    files.update({key: SimpleUploadedFile(f"{key}.pdf", value) for key, value in attachments.items()})
    return api_as(user).post(f"/api/v1/programs/{program.pk}/batches/", files, format="multipart")


@pytest.mark.parametrize("sample", ["farmer_list_gbk.csv", "farmer_list_utf8_bom.csv", "farmer_list.xlsx"])
def test_the_sample_lists_are_read_whole(users, program, sample, sample_files):
    response = upload(users["manager"], program, sample_files.read(sample), name=sample)
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == "validated"
    # every row of the samples is valid
    assert (body["rows_total"], body["rows_valid"], body["errors"]) == (sample_files.farmers, sample_files.farmers, [])
    assert BatchRow.objects.filter(batch_id=body["id"]).count() == sample_files.farmers


def test_chinese_number_forms_are_read_exactly(users, program):
    content = (
        ZH_HEADER
        + f'甲,{ID_A},138 1234 5678,120万,"1,200,000.00",85,511521,生猪\n'
        + f"乙,{ID_B},+86 13912345678,１００００００,３５００００.５,９０,,肉鸡\n"
    ).encode("gbk")
    response = upload(users["manager"], program, content)
    assert response.status_code == 201, response.json()
    rows = {r.name: r for r in BatchRow.objects.all()}
    assert str(rows["甲"].recommended_amount) == "1200000.00"
    assert str(rows["甲"].declared_orders_12m) == "1200000.00"
    assert rows["甲"].phone == "13812345678"
    assert str(rows["乙"].recommended_amount) == "1000000.00"
    assert str(rows["乙"].declared_orders_12m) == "350000.50"
    assert rows["乙"].score == 90
    assert rows["乙"].phone == "13912345678"


def test_scores_with_up_to_two_decimals_are_kept_and_three_decimals_or_over_100_refused(users, program):
    content = (
        ZH_HEADER
        + f"甲,{ID_A},13812345678,100000,300000,75.5,,\n"
        + f"乙,{ID_B},13812345678,100000,300000,99.99,,\n"
        + f"丙,{ID_C},13812345678,100000,300000,75.555,,\n"
        + f"丁,{resident_id_with_check('51012219670904729')},13812345678,100000,300000,100.5,,\n"
    ).encode()
    response = upload(users["manager"], program, content)
    assert response.status_code == 201, response.json()
    assert {(e["row"], e["column"], e["code"]) for e in response.json()["errors"]} == {
        (4, "score", "invalid_score"),
        (5, "score", "invalid_score"),
    }
    assert dict(BatchRow.objects.values_list("name", "score")) == {"甲": Decimal("75.50"), "乙": Decimal("99.99")}


def test_english_headers_in_any_case_are_accepted(users, program):
    content = (EN_HEADER + f"Zhang San,{ID_A},13812345678,500000,800000,77\n").encode()
    response = upload(users["manager"], program, content)
    assert response.status_code == 201
    assert response.json()["rows_valid"] == 1


def test_bad_rows_are_reported_and_good_rows_kept(users, program):
    content = (
        ZH_HEADER
        + f"好,{ID_A},13812345678,100000,300000,80,,\n"
        + f"坏号,{ID_A[:-1]}0,13812345678,100000,300000,80,,\n"
        + f"坏手机,{ID_B},12345,100000,300000,80,,\n"
        + f"负数,{ID_C},13812345678,-5,300000,80,,\n"
        + f"重复,{ID_A},13812345678,100000,300000,80,,\n"
        + ",,,,,,,\n"
        + f"分数,{resident_id_with_check('51012219670904729')},13812345678,100000,abc,101,,\n"
    ).encode()
    response = upload(users["manager"], program, content)
    assert response.status_code == 201
    body = response.json()
    assert body["rows_total"] == 6
    assert body["rows_valid"] == 1
    found = {(e["row"], e["column"], e["code"]) for e in body["errors"]}
    assert (3, "id_number", "invalid_id_checksum") in found
    assert (4, "phone", "invalid_phone") in found
    assert (5, "recommended_amount", "negative_amount") in found
    assert (6, "id_number", "duplicate_in_file") in found
    assert (8, "declared_orders_12m", "invalid_amount") in found
    assert (8, "score", "invalid_score") in found
    assert all(e["detail"] and "\u4e00" <= e["detail"][0] <= "\u9fff" for e in body["errors"])
    kept = BatchRowError.objects.get(batch_id=body["id"], row=4)
    assert kept.original["phone"] == "12345"


def test_the_same_list_again_is_refused_with_the_first_batch(users, program):
    content = (ZH_HEADER + f"甲,{ID_A},13812345678,100000,300000,80,,\n").encode()
    first = upload(users["manager"], program, content).json()
    again = upload(users["manager"], program, content)
    assert again.status_code == 409
    assert again.json()["code"] == "duplicate_file"
    assert again.json()["batch"] == first["id"]
    assert Batch.objects.count() == 1


def test_a_farmer_in_an_open_batch_is_not_recommended_twice(users, program):
    upload(users["manager"], program, (ZH_HEADER + f"甲,{ID_A},13812345678,100000,300000,80,,\n").encode())
    second = upload(
        users["manager"],
        program,
        (ZH_HEADER + f"甲,{ID_A},13812345678,200000,300000,80,,\n乙,{ID_B},13812345678,1,1,1,,\n").encode(),
    )
    assert second.status_code == 201
    assert [(e["row"], e["code"]) for e in second.json()["errors"]] == [(2, "already_recommended")]


def test_a_list_with_no_valid_row_is_refused_and_nothing_is_written(users, program):
    content = (ZH_HEADER + "甲,123,1,x,y,z,,\n").encode()
    response = upload(users["manager"], program, content)
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "no_valid_rows"
    assert {e["column"] for e in body["errors"]} >= {"id_number", "phone", "recommended_amount", "score"}
    assert not Batch.objects.exists() and not StoredFile.objects.exists() and not Farmer.objects.exists()


@pytest.mark.parametrize(
    ("content", "code"),
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00binary", "not_a_table"),
        (b"", "not_a_table"),
        ("姓名,手机号\n甲,13812345678\n".encode(), "missing_columns"),
    ],
)
def test_a_file_that_is_not_a_usable_table_is_refused_with_a_code(users, program, content, code):
    response = upload(users["manager"], program, content)
    assert response.status_code == 400
    assert response.json()["code"] == code
    assert response.json()["detail"]
    assert not Batch.objects.exists()


def test_a_file_over_the_row_limit_is_refused(users, program, settings):
    settings.UPLOAD_MAX_ROWS = 2
    rows = "".join(f"x,{ID_A},13812345678,1,1,1,,\n" for _ in range(3))
    response = upload(users["manager"], program, (ZH_HEADER + rows).encode())
    assert response.status_code == 400
    assert response.json()["code"] == "file_too_large"


def test_a_file_over_the_size_limit_is_refused(users, program, settings):
    settings.UPLOAD_MAX_BYTES = 100
    response = upload(users["manager"], program, (ZH_HEADER + "x" * 200).encode())
    assert response.status_code == 400
    assert response.json()["code"] == "file_too_large"


def test_a_suspended_programme_takes_no_upload(users, program):
    program_suspend(program=program, actor=users["approver"], reason="不良率超线")
    response = upload(users["manager"], program, (ZH_HEADER + f"甲,{ID_A},13812345678,1,1,1,,\n").encode())
    assert response.status_code == 400
    assert response.json()["code"] == "program_suspended"


def test_the_files_are_kept_byte_for_byte_with_their_hash_and_uploader(users, program):
    import hashlib

    content = (ZH_HEADER + f"甲,{ID_A},13812345678,100000,300000,80,,\n").encode("gbk")
    body = upload(
        users["manager"], program, content, scorecard=b"%PDF score", guarantee_letter=b"%PDF guarantee"
    ).json()
    batch = Batch.objects.get(pk=body["id"])
    assert batch.farmer_list.content.read() == content
    assert batch.farmer_list.sha256 == hashlib.sha256(content).hexdigest()
    assert batch.farmer_list.uploaded_by == users["manager"]
    assert batch.scorecard.content.read() == b"%PDF score"
    assert batch.recommendation_letter is None
    assert list(BatchStatusChange.objects.filter(batch=batch).values_list("to_status", flat=True)) == [
        "uploaded",
        "validated",
    ]


def test_farmers_are_created_once_and_linked_to_the_anchor(users, program):
    upload(users["manager"], program, (ZH_HEADER + f"甲,{ID_A},13812345678,1,1,1,,\n").encode())
    farmer = Farmer.objects.get()
    assert farmer.id_number == ID_A and farmer.birth_date == dt.date(1970, 8, 19)
    assert farmer.region_code == "511521"
    assert AnchorFarmer.objects.filter(farmer=farmer, anchor=program.anchor).exists()


def test_a_list_mixing_known_and_new_farmers_links_each_row_to_the_right_farmer(users, program):
    upload(users["manager"], program, (ZH_HEADER + f"甲,{ID_A},13812345678,1,1,1,,\n").encode())
    other = program_create(
        actor=users["approver"], anchor=program.anchor, name="第二期养殖贷", annual_rate=Decimal("0.0435")
    )
    content = (
        ZH_HEADER + f"乙,{ID_B},13812345678,1,1,1,,\n甲,{ID_A},13812345678,1,1,1,,\n丙,{ID_C},13812345678,1,1,1,,\n"
    )

    assert upload(users["manager"], other, content.encode()).status_code == 201

    assert Farmer.objects.count() == 3
    rows = BatchRow.objects.filter(batch__program=other).select_related("farmer").order_by("row")
    assert [(row.row, row.farmer.id_number) for row in rows] == [(2, ID_B), (3, ID_A), (4, ID_C)]
    assert AnchorFarmer.objects.filter(anchor=program.anchor).count() == 3


def test_a_failure_half_way_leaves_nothing(users, program, monkeypatch):
    from origination.services import intake

    def explode(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(intake, "_rows_insert", explode)
    with pytest.raises(RuntimeError):
        upload(users["manager"], program, (ZH_HEADER + f"甲,{ID_A},13812345678,1,1,1,,\n").encode())
    assert not Batch.objects.exists() and not Farmer.objects.exists() and not StoredFile.objects.exists()


def test_an_xlsx_with_numeric_cells_is_read_exactly(users, program, tmp_path):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["姓名", "身份证号", "手机号", "推荐金额", "近12个月订单金额", "打分卡得分"])
    sheet.append(["甲", ID_A, 13812345678, 1200000, 2500000.5, 88])
    path = tmp_path / "list.xlsx"
    book.save(path)
    response = upload(users["manager"], program, path.read_bytes(), name="list.xlsx")
    assert response.status_code == 201, response.json()
    row = BatchRow.objects.get()
    assert (str(row.recommended_amount), str(row.declared_orders_12m), row.phone) == (
        "1200000.00",
        "2500000.50",
        "13812345678",
    )


def test_an_anchor_operator_uploads_only_for_his_enterprise(users, program, org):
    from tests.factories import make_anchor_operator

    other = make_anchor(users["manager"], approver=users["approver"], name="其他企业")
    clerk = make_anchor_operator("clerk", other)
    response = upload(clerk, program, (ZH_HEADER + f"甲,{ID_A},13812345678,1,1,1,,\n").encode())
    assert response.status_code == 404
