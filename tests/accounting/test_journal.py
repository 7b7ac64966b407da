"""总账凭证: each closed day's ledger as double entries, balanced to the fen, the same bytes when exported again."""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import hashlib
import io
from collections import defaultdict
from decimal import Decimal

import pytest

from accounting.chart import ACCOUNTS, COMPENSATION_RECEIVABLE, LOANS, POSTINGS
from accounting.journal import Movement, journal_build, journal_check_balanced, journal_file_generate
from accounting.models import JournalFile
from core.business_date import business_date_set
from core.errors import DomainError
from core.models import StoredFile
from origination.models import LoanEntry
from postloan import cob
from servicing.services.repayments import repayment_record
from tests.factories import SOUND_BOOK_DAY

DAY = SOUND_BOOK_DAY


def _lines(record: JournalFile) -> list[dict[str, str]]:
    text = record.stored_file.content.open("rb").read().decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text)))


def _net_by_account(lines: list[dict[str, str]]) -> dict[str, Decimal]:
    net: dict[str, Decimal] = defaultdict(Decimal)
    for line in lines:
        net[line["科目代码"]] += Decimal(line["借方金额"]) - Decimal(line["贷方金额"])
    return net


def test_a_days_journal_balances_and_its_loans_account_moves_with_the_book(world):
    manager, admin = world["users"]["manager"], world["users"]["admin"]
    cob.close_business_days(to=DAY + dt.timedelta(days=1))
    # on the 16th the farmer repays: accrued interest first, the rest to principal
    repayment_record(loan=world["loan"], amount=Decimal("10000.00"), actor=manager)
    cob.close_business_days(to=DAY + dt.timedelta(days=6))  # through the 20th: interest charged

    outstanding = Decimal(0)  # the world's loan was drawn on DAY
    kinds_seen = set()
    for day in (DAY + dt.timedelta(days=n) for n in range(6)):
        record = journal_file_generate(day=day, actor=admin)
        lines = _lines(record)
        debits = sum((Decimal(line["借方金额"]) for line in lines), Decimal(0))
        credits = sum((Decimal(line["贷方金额"]) for line in lines), Decimal(0))
        assert debits == credits == record.total_debit == record.total_credit
        outstanding += _net_by_account(lines).get(LOANS.code, Decimal(0))
        kinds_seen |= {line["业务类型"] for line in lines}
    world["loan"].refresh_from_db()
    assert outstanding == world["loan"].principal_outstanding
    assert Decimal("40000.00") < outstanding < Decimal("50000.00")
    assert {"loan:disbursement", "margin:deposit", "loan:repaid_principal", "loan:interest_charge"} <= kinds_seen


def test_the_same_day_exported_twice_gives_the_same_record_and_bytes_with_its_sha256(world):
    admin = world["users"]["admin"]
    business_date_set(new_date=DAY + dt.timedelta(days=1), backwards_allowed=False)

    first = journal_file_generate(day=DAY, actor=admin)
    first_bytes = first.stored_file.content.open("rb").read()
    again = journal_file_generate(day=DAY, actor=admin)

    assert again.pk == first.pk
    assert again.stored_file.content.open("rb").read() == first_bytes
    assert first.sha256 == hashlib.sha256(first_bytes).hexdigest()
    assert b"\r\n" in first_bytes and first_bytes.startswith("\ufeff凭证日期".encode())
    [disbursement_debit, disbursement_credit] = [
        line for line in _lines(first) if line["业务类型"] == "loan:disbursement"
    ]
    assert (disbursement_debit["科目代码"], disbursement_debit["借方金额"]) == ("130101", "50000.00")
    assert (disbursement_credit["科目代码"], disbursement_credit["贷方金额"]) == ("201101", "50000.00")
    assert disbursement_debit["凭证号"] == disbursement_credit["凭证号"]


def test_a_ledger_changed_after_the_export_is_refused_not_sent_again(world):
    admin = world["users"]["admin"]
    business_date_set(new_date=DAY + dt.timedelta(days=1), backwards_allowed=False)
    kept = journal_file_generate(day=DAY, actor=admin)
    LoanEntry.objects.create(loan=world["loan"], business_date=DAY, kind="repaid_interest", amount=Decimal("1.00"))

    with pytest.raises(DomainError) as refused:
        journal_file_generate(day=DAY, actor=admin)

    assert (refused.value.code, refused.value.status) == ("file_changed", 409)
    assert JournalFile.objects.get().sha256 == kept.sha256


def test_an_unmapped_kind_refuses_the_export_loudly(world):
    admin = world["users"]["admin"]
    business_date_set(new_date=DAY + dt.timedelta(days=1), backwards_allowed=False)
    files_before = StoredFile.objects.count()
    # a kind another part of the product may add (a write-off) before the chart maps it
    LoanEntry.objects.create(loan=world["loan"], business_date=DAY, kind="written_off", amount=Decimal("5.00"))

    with pytest.raises(DomainError) as refused:
        journal_file_generate(day=DAY, actor=admin)

    assert refused.value.code == "unmapped_ledger_kind"
    assert refused.value.extra["kinds"] == ["loan:written_off"]
    assert "loan:written_off" in refused.value.detail
    assert not JournalFile.objects.exists()
    assert StoredFile.objects.count() == files_before


def test_a_day_not_closed_has_no_journal_yet(world):
    with pytest.raises(DomainError) as refused:
        journal_file_generate(day=DAY, actor=world["users"]["admin"])
    assert refused.value.code == "day_not_closed"
    with pytest.raises(DomainError) as denied:
        journal_file_generate(day=DAY - dt.timedelta(days=1), actor=world["users"]["manager"])
    assert denied.value.code == "permission_denied"


def test_compensation_and_its_margin_deduction_net_to_nothing_on_the_receivable():
    movements = [
        Movement("OA", 1, "loan", "compensated_interest", Decimal("120.50")),
        Movement("OA", 1, "loan", "compensated_penalty", Decimal("3.21")),
        Movement("OA", 1, "loan", "compensated_principal", Decimal("5000.00")),
        Movement("OA", 1, "margin", "deduction", Decimal("5123.71")),
    ]
    journal = journal_build(DAY, movements)
    net: dict[str, Decimal] = defaultdict(Decimal)
    for row in journal.rows:
        net[row[5]] += row[7] - row[8]
    assert net[COMPENSATION_RECEIVABLE.code] == 0
    assert net[LOANS.code] == Decimal("-5000.00")
    assert journal.total_debit == journal.total_credit == Decimal("10247.42")


def test_an_unbalanced_journal_is_refused():
    journal = journal_build(DAY, [Movement("OA", 1, "loan", "disbursement", Decimal("100.00"))])
    journal.rows[1][8] = Decimal("99.99")
    with pytest.raises(DomainError) as refused:
        journal_check_balanced(dataclasses.replace(journal, total_credit=Decimal("99.99")))
    assert refused.value.code == "journal_unbalanced"


def test_every_posting_uses_two_different_accounts_of_the_chart():
    codes = {account.code for account in ACCOUNTS}
    assert len(codes) == len(ACCOUNTS)
    for posting in POSTINGS.values():
        assert {posting.debit.code, posting.credit.code} <= codes
        assert posting.debit != posting.credit
