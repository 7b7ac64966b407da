"""The pages of the core's debit files: upload with the result, the files received, a file's debits."""

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from core.business_date import business_date_get
from corebank.models import Debit
from postloan.cob import close_business_days
from tests.corebank.debits import debit_csv, lending_loans

pytestmark = pytest.mark.django_db
D = dt.date


def client_for(user):
    client = Client()
    client.force_login(user)
    return client


def test_an_administrator_sends_a_file_and_sees_its_debits_applied_and_refunded(users):
    loan = lending_loans(users)[0]
    close_business_days(to=D(2027, 3, 20))
    admin = client_for(users["admin"])
    home = admin.get("/").content.decode()
    assert "/operations/core-debits/" in home  # reachable from the menu
    day = business_date_get().isoformat()
    upload = SimpleUploadedFile("扣款.csv", debit_csv([(loan.pk, day, "100500.00", "BIG1")], encoding="gbk"))
    page = admin.post("/operations/core-debits/", {"file": upload}).content.decode()
    assert 'data-testid="debits-result"' in page
    debit = Debit.objects.get(reference="BIG1")
    file_page = admin.get(f"/operations/core-debits/{debit.file_id}/").content.decode()
    assert "BIG1" in file_page and debit.file.sha256 in file_page
    close_business_days(to=D(2027, 3, 21))
    file_page = admin.get(f"/operations/core-debits/{debit.file_id}/").content.decode()
    assert 'data-state="partly_applied"' in file_page and "306.67" in file_page
    listing = admin.get("/operations/core-debits/").content.decode()
    assert 'data-testid="debit-refunds"' in listing and "306.67" in listing


def test_a_bad_file_shows_its_rows_and_nothing_is_kept(users):
    loan = lending_loans(users)[0]
    upload = SimpleUploadedFile("d.csv", debit_csv([(loan.pk, "2027-03-01", "5.00", "W1"), (loan.pk, "", "1", "W2")]))
    page = client_for(users["admin"]).post("/operations/core-debits/", {"file": upload}).content.decode()
    assert 'data-error-code="wrong_value_date"' in page and 'data-error-code="required"' in page
    assert "入账日期" in page
    assert not Debit.objects.exists()


def test_a_branch_manager_reads_but_may_not_send_and_others_may_not_see(users):
    leader = client_for(users["leader"])
    page = leader.get("/operations/core-debits/")
    assert page.status_code == 200 and 'data-testid="debits-upload"' not in page.content.decode()
    upload = SimpleUploadedFile("d.csv", debit_csv([]))
    leader.post("/operations/core-debits/", {"file": upload})
    assert not Debit.objects.exists()
    assert client_for(users["manager"]).get("/operations/core-debits/").status_code == 403
