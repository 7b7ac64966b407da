"""The core's debit file: every row code, all or nothing, duplicates by reference, GBK and XLSX, the API."""

import datetime as dt
import hashlib
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from core.audit import AuditAction
from core.business_date import business_date_get
from core.errors import DomainError
from core.models import AuditEvent
from corebank.debit_files import debit_file_import
from corebank.models import Debit, DebitFile
from tests.conftest import api_as
from tests.corebank.debits import debit_csv, debit_xlsx, lending_loans

pytestmark = pytest.mark.django_db


@pytest.fixture
def loans(users):
    return lending_loans(users, amounts=("100000.00", "50000.00"))


def today():
    return business_date_get().isoformat()


def rejected(content, users, name="debits.csv"):
    with pytest.raises(DomainError) as caught:
        debit_file_import(content=content, filename=name, actor=users["admin"])
    assert caught.value.code == "file_rejected"
    return [(error["row"], error["column"], error["code"]) for error in caught.value.extra["errors"]]


def test_a_good_file_is_kept_with_its_sha256_and_waits_for_the_close(users, loans):
    content = debit_csv([(loans[0].pk, today(), "193.33", "C001"), (loans[1].pk, today(), "1,000.00", "C002")])
    result = debit_file_import(content=content, filename="debits.csv", actor=users["admin"])
    assert result.as_dict() == {"accepted": 2, "duplicates": 0}
    assert result.file.sha256 == hashlib.sha256(content).hexdigest()
    assert result.file.size == len(content) and result.file.business_date == business_date_get()
    debits = list(Debit.objects.order_by("row").values_list("row", "loan_id", "amount", "reference", "state"))
    assert debits == [
        (2, loans[0].pk, Decimal("193.33"), "C001", "pending"),
        (3, loans[1].pk, Decimal("1000.00"), "C002", "pending"),
    ]
    assert AuditEvent.objects.filter(action=AuditAction.CORE_DEBITS_IMPORT).count() == 1


def test_every_row_code_refuses_the_whole_file_and_nothing_is_kept(users, loans):
    debit_file_import(
        content=debit_csv([(loans[0].pk, today(), "10.00", "KEPT")]), filename="first.csv", actor=users["admin"]
    )
    other_day = (business_date_get() - dt.timedelta(days=1)).isoformat()
    rows = [
        (loans[0].pk, today(), "5.00", "GOOD"),  # row 2: good, yet not kept
        (loans[0].pk, other_day, "5.00", "R3"),  # wrong_value_date
        (999999, today(), "5.00", "R4"),  # unknown_loan (no such loan)
        ("abc", today(), "5.00", "R5"),  # unknown_loan (not a loan number)
        (loans[0].pk, today(), "0", "R6"),  # invalid_amount (zero)
        (loans[0].pk, today(), "-5", "R7"),  # invalid_amount (negative)
        (loans[0].pk, today(), "five", "R8"),  # invalid_amount (no number)
        (loans[0].pk, today(), "11.00", "KEPT"),  # conflicting_duplicate (kept with 10.00)
        (loans[1].pk, today(), "5.00", "GOOD"),  # conflicting_duplicate (row 2 holds another loan)
        (loans[0].pk, "", "5.00", "R11"),  # required
        (loans[0].pk, "2027-02-30", "5.00", "R12"),  # invalid_date
    ]
    errors = rejected(debit_csv(rows), users)
    assert errors == [
        (3, "value_date", "wrong_value_date"),
        (4, "loan", "unknown_loan"),
        (5, "loan", "unknown_loan"),
        (6, "amount", "invalid_amount"),
        (7, "amount", "invalid_amount"),
        (8, "amount", "invalid_amount"),
        (9, "reference", "conflicting_duplicate"),
        (10, "reference", "conflicting_duplicate"),
        (11, "value_date", "required"),
        (12, "value_date", "invalid_date"),
    ]
    assert list(Debit.objects.values_list("reference", flat=True)) == ["KEPT"]
    assert DebitFile.objects.count() == 1


def test_the_same_file_twice_is_all_duplicates_and_repeats_in_a_file_count_once(users, loans):
    rows = [
        (loans[0].pk, today(), "10.00", "A1"),
        (loans[0].pk, today(), "10.00", "A1"),
        (loans[1].pk, today(), "3", "A2"),
    ]
    first = debit_file_import(content=debit_csv(rows), filename="d.csv", actor=users["admin"])
    assert first.as_dict() == {"accepted": 2, "duplicates": 1}
    again = debit_file_import(content=debit_csv(rows), filename="d.csv", actor=users["admin"])
    assert again.as_dict() == {"accepted": 0, "duplicates": 3}
    assert Debit.objects.count() == 2 and DebitFile.objects.count() == 2  # every delivery is kept


def test_gbk_csv_and_xlsx_with_either_header(users, loans):
    gbk = debit_csv([(loans[0].pk, today(), "100万", "G1")], encoding="gbk")
    assert debit_file_import(content=gbk, filename="gbk.csv", actor=users["admin"]).as_dict()["accepted"] == 1
    xlsx = debit_xlsx(
        [(loans[1].pk, business_date_get(), 12.5, "X1")], header=("loan", "value_date", "amount", "reference")
    )
    assert debit_file_import(content=xlsx, filename="d.xlsx", actor=users["admin"]).as_dict()["accepted"] == 1
    amounts = dict(Debit.objects.values_list("reference", "amount"))
    assert amounts == {"G1": Decimal("1000000.00"), "X1": Decimal("12.50")}


def test_the_api_answers_the_contract(users, loans):
    upload = SimpleUploadedFile("d.csv", debit_csv([(loans[0].pk, today(), "5.00", "P1")]))
    response = api_as(users["admin"]).post("/api/v1/core/repayments/import/", {"file": upload}, format="multipart")
    assert response.status_code == 200, response.json()
    assert response.json()["accepted"] == 1 and response.json()["duplicates"] == 0
    bad = SimpleUploadedFile("d.csv", debit_csv([(loans[0].pk, today(), "0", "P2")]))
    response = api_as(users["admin"]).post("/api/v1/core/repayments/import/", {"file": bad}, format="multipart")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "file_rejected"
    assert body["errors"] == [
        {"row": 2, "column": "amount", "code": "invalid_amount", "detail": body["errors"][0]["detail"]}
    ]
    assert not Debit.objects.filter(reference="P2").exists()


@pytest.mark.parametrize("role", ["manager", "approver", "leader"])
def test_only_bank_operations_may_send_the_file(users, loans, role):
    upload = SimpleUploadedFile("d.csv", debit_csv([(loans[0].pk, today(), "5.00", "P1")]))
    response = api_as(users[role]).post("/api/v1/core/repayments/import/", {"file": upload}, format="multipart")
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"
    assert not Debit.objects.exists()
