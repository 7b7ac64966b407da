"""Files made to hurt the reader: refused with a code through every upload, kept nowhere, read in little memory.

Each file of ``corpus.WHOLE_FILE_REFUSALS`` is sent as an anchor operator's farmer list (API and upload
page) and as a provider's trade and event file (API), and read by the importer in a process of its own
whose peak memory is measured. Before the upload guard, the first one aborted the process asking for
512 GiB; others took minutes or gigabytes.
"""

from __future__ import annotations

import datetime as dt
import functools
from pathlib import Path

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from core.business_date import business_date_set
from core.files import sha256_of
from core.models import StoredFile
from origination.models import Batch, UploadJob
from risk.models import MonitoringEvent, ProviderDelivery, TradeRecord
from tests.conftest import api_as
from tests.factories import make_anchor, make_anchor_operator, make_program
from tests.hostile import corpus
from tests.hostile.worker import read_in_child

MEMORY_BUDGET_MIB = 300  # the whole reading process, Django and pandas included (about 120 MiB before reading)
CASES = corpus.WHOLE_FILE_REFUSALS
IDS = [hostile.filename for hostile in CASES]
PROVIDER_CASES = [hostile for hostile in CASES if hostile.provider is not None]


@functools.cache
def content_of(filename: str) -> bytes:
    """Each file is made once per test process (the largest take a second)."""
    return next(hostile for hostile in CASES if hostile.filename == filename).build()


@pytest.fixture
def world(users):
    business_date_set(new_date=dt.date(2027, 3, 1), backwards_allowed=True)
    anchor = make_anchor(users["manager"], approver=users["approver"])
    program = make_program(anchor, users["approver"])
    operator = make_anchor_operator("operator", anchor)
    return {"anchor": anchor, "program": program, "operator": operator, "manager": users["manager"]}


def kept_nowhere(content: bytes) -> bool:
    """No row points at a stored file and the bytes are not in storage."""
    digest = sha256_of(content)
    return not StoredFile.objects.exists() and not default_storage.exists(f"files/{digest[:2]}/{digest}")


@pytest.mark.parametrize("hostile", CASES, ids=IDS)
def test_the_farmer_list_api_refuses_it_with_its_code_and_keeps_nothing(world, hostile):
    content = content_of(hostile.filename)
    client = api_as(world["operator"])
    response = client.post(
        f"/api/v1/programs/{world['program'].pk}/batches/",
        {"farmer_list": SimpleUploadedFile(hostile.filename, content)},
        format="multipart",
    )
    assert response.status_code == 400, response.content[:300]
    body = response.json()
    assert body["code"] == hostile.code
    assert body["detail"] and hostile.filename in body["detail"]
    assert not Batch.objects.exists()
    assert kept_nowhere(content)


@pytest.mark.parametrize("hostile", CASES, ids=IDS)
def test_the_upload_page_refuses_it_before_keeping_it(world, hostile, django_capture_on_commit_callbacks):
    content = content_of(hostile.filename)
    client = Client()
    client.force_login(world["operator"])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/programs/{world['program'].pk}/upload/",
            {"farmer_list": SimpleUploadedFile(hostile.filename, content)},
        )
    assert response.status_code == 400
    page = response.content.decode()
    assert 'data-testid="upload-error"' in page
    # the anchor's clerk reads the reason, never the code (the API's test below checks the code per file)
    assert hostile.code not in page
    assert not UploadJob.objects.exists() and not Batch.objects.exists()
    assert kept_nowhere(content)


@pytest.mark.parametrize("hostile", PROVIDER_CASES, ids=[hostile.filename for hostile in PROVIDER_CASES])
def test_the_trade_import_refuses_it_and_keeps_nothing(world, hostile):
    content = content_of(hostile.filename)
    response = api_as(world["manager"]).post(
        "/api/v1/trade-records/import/",
        {"anchor": world["anchor"].pk, "file": SimpleUploadedFile(hostile.filename, content)},
        format="multipart",
    )
    assert response.status_code == 400
    assert response.json()["code"] == hostile.provider
    assert not TradeRecord.objects.exists() and not ProviderDelivery.objects.exists()
    assert kept_nowhere(content)


@pytest.mark.parametrize("hostile", PROVIDER_CASES, ids=[hostile.filename for hostile in PROVIDER_CASES])
def test_the_event_import_refuses_it_and_keeps_nothing(world, hostile):
    content = content_of(hostile.filename)
    response = api_as(world["manager"]).post(
        "/api/v1/monitoring-events/import/",
        {"file": SimpleUploadedFile(hostile.filename, content)},
        format="multipart",
    )
    assert response.status_code == 400
    assert response.json()["code"] == hostile.provider
    assert not MonitoringEvent.objects.exists() and not ProviderDelivery.objects.exists()
    assert kept_nowhere(content)


@pytest.fixture(scope="module")
def hostile_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("hostile")


@pytest.mark.slow
@pytest.mark.parametrize("hostile", CASES, ids=IDS)
def test_reading_it_takes_little_memory_and_time(hostile, hostile_folder):
    """The importer, in a process of its own whose address space is capped at 8 GiB, as the server reads it."""
    path = hostile_folder / hostile.filename
    path.write_bytes(content_of(hostile.filename))
    reading = read_in_child("farmers", path)
    assert reading.outcome == hostile.code
    assert reading.peak_mib < MEMORY_BUDGET_MIB, reading
    assert reading.seconds < 30, reading
