"""A refused upload is kept nowhere, so that "nothing was saved" is true; an accepted one is kept once.

The upload page checks size, safety and encoding before it keeps anything; what only a full reading
tells is the background job's, which removes the files it was given once it has decided. A service
that fails after writing a file to storage takes the file back out.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from core.business_date import business_date_set
from core.files import sha256_of
from core.models import StoredFile
from origination.models import Batch, UploadJob
from partners.models import HoldingImport
from postloan.dashboards import services as dashboard_services
from postloan.dashboards.services import holdings_import
from tests.conftest import api_as
from tests.factories import make_anchor, make_anchor_operator, make_program
from tests.hostile import corpus


def on_disk(content: bytes) -> bool:
    digest = sha256_of(content)
    return default_storage.exists(f"files/{digest[:2]}/{digest}")


@pytest.fixture
def clerk(users):
    business_date_set(new_date=dt.date(2027, 3, 1), backwards_allowed=True)
    anchor = make_anchor(users["manager"], approver=users["approver"])
    program = make_program(anchor, users["approver"])
    user = make_anchor_operator("clerk", anchor)
    client = Client()
    client.force_login(user)
    return client, program, user


def upload_page(client, program, django_capture_on_commit_callbacks, **files):
    with django_capture_on_commit_callbacks(execute=True):
        return client.post(f"/programs/{program.pk}/upload/", files)


def test_a_list_over_the_size_limit_is_refused_unread_and_kept_nowhere(
    clerk, settings, django_capture_on_commit_callbacks
):
    client, program, _ = clerk
    settings.UPLOAD_MAX_BYTES = 2048
    content = corpus.farmer_csv_with(name="x" * 4000)  # stands for the 60 MB list of the review
    response = upload_page(
        client, program, django_capture_on_commit_callbacks, farmer_list=SimpleUploadedFile("big.csv", content)
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "big.csv 大小为" in page and "最多接受" in page and "file_too_large" not in page
    assert not UploadJob.objects.exists() and not StoredFile.objects.exists()
    assert not on_disk(content)


def test_an_attachment_over_the_size_limit_is_refused_and_nothing_is_kept(
    clerk, settings, django_capture_on_commit_callbacks
):
    client, program, _ = clerk
    settings.UPLOAD_MAX_BYTES = 2048
    content = corpus.farmer_csv_with(name="附件过大")
    response = upload_page(
        client,
        program,
        django_capture_on_commit_callbacks,
        farmer_list=SimpleUploadedFile("list.csv", content),
        scorecard=SimpleUploadedFile("scorecard.pdf", b"%PDF" + b"0" * 4000),
    )
    assert response.status_code == 400
    assert not UploadJob.objects.exists() and not StoredFile.objects.exists()
    assert not on_disk(content)


def test_a_list_the_job_refuses_leaves_no_file_and_the_page_says_so(clerk, django_capture_on_commit_callbacks):
    client, program, _ = clerk
    content = corpus.farmer_csv_with(id_number="123", phone="1", recommended_amount="x").replace(
        corpus.ID_A.encode(), b"456"
    )
    attachment = b"%PDF-1.4 recommendation letter"
    upload_page(
        client,
        program,
        django_capture_on_commit_callbacks,
        farmer_list=SimpleUploadedFile("bad.csv", content),
        recommendation_letter=SimpleUploadedFile("letter.pdf", attachment),
    )
    job = UploadJob.objects.get()
    assert (job.state, job.error_code) == ("failed", "no_valid_rows")
    page = client.get(f"/uploads/{job.pk}/").content.decode()
    assert 'data-testid="upload-refused"' in page and "bad.csv" in page
    assert not Batch.objects.exists() and not StoredFile.objects.exists()
    assert not on_disk(content) and not on_disk(attachment)
    assert job.farmer_list_id is None and job.attachments == {}


def test_an_accepted_list_is_kept_once_as_the_batchs_file(clerk, django_capture_on_commit_callbacks):
    client, program, _ = clerk
    content = corpus.farmer_csv_with(name="接受一次")
    attachment = b"%PDF-1.4 guarantee letter"
    upload_page(
        client,
        program,
        django_capture_on_commit_callbacks,
        farmer_list=SimpleUploadedFile("list.csv", content),
        guarantee_letter=SimpleUploadedFile("guarantee.pdf", attachment),
    )
    job = UploadJob.objects.get()
    batch = Batch.objects.get()
    assert job.state == "done" and job.farmer_list_id == batch.farmer_list_id
    assert set(StoredFile.objects.values_list("pk", flat=True)) == {batch.farmer_list_id, batch.guarantee_letter_id}
    assert on_disk(content) and on_disk(attachment)


def test_a_list_whose_writing_fails_takes_its_file_out_of_storage(users, clerk, monkeypatch):
    _, program, user = clerk

    def broken(*args, **kwargs):
        raise RuntimeError("the database went away while the rows were copied")

    monkeypatch.setattr("origination.services.intake.farmers_link_anchor", broken)
    content = corpus.farmer_csv_with(name="写入失败")  # bytes no other test stores
    with pytest.raises(RuntimeError):
        api_as(user).post(
            f"/api/v1/programs/{program.pk}/batches/",
            {"farmer_list": SimpleUploadedFile("list.csv", content)},
            format="multipart",
        )
    assert not Batch.objects.exists() and not StoredFile.objects.exists()
    assert not on_disk(content)


def test_a_holdings_file_whose_import_fails_takes_its_file_out_of_storage(users, monkeypatch):
    business_date_set(new_date=dt.date(2027, 3, 1), backwards_allowed=True)

    def broken(*args, **kwargs):
        raise RuntimeError("the audit table is locked")

    monkeypatch.setattr(dashboard_services, "audit_record", broken)
    content = f"身份证号,产品代码,开通日期\n{corpus.ID_A},DEBIT_CARD,2027-01-05\n".encode()
    with pytest.raises(RuntimeError):
        holdings_import(actor=users["admin"], content=content, filename="holdings.csv")
    assert not HoldingImport.objects.exists() and not StoredFile.objects.exists()
    assert not on_disk(content)
