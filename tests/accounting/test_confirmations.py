"""放款确认: the core's answer sets each loan's disbursement reference, all or nothing per file."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from accounting.confirmations import confirmations_import
from accounting.instructions import instruction_file_generate
from accounting.models import ConfirmationFile, DisbursementInstruction
from core.errors import DomainError
from core.models import StoredFile
from origination.services.drawdown import loan_disburse
from tests.accounting.helpers import confirmation_csv
from tests.factories import SOUND_BOOK_DAY

DAY = SOUND_BOOK_DAY


@pytest.fixture
def two(world):
    """Two loans of the day, both in the day's instruction file."""
    second = loan_disburse(
        credit_limit=world["limit"], amount=Decimal("2000.00"), term_months=3, actor=world["users"]["manager"]
    )
    instruction_file_generate(day=DAY, actor=world["users"]["admin"])
    first = DisbursementInstruction.objects.get(loan=world["loan"])
    other = DisbursementInstruction.objects.get(loan=second)
    return world, first, other


def _import(world, rows, **kwargs):
    return confirmations_import(
        content=confirmation_csv(rows, **kwargs), filename="确认.csv", actor=world["users"]["admin"]
    )


def test_accepted_rows_set_the_core_reference_and_rejected_ones_the_reason(two):
    world, first, other = two
    result = _import(
        world,
        [
            (first.number, first.loan_id, "CB20270615001", "50000.00", "accepted", DAY),
            (other.number, other.loan_id, "", "2000", "失败", DAY, "账户冻结"),
        ],
        encoding="gbk",
    )

    assert (result.file.accepted, result.file.rejected, result.file.unchanged) == (1, 1, 0)
    first.refresh_from_db()
    other.refresh_from_db()
    assert (first.status, first.core_reference, first.confirmed_amount) == ("accepted", "CB20270615001", 50000)
    assert world["loan"].disbursement_instruction.core_reference == "CB20270615001"
    assert (other.status, other.reason, other.core_reference) == ("rejected", "账户冻结", "")
    assert result.file.stored_file.sha256 == result.file.sha256


def test_the_same_confirmation_again_changes_nothing(two):
    world, first, _other = two
    rows = [(first.number, first.loan_id, "CB1", "50000.00", "accepted", DAY)]
    _import(world, rows)
    again = _import(world, rows)
    assert (again.file.accepted, again.file.rejected, again.file.unchanged) == (0, 0, 1)


def test_a_rejected_instruction_may_be_paid_out_later(two):
    world, first, _other = two
    _import(world, [(first.number, first.loan_id, "", "50000.00", "rejected", DAY, "户名不符")])
    _import(world, [(first.number, first.loan_id, "CB2", "50000.00", "accepted", DAY)])
    first.refresh_from_db()
    assert (first.status, first.core_reference) == ("accepted", "CB2")


def test_each_mismatch_is_refused_with_its_row_code_and_nothing_is_applied(two):
    world, first, other = two
    _import(world, [(other.number, other.loan_id, "CB-OTHER", "2000.00", "accepted", DAY)])
    files_before = StoredFile.objects.count()

    with pytest.raises(DomainError) as refused:
        _import(
            world,
            [
                (first.number, first.loan_id, "CB9", "50000.00", "accepted", DAY),  # good on its own
                ("FK20270615999999", first.loan_id, "CB8", "1.00", "accepted", DAY),
                (first.number, other.loan_id, "CB9", "50000.00", "accepted", DAY),
                (other.number, other.loan_id, "CB-NEW", "2000.00", "accepted", DAY),
                (first.number, first.loan_id, "CB9", "49999.99", "accepted", DAY),
                (first.number, first.loan_id, "CB9", "50000.00", "maybe", DAY + dt.timedelta(days=1)),
                (first.number, first.loan_id, "", "50000.00", "accepted", DAY),
            ],
        )

    error = refused.value
    assert (error.code, error.status) == ("file_rejected", 400)
    codes = {(e["row"], e["column"], e["code"]) for e in error.extra["errors"]}
    assert (3, "instruction_no", "unknown_instruction") in codes
    assert (4, "loan_id", "loan_mismatch") in codes
    assert (4, "instruction_no", "duplicate_in_file") in codes
    assert (5, "core_reference", "already_confirmed") in codes
    assert (6, "confirmed_amount", "amount_mismatch") in codes
    assert (7, "status", "invalid_result") in codes
    assert (7, "processed_on", "date_out_of_range") in codes  # after the business date
    assert (8, "core_reference", "required") in codes
    assert all(e["detail"] for e in error.extra["errors"])
    assert 2 not in {e["row"] for e in error.extra["errors"]}
    first.refresh_from_db()
    assert (first.status, first.core_reference) == ("pending", "")  # its good row was not applied either
    assert ConfirmationFile.objects.count() == 1
    assert StoredFile.objects.count() == files_before


def test_a_file_without_the_columns_is_refused_as_a_whole(two):
    world, _first, _other = two
    with pytest.raises(DomainError) as refused:
        confirmations_import(content=b"a,b\n1,2\n", filename="x.csv", actor=world["users"]["admin"])
    assert refused.value.code in {"no_header", "missing_columns"}


def test_an_xlsx_with_english_headers_is_read_like_the_csv(two):
    from core.exports import xlsx_bytes

    world, first, other = two
    content = xlsx_bytes(
        ["instruction_no", "loan_id", "core_reference", "confirmed_amount", "status", "processed_on"],
        [
            [first.number, first.loan_id, "CB-X1", "50000.00", "accepted", DAY],
            [other.number, other.loan_id, "CB-X2", "2,000.00", "成功", DAY.isoformat()],
        ],
    )
    result = confirmations_import(content=content, filename="confirm.xlsx", actor=world["users"]["admin"])
    assert (result.file.accepted, result.file.rejected) == (2, 0)
    assert set(DisbursementInstruction.objects.values_list("core_reference", flat=True)) == {"CB-X1", "CB-X2"}


def test_the_loan_page_shows_the_core_disbursement_and_its_reference(two, client):
    world, first, other = two
    _import(world, [(first.number, first.loan_id, "CB20270615001", "50000.00", "accepted", DAY)])
    client.force_login(world["users"]["manager"])
    confirmed = client.get(f"/loans/{first.loan_id}/").content.decode()
    waiting = client.get(f"/loans/{other.loan_id}/").content.decode()
    assert 'data-testid="core-disbursement"' in confirmed and "CB20270615001" in confirmed
    assert 'data-testid="core-disbursement"' in waiting and "CB20270615001" not in waiting
