"""The page and the API of the files exchanged with the core: in Chinese, refusals with a code, never a 500."""

from __future__ import annotations

import datetime as dt

from django.core.files.uploadedfile import SimpleUploadedFile

from accounting.models import DisbursementInstruction, InstructionFile, JournalFile
from core.business_date import business_date_set
from core.models import AuditEvent
from tests.accounting.helpers import confirmation_csv
from tests.conftest import api_as
from tests.factories import SOUND_BOOK_DAY

DAY = SOUND_BOOK_DAY


def _login(client, user):
    client.force_login(user)


def test_the_page_makes_the_files_and_masks_the_borrower(client, world):
    admin = world["users"]["admin"]
    _login(client, admin)

    response = client.post("/operations/core-files/instructions/", {"business_date": DAY.isoformat()}, follow=True)

    assert response.status_code == 200
    page = response.content.decode()
    assert 'data-testid="instructions-generate"' in page
    farmer = world["farmer"]
    assert farmer.id_number not in page and farmer.name not in page  # masked on the page
    record = InstructionFile.objects.get()
    download = client.get(f"/operations/core-files/instructions/{record.pk}/")
    assert download.status_code == 200
    assert download.content == record.stored_file.content.open("rb").read()
    assert AuditEvent.objects.filter(action="instructions_export", data__download=True).count() == 1


def test_the_page_shows_the_refused_rows_of_a_confirmation_file(client, world):
    admin = world["users"]["admin"]
    _login(client, admin)
    client.post("/operations/core-files/instructions/", {"business_date": DAY.isoformat()})
    instruction = DisbursementInstruction.objects.get()
    bad = confirmation_csv([(instruction.number, world["loan"].pk, "CB1", "1.00", "accepted", DAY)])

    response = client.post(
        "/operations/core-files/confirmations/", {"file": SimpleUploadedFile("确认.csv", bad)}, follow=True
    )

    assert response.status_code == 200
    assert 'data-error-code="amount_mismatch"' in response.content.decode()
    assert "确认金额" in response.content.decode()
    instruction.refresh_from_db()
    assert instruction.status == "pending"


def test_a_journal_of_a_day_not_closed_is_a_refusal_page_not_an_error(client, world):
    _login(client, world["users"]["admin"])
    response = client.post("/operations/core-files/journal/", {"business_date": DAY.isoformat()})
    assert response.status_code == 400
    assert not JournalFile.objects.exists()
    bad_date = client.post("/operations/core-files/journal/", {"business_date": "not a date"})
    assert bad_date.status_code == 400


def test_an_account_manager_is_refused_the_page(client, world):
    _login(client, world["users"]["manager"])
    assert client.get("/operations/core-files/").status_code == 403


def test_the_api_makes_downloads_and_confirms(world):
    admin = world["users"]["admin"]
    api = api_as(admin)

    made = api.post("/api/v1/disbursement-instruction-files/", {"business_date": DAY.isoformat()}, format="json")
    assert made.status_code == 200
    assert made.json()["lines"] == 1
    again = api.post("/api/v1/disbursement-instruction-files/", {"business_date": DAY.isoformat()}, format="json")
    assert again.json() == made.json()
    download = api.get(f"/api/v1/disbursement-instruction-files/{made.json()['id']}/download/")
    assert download["X-SHA256"] == made.json()["sha256"]

    instruction = DisbursementInstruction.objects.get()
    content = confirmation_csv([(instruction.number, world["loan"].pk, "CB9", "50000.00", "accepted", DAY)])
    confirmed = api.post(
        "/api/v1/disbursement-confirmations/import/", {"file": SimpleUploadedFile("c.csv", content)}, format="multipart"
    )
    assert confirmed.status_code == 200
    assert confirmed.json()["accepted"] == 1
    listed = api.get("/api/v1/disbursement-instructions/", {"loan": world["loan"].pk}).json()["results"]
    assert [(row["status"], row["core_reference"]) for row in listed] == [("accepted", "CB9")]

    refused = api.post(
        "/api/v1/disbursement-confirmations/import/",
        {"file": SimpleUploadedFile("c.csv", content.replace(b"CB9", b"CB8"))},
        format="multipart",
    )
    assert refused.status_code == 400
    assert refused.json()["code"] == "file_rejected"
    assert refused.json()["errors"][0]["code"] == "already_confirmed"

    not_closed = api.post("/api/v1/journal-files/", {"business_date": DAY.isoformat()}, format="json")
    assert (not_closed.status_code, not_closed.json()["code"]) == (400, "day_not_closed")
    business_date_set(new_date=DAY + dt.timedelta(days=1), backwards_allowed=False)
    journal = api.post("/api/v1/journal-files/", {"business_date": DAY.isoformat()}, format="json")
    assert journal.status_code == 200
    assert journal.json()["total_debit"] == journal.json()["total_credit"]


def test_the_api_refuses_other_roles(world):
    api = api_as(world["users"]["manager"])
    response = api.get("/api/v1/journal-files/")
    assert (response.status_code, response.json()["code"]) == (403, "permission_denied")
