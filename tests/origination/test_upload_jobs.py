"""The upload page and the API take one path: ``upload_job_create`` keeps the files with a job, ``upload_job_run``
decides it. The page runs the job in the background, the API within the request; both leave the same job."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from core.business_date import business_date_set
from core.models import StoredFile
from origination.models import Batch, UploadJob
from origination.services.intake import Upload
from origination.services.uploads import upload_job_create, upload_job_run
from partners.services.programs import program_suspend
from tests.conftest import api_as
from tests.factories import make_anchor, make_anchor_operator, make_program
from tests.hostile import corpus

JOB_FIELDS = ("program_id", "uploaded_by_id", "state", "progress", "error_code", "attachments")
HEADER = "name,id_number,phone,recommended_amount,declared_orders_12m,score\n"


def farmer_list(*id_numbers: str, phone: str = "13812345678") -> bytes:
    return (
        HEADER + "".join(f"农户{i},{number},{phone},100000,350000,80\n" for i, number in enumerate(id_numbers))
    ).encode()


@pytest.fixture
def clerk(users):
    business_date_set(new_date=dt.date(2027, 3, 1), backwards_allowed=True)
    anchor = make_anchor(users["manager"], approver=users["approver"])
    program = make_program(anchor, users["approver"])
    return program, make_anchor_operator("clerk", anchor)


def page_upload(user, program, capture, **files):
    client = Client()
    client.force_login(user)
    with capture(execute=True):
        return client.post(f"/programs/{program.pk}/upload/", files)


def api_upload(user, program, **files):
    return api_as(user).post(f"/api/v1/programs/{program.pk}/batches/", files, format="multipart")


def job_shape(job: UploadJob) -> dict[str, object]:
    """What a job says of its upload, without what differs between two uploads (ids, names)."""
    shape = {field: getattr(job, field) for field in JOB_FIELDS}
    shape["keeps_the_batchs_list"] = job.batch is not None and job.farmer_list_id == job.batch.farmer_list_id
    return shape


def test_the_page_and_the_api_leave_the_same_job(clerk, django_capture_on_commit_callbacks):
    program, user = clerk
    # given two lists, one sent through the page and one through the API
    page_list = farmer_list(corpus.ID_A)
    api_list = farmer_list(corpus.ID_B)
    page_upload(user, program, django_capture_on_commit_callbacks, farmer_list=SimpleUploadedFile("p.csv", page_list))
    response = api_upload(user, program, farmer_list=SimpleUploadedFile("a.csv", api_list))
    # then each went through a job, decided the same way
    assert response.status_code == 201, response.json()
    page_job, api_job = UploadJob.objects.order_by("id")
    assert (page_job.file_name, api_job.file_name) == ("p.csv", "a.csv")
    assert api_job.batch_id == response.json()["id"]
    assert job_shape(page_job) == job_shape(api_job)
    assert job_shape(api_job)["state"] == "done" and job_shape(api_job)["keeps_the_batchs_list"]
    # and only the batches' own files are kept
    kept = set(StoredFile.objects.values_list("pk", flat=True))
    assert kept == set(Batch.objects.values_list("farmer_list_id", flat=True))


def test_a_list_the_api_refuses_is_the_jobs_refusal(clerk):
    program, user = clerk
    content = farmer_list(corpus.ID_A, corpus.ID_B, phone="1")
    response = api_upload(user, program, farmer_list=SimpleUploadedFile("bad.csv", content))
    assert response.status_code == 400
    body = response.json()
    job = UploadJob.objects.get()
    assert (job.state, job.error_code, job.error_detail) == ("failed", body["code"], body["detail"])
    assert body["code"] == "no_valid_rows"
    assert [(e["row"], e["column"], e["code"]) for e in job.errors] == [
        (e["row"], e["column"], e["code"]) for e in body["errors"]
    ]
    assert job.farmer_list_id is None and not StoredFile.objects.exists()


def test_a_list_already_uploaded_is_refused_before_it_is_kept_again(clerk, django_capture_on_commit_callbacks):
    program, user = clerk
    content = corpus.farmer_csv_with(name="重复上传")
    first = api_upload(user, program, farmer_list=SimpleUploadedFile("list.csv", content))
    assert first.status_code == 201
    again = api_upload(user, program, farmer_list=SimpleUploadedFile("list.csv", content))
    assert again.status_code == 409
    assert (again.json()["code"], again.json()["batch"]) == ("duplicate_file", first.json()["id"])
    page = page_upload(
        user, program, django_capture_on_commit_callbacks, farmer_list=SimpleUploadedFile("list.csv", content)
    )
    assert page.status_code == 409
    assert "duplicate_file" not in page.content.decode()  # an anchor operator reads no codes
    # the refusal links to the batch that already holds the list
    assert f'href="/batches/{first.json()["id"]}/"' in page.content.decode()
    # one job (the first), and the list kept once, as the batch's file
    assert UploadJob.objects.count() == 1
    assert StoredFile.objects.count() == 1


def test_a_suspended_programme_is_refused_before_the_file_is_inspected(users, clerk):
    """The API's order of refusals stays the intake's: the programme before the file."""
    program, user = clerk
    program_suspend(program=program, actor=users["approver"], reason="审查")
    hostile = corpus.WHOLE_FILE_REFUSALS[0]
    response = api_upload(user, program, farmer_list=SimpleUploadedFile(hostile.filename, hostile.build()))
    assert response.status_code == 400
    assert response.json()["code"] == "program_suspended"
    assert not UploadJob.objects.exists() and not StoredFile.objects.exists()


def test_a_job_run_twice_decides_once(clerk):
    program, user = clerk
    content = corpus.farmer_csv_with(name="运行两次")
    job = upload_job_create(program=program, actor=user, farmer_list=Upload(content=content, name="list.csv"))
    assert job.state == "queued" and job.farmer_list is not None
    first = upload_job_run(job.pk)
    second = upload_job_run(job.pk)  # a redelivered task
    assert first.job.state == second.job.state == "done"
    assert first.batch == second.batch and Batch.objects.count() == 1
    assert second.batch_or_raise() == first.batch
