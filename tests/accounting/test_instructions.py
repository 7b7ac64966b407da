"""放款指令: one file per business date of every loan drawn without an instruction, the same bytes ever after."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
from decimal import Decimal

import pytest

from accounting.instructions import instruction_file_generate
from accounting.models import DisbursementInstruction, InstructionFile
from core.business_date import business_date_set
from core.errors import DomainError
from origination.services.drawdown import loan_disburse
from tests.factories import SOUND_BOOK_DAY


def _rows(record: InstructionFile) -> list[dict[str, str]]:
    text = record.stored_file.content.open("rb").read().decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text)))


def test_a_drawdown_becomes_a_numbered_line_of_its_dates_file_kept_with_its_sha256(world):
    admin = world["users"]["admin"]
    loan = world["loan"]

    record = instruction_file_generate(day=SOUND_BOOK_DAY, actor=admin)

    content = record.stored_file.content.open("rb").read()
    assert record.sha256 == hashlib.sha256(content).hexdigest() == record.stored_file.sha256
    assert content.startswith("\ufeff指令编号,贷款编号".encode())
    assert (record.lines, record.total) == (1, Decimal("50000.00"))
    [row] = _rows(record)
    assert row["指令编号"] == "FK20270615000001"
    assert row["贷款编号"] == str(loan.pk)
    assert row["证件号码"] == world["farmer"].id_number  # the core finds the account by the full number
    assert (row["放款金额"], row["起息日"], row["证件类型"]) == ("50000.00", "2027-06-15", "01")
    assert row["合作方案编号"] == str(world["program"].pk)
    instruction = DisbursementInstruction.objects.get(loan=loan)
    assert (instruction.number, instruction.status, instruction.file_id) == ("FK20270615000001", "pending", record.pk)


def test_the_same_date_again_gives_the_same_record_and_bytes(world):
    admin = world["users"]["admin"]
    first = instruction_file_generate(day=SOUND_BOOK_DAY, actor=admin)
    first_bytes = first.stored_file.content.open("rb").read()

    # a loan drawn later the same day goes into the next date's file, not into this one
    manager = world["users"]["manager"]
    loan_disburse(credit_limit=world["limit"], amount=Decimal("1000.00"), term_months=3, actor=manager)
    again = instruction_file_generate(day=SOUND_BOOK_DAY, actor=admin)

    assert again.pk == first.pk
    assert again.stored_file.content.open("rb").read() == first_bytes
    assert InstructionFile.objects.count() == 1
    business_date_set(new_date=SOUND_BOOK_DAY + dt.timedelta(days=1), backwards_allowed=False)
    following = instruction_file_generate(day=SOUND_BOOK_DAY + dt.timedelta(days=1), actor=admin)
    [row] = _rows(following)
    assert (row["指令编号"], row["放款金额"], row["起息日"]) == ("FK20270616000001", "1000.00", "2027-06-15")


def test_future_and_superseded_dates_are_refused(world):
    admin = world["users"]["admin"]
    with pytest.raises(DomainError) as future:
        instruction_file_generate(day=SOUND_BOOK_DAY + dt.timedelta(days=1), actor=admin)
    assert future.value.code == "date_in_future"
    instruction_file_generate(day=SOUND_BOOK_DAY, actor=admin)
    with pytest.raises(DomainError) as superseded:
        instruction_file_generate(day=SOUND_BOOK_DAY - dt.timedelta(days=1), actor=admin)
    assert superseded.value.code == "date_superseded"


def test_an_account_manager_may_not_make_the_file(world):
    with pytest.raises(DomainError) as refused:
        instruction_file_generate(day=SOUND_BOOK_DAY, actor=world["users"]["manager"])
    assert (refused.value.code, refused.value.status) == ("permission_denied", 403)
    assert not InstructionFile.objects.exists()
