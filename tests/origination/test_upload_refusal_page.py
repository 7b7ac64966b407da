"""The page of a refused farmer list: says it was refused, groups identical errors, names the blocking batch."""

import datetime as dt
import io
import re

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from core.business_date import business_date_set
from origination.models import Batch, UploadJob
from tests.conftest import api_as
from tests.factories import make_anchor, make_anchor_operator, make_program, resident_id_with_check

HEADER = "姓名,身份证号,手机号,推荐金额,近12个月订单金额,打分卡得分\n"
IDS = [resident_id_with_check(body) for body in ("51152119700819196", "51018119680413303", "51012419690919365")]


@pytest.fixture
def world(users):
    business_date_set(new_date=dt.date(2027, 3, 1), backwards_allowed=True)
    anchor = make_anchor(users["manager"], approver=users["approver"])
    program = make_program(anchor, users["approver"])
    clerk = Client()
    clerk.force_login(make_anchor_operator("clerk", anchor))
    manager = Client()
    manager.force_login(users["manager"])
    return program, clerk, manager


def _upload(client, program, content, capture, name="l.csv"):
    with capture(execute=True):
        client.post(f"/programs/{program.pk}/upload/", {"farmer_list": SimpleUploadedFile(name, content)})
    job = UploadJob.objects.order_by("-id").first()
    return job, client.get(f"/uploads/{job.pk}/").content.decode()


def _rows(n, phone="1"):
    ids = [resident_id_with_check(f"51152119700819{i:03d}") for i in range(n)]
    return "".join(f"农户{i},{ids[i]},{phone},100000,300000,80\n" for i in range(n))


def test_thirty_identical_errors_are_one_line_with_their_count(world, django_capture_on_commit_callbacks):
    program, clerk, _ = world
    job, page = _upload(clerk, program, (HEADER + _rows(30)).encode(), django_capture_on_commit_callbacks)
    assert job.state == UploadJob.State.FAILED
    # the heading says the list was refused, not that it is being checked
    assert "Checking the farmer list" not in page and "正在校验" not in page
    heading = re.search(r'data-testid="upload-heading">([^<]*)<', page)
    assert heading and heading.group(1).strip()
    assert page.count('data-testid="row-error-group"') == 1
    assert re.search(r'data-testid="row-error-count">30<', page)
    assert "2, 3, 4, 5, 6" in page and ", 7" not in page


def test_a_farmer_in_an_open_batch_names_that_batch_with_a_link(world, django_capture_on_commit_callbacks):
    program, clerk, manager = world
    first = (HEADER + "".join(f"农户{i},{IDS[i]},13812345678,100000,300000,80\n" for i in range(3))).encode()
    _upload(clerk, program, first, django_capture_on_commit_callbacks, name="first.csv")
    open_batch = Batch.objects.get()
    again = (HEADER + "".join(f"乙{i},{IDS[i]},13912345678,200000,300000,80\n" for i in range(3))).encode()

    job, page = _upload(manager, program, again, django_capture_on_commit_callbacks, name="again.csv")

    assert job.state == UploadJob.State.FAILED and Batch.objects.count() == 1
    # the job keeps the blocking batch, and nothing of the refused rows' identity numbers
    assert {error["batch"] for error in job.errors} == {open_batch.pk}
    assert not any(number in str(job.errors) for number in IDS)
    assert re.search(rf'href="/batches/{open_batch.pk}/"\s+data-testid="blocking-batch"', page)
    assert re.search(r'data-testid="row-error-count">3<', page)
    # a staff page carries the code for support (data-error-code), never in its text
    assert 'data-error-code="already_recommended"' in page and 'data-error-code="no_valid_rows"' in page
    # and in the download, a column of codes
    sheet = openpyxl.load_workbook(io.BytesIO(manager.get(f"/uploads/{job.pk}/errors.xlsx").content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:4] == ("行号", "列", "代码", "原因")
    assert {row[2] for row in rows[1:]} == {"already_recommended"}


def test_the_api_s_row_errors_keep_the_contract_s_four_keys(world, users, django_capture_on_commit_callbacks):
    program, clerk, _ = world
    first = (HEADER + f"甲,{IDS[0]},13812345678,100000,300000,80\n").encode()
    _upload(clerk, program, first, django_capture_on_commit_callbacks)
    response = api_as(users["manager"]).post(
        f"/api/v1/programs/{program.pk}/batches/",
        {"farmer_list": SimpleUploadedFile("b.csv", (HEADER + f"乙,{IDS[0]},13912345678,1,1,80\n").encode())},
        format="multipart",
    )
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "no_valid_rows"
    assert [set(e) for e in body["errors"]] == [{"row", "column", "code", "detail"}]


def test_an_anchor_operator_sees_no_code(world, django_capture_on_commit_callbacks):
    program, clerk, _ = world
    first = (HEADER + f"甲,{IDS[0]},13812345678,100000,300000,80\n").encode()
    _upload(clerk, program, first, django_capture_on_commit_callbacks, name="first.csv")
    again = (HEADER + f"乙,{IDS[0]},13912345678,100000,300000,80\n" + "丙,123,1,x,y,z\n").encode()

    job, page = _upload(clerk, program, again, django_capture_on_commit_callbacks, name="again.csv")

    assert job.state == UploadJob.State.FAILED
    assert 'data-testid="blocking-batch"' in page
    for code in ("no_valid_rows", "already_recommended", "invalid_id_format", "invalid_phone", "<code"):
        assert code not in page


def test_a_list_partly_accepted_links_each_farmer_already_recommended_to_his_batch(
    world, django_capture_on_commit_callbacks
):
    program, clerk, _ = world
    first = (HEADER + f"甲,{IDS[0]},13812345678,100000,300000,80\n").encode()
    _upload(clerk, program, first, django_capture_on_commit_callbacks, name="first.csv")
    open_batch = Batch.objects.get()
    # the same farmer, his number in lower case with spaces around it, beside a new one
    again = (HEADER + f"乙, {IDS[0].lower()} ,13912345678,100000,300000,80\n丙,{IDS[1]},13912345679,1,1,80\n").encode()

    job, _ = _upload(clerk, program, again, django_capture_on_commit_callbacks, name="again.csv")

    assert job.state == UploadJob.State.DONE
    page = clerk.get(f"/batches/{job.batch_id}/").content.decode()
    assert re.search(rf'href="/batches/{open_batch.pk}/"\s+data-testid="blocking-batch"', page)
    assert "already_recommended" not in page  # an anchor operator reads no codes
