"""A download holding full identity or phone numbers leaves an audit row, as a reveal on the farmer's page does."""

import datetime as dt
import io

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from core.business_date import business_date_set
from core.models import AuditEvent
from origination.models import Batch, UploadJob
from tests.conftest import api_as
from tests.factories import make_anchor, make_program, resident_id_with_check

HEADER = "姓名,身份证号,手机号,推荐金额,近12个月订单金额,打分卡得分\n"
GOOD = resident_id_with_check("51152119700819196")
OTHER = resident_id_with_check("51018119680413303")


@pytest.fixture
def program(users):
    business_date_set(new_date=dt.date(2027, 3, 1), backwards_allowed=True)
    return make_program(make_anchor(users["manager"], approver=users["approver"]), users["approver"])


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _cells(response) -> list[str]:
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    return [str(cell) for row in sheet.iter_rows(values_only=True) for cell in row if cell]


@pytest.fixture
def batch(users, program):
    content = HEADER + f"甲,{GOOD},13812345678,100000,300000,80\n乙,{OTHER},12345,1,1,1\n"
    response = api_as(users["manager"]).post(
        f"/api/v1/programs/{program.pk}/batches/",
        {"farmer_list": SimpleUploadedFile("l.csv", content.encode())},
        format="multipart",
    )
    assert response.status_code == 201, response.json()
    return Batch.objects.get(pk=response.json()["id"])


def test_downloading_the_row_errors_with_full_ids_is_audited(users, batch):
    cells = _cells(_client(users["manager"]).get(f"/batches/{batch.pk}/errors.xlsx"))
    assert OTHER in cells  # the staff copy holds the full number
    event = AuditEvent.objects.get(action="identity_export")
    assert (event.actor_id, event.object_type) == (users["manager"].pk, "origination.batch")
    assert event.object_id == str(batch.pk)
    assert event.data["rows"] == 1


def test_the_masked_copy_of_the_row_errors_writes_no_audit_row(users, batch):
    cells = _cells(_client(users["leader"]).get(f"/batches/{batch.pk}/errors.xlsx"))
    assert OTHER not in cells and "12345" not in cells
    assert not AuditEvent.objects.filter(action="identity_export").exists()


def test_downloading_an_uploads_row_errors_with_full_ids_is_audited(users, program):
    from core.files import stored_file_create

    stored = stored_file_create(content=b"x", name="l.csv", uploaded_by=users["manager"])
    original = {"name": "乙", "id_number": OTHER, "phone": "12345", "recommended_amount": "x"}
    job = UploadJob.objects.create(
        program=program,
        uploaded_by=users["manager"],
        farmer_list=stored,
        state=UploadJob.State.FAILED,
        errors=[{"row": 2, "column": "phone", "code": "invalid_phone", "detail": "…", "original": original}],
    )
    assert OTHER in _cells(_client(users["approver"]).get(f"/uploads/{job.pk}/errors.xlsx"))
    event = AuditEvent.objects.get(action="identity_export")
    assert (event.actor_id, event.object_type) == (users["approver"].pk, "origination.uploadjob")
    assert event.object_id == str(job.pk)
