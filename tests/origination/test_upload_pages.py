"""The upload page runs the intake as a background task and shows progress, the batch or the refusal."""

import datetime as dt
import io

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from core.business_date import business_date_set
from origination.models import Batch, UploadJob
from tests.factories import make_anchor, make_anchor_operator, make_program, resident_id_with_check

HEADER = "姓名,身份证号,手机号,推荐金额,近12个月订单金额,打分卡得分\n"
GOOD = resident_id_with_check("51152119700819196")


@pytest.fixture
def clerk(users):
    business_date_set(new_date=dt.date(2027, 3, 1), backwards_allowed=True)
    anchor = make_anchor(users["manager"], approver=users["approver"])
    program = make_program(anchor, users["approver"])
    user = make_anchor_operator("clerk", anchor)
    client = Client()
    client.force_login(user)
    return client, program, user


def test_an_upload_lands_on_its_batch_page(clerk, django_capture_on_commit_callbacks):
    client, program, _ = clerk
    content = (HEADER + f"甲,{GOOD},13812345678,100000,300000,80\n乙,123,13812345678,1,1,1\n").encode("gbk")
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/programs/{program.pk}/upload/", {"farmer_list": SimpleUploadedFile("list.csv", content)})
    response = client.get(f"/uploads/{UploadJob.objects.get().pk}/", follow=True)
    batch = Batch.objects.get()
    assert response.redirect_chain[-1][0] == f"/batches/{batch.pk}/"
    page = response.content.decode()
    assert 'data-testid="row-errors"' in page
    assert UploadJob.objects.get().state == "done"


def test_a_refused_upload_shows_the_reason_and_every_row(clerk, django_capture_on_commit_callbacks):
    client, program, _ = clerk
    content = (HEADER + "甲,123,1,x,y,z\n").encode()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/programs/{program.pk}/upload/", {"farmer_list": SimpleUploadedFile("bad.csv", content)})
    response = client.get(f"/uploads/{UploadJob.objects.get().pk}/")
    page = response.content.decode()
    assert 'data-testid="upload-refused"' in page
    assert "no_valid_rows" not in page  # the clerk is an anchor operator: no codes
    assert not Batch.objects.exists()
    job = UploadJob.objects.get()
    download = client.get(f"/uploads/{job.pk}/errors.xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(download.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:3] == ("行号", "列", "原因")  # an anchor operator's copy: no codes
    assert "代码" not in rows[0]
    assert {row[0] for row in rows[1:]} == {2}
    assert any(row[1] == "身份证号" for row in rows[1:])


def test_the_errors_download_masks_identity_numbers_for_an_anchor_clerk(clerk, django_capture_on_commit_callbacks):
    client, program, _ = clerk
    bad_phone_row = f"乙,{GOOD},12345,1,1,1\n"
    content = (
        HEADER + f"甲,{resident_id_with_check('51018119680413303')},13812345678,1,1,1\n" + bad_phone_row
    ).encode()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/programs/{program.pk}/upload/", {"farmer_list": SimpleUploadedFile("l.csv", content)})
    batch = Batch.objects.get()
    sheet = openpyxl.load_workbook(io.BytesIO(client.get(f"/batches/{batch.pk}/errors.xlsx").content)).active
    cells = [str(c) for row in sheet.iter_rows(values_only=True) for c in row if c]
    assert GOOD not in cells
    assert any("*" in c and c.startswith(GOOD[:4]) for c in cells)


def test_the_progress_fragment_polls_until_the_job_ends(clerk):
    client, program, user = clerk
    from core.files import stored_file_create

    stored = stored_file_create(content=b"x", name="x.csv", uploaded_by=user)
    job = UploadJob.objects.create(program=program, uploaded_by=user, farmer_list=stored, progress=40, stage="读取文件")
    fragment = client.get(f"/uploads/{job.pk}/status/")
    assert fragment.status_code == 200
    assert 'hx-trigger="every 1s"' in fragment.content.decode()
    UploadJob.objects.filter(pk=job.pk).update(state="failed")
    finished = client.get(f"/uploads/{job.pk}/status/")
    assert finished.status_code == 204
    assert finished["HX-Redirect"] == f"/uploads/{job.pk}/"


def test_a_branch_manager_may_not_upload(users):
    anchor = make_anchor(users["manager"], approver=users["approver"])
    program = make_program(anchor, users["approver"])
    client = Client()
    client.force_login(users["leader"])
    response = client.get(f"/programs/{program.pk}/upload/")
    assert response.status_code == 403
