"""The core system's settlement-account files: codes of refused rows, duplicates, all or nothing, chunks."""

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.files.storage import default_storage

from core.business_date import business_date_set
from core.errors import DomainError
from core.files import sha256_of
from core.masking import pii_hash
from core.models import StoredFile
from risk.models import AccountBalance, AccountDelivery, AccountTransaction
from risk.services.accounts import settlement_accounts_import
from tests.factories import resident_id_with_check

ID_A = resident_id_with_check("51152119700819196")
ID_B = resident_id_with_check("51018119680413303")
TXN_ZH = "账号,身份证号,交易日期,交易金额,收付方向,对方账号,对方户名,交易流水号,用途\n"
TXN_EN = "account_no,id_number,txn_date,amount,direction,counterparty_account,counterparty_name,reference,purpose\n"
BAL_ZH = "账号,身份证号,余额日期,余额\n"


@pytest.fixture
def today(db):
    business_date_set(new_date=dt.date(2027, 7, 1), backwards_allowed=True)
    return dt.date(2027, 7, 1)


def txn(
    reference: str, amount: str = "1000", direction: str = "付", day: str = "2027-06-20", other: str = "622200001"
) -> str:
    return f"6228480001,{ID_A},{day},{amount},{direction},{other},某饲料店,{reference},购饲料\n"


def import_txns(text: str, user=None):
    return settlement_accounts_import(kind="transactions", content=text.encode(), filename="流水.csv", actor=user)


def test_transactions_are_stored_hashed_with_the_file_and_its_sha256(users, today):
    content = (TXN_ZH + txn("R1") + txn("R2", '"2,500.50"', "收", other="")).encode()
    result = settlement_accounts_import(
        kind="transactions", content=content, filename="流水.csv", actor=users["manager"]
    )
    assert (result.rows, result.created, result.duplicates) == (2, 2, 0)
    first, second = AccountTransaction.objects.order_by("reference")
    assert first.id_hash == pii_hash(ID_A) and ID_A not in str(first.__dict__)
    assert (first.direction, first.amount, first.counterparty_account, first.purpose) == (
        "out",
        Decimal("1000.00"),
        "622200001",
        "购饲料",
    )
    assert (second.direction, second.amount, second.counterparty_account) == ("in", Decimal("2500.50"), "")
    delivery = AccountDelivery.objects.get(pk=result.delivery_id)
    assert delivery.sha256 == sha256_of(content) and delivery.kind == "transactions"
    with default_storage.open(delivery.file.content.name, "rb") as kept:
        assert kept.read() == content


def test_english_headers_and_balances(users, today):
    result = import_txns(TXN_EN + f"6228480001,{ID_A},2027-06-20,100,out,,,E1,\n", users["manager"])
    assert result.created == 1
    balances = (BAL_ZH + f"6228480001,{ID_A},2027-06-30,1200.00\n6228480001,{ID_A},2027-06-29,0\n").encode()
    done = settlement_accounts_import(kind="balances", content=balances, filename="余额.csv", actor=users["manager"])
    assert done.created == 2
    assert list(AccountBalance.objects.order_by("balance_date").values_list("balance", flat=True)) == [
        Decimal("0.00"),
        Decimal("1200.00"),
    ]


def test_each_bad_cell_has_its_code_and_nothing_of_the_file_is_kept(users, today):
    bad = (
        TXN_ZH
        + txn("OK1")
        + f"12AB,{ID_A},2027-06-20,100,付,,,X1,\n"  # account
        + "6228480001,123,2027-06-20,100,付,,,X2,\n"  # identity
        + f"6228480001,{ID_A},2027-13-01,100,付,,,X3,\n"  # date
        + f"6228480001,{ID_A},2027-06-20,0,付,,,X4,\n"  # zero amount
        + f"6228480001,{ID_A},2027-06-20,-5,付,,,X5,\n"  # negative
        + f"6228480001,{ID_A},2027-06-20,100,横,,,X6,\n"  # direction
        + f"6228480001,{ID_A},2027-06-20,100,付,,,,\n"  # reference missing
        + f"6228480001,{ID_A},2027-06-20,100,付,abc,,X8,\n"  # counterparty account
    )
    files_before = StoredFile.objects.count()
    with pytest.raises(DomainError) as refused:
        import_txns(bad, users["manager"])
    assert refused.value.code == "file_rejected" and refused.value.status == 400
    codes = [(e["row"], e["column"], e["code"]) for e in refused.value.extra["errors"]]
    assert codes == [
        (3, "account_no", "invalid_account_number"),
        (4, "id_number", "invalid_id_format"),
        (5, "txn_date", "invalid_date"),
        (6, "amount", "invalid_amount"),
        (7, "amount", "negative_amount"),
        (8, "direction", "invalid_direction"),
        (9, "reference", "required"),
        (10, "counterparty_account", "invalid_account_number"),
    ]
    assert not AccountTransaction.objects.exists() and not AccountDelivery.objects.exists()
    assert StoredFile.objects.count() == files_before


def test_a_repeat_with_the_same_content_is_a_duplicate_with_other_content_a_conflict(users, today):
    first = import_txns(TXN_ZH + txn("R1") + txn("R2") + txn("R2"), users["manager"])
    assert (first.created, first.duplicates) == (2, 1)  # R2 twice in the file, the same both times
    again = import_txns(TXN_ZH + txn("R1") + txn("R3"), users["manager"])
    assert (again.created, again.duplicates) == (1, 1)

    with pytest.raises(DomainError) as refused:
        import_txns(TXN_ZH + txn("R4") + txn("R1", amount="999"), users["manager"])
    assert refused.value.code == "file_rejected"
    assert [(e["row"], e["code"]) for e in refused.value.extra["errors"]] == [(3, "conflicting_duplicate")]
    with pytest.raises(DomainError) as inside:
        import_txns(TXN_ZH + txn("R5") + txn("R5", day="2027-06-21"), users["manager"])
    assert [(e["row"], e["code"]) for e in inside.value.extra["errors"]] == [(3, "conflicting_duplicate")]
    assert set(AccountTransaction.objects.values_list("reference", flat=True)) == {"R1", "R2", "R3"}
    assert AccountDelivery.objects.count() == 2


def test_a_file_bigger_than_a_chunk_is_read_in_slices_and_refused_whole(users, today, monkeypatch):
    monkeypatch.setattr("risk.importers.CHUNK_ROWS", 3)
    rows = "".join(txn(f"C{n}", amount=str(100 + n)) for n in range(10))
    handle = io.BytesIO((TXN_ZH + rows).encode())
    result = settlement_accounts_import(
        kind="transactions", content=handle, filename="流水.csv", actor=users["manager"]
    )
    assert result.created == 10
    assert sorted(AccountTransaction.objects.values_list("amount", flat=True)) == [Decimal(100 + n) for n in range(10)]

    # a bad row in the last slice takes back the slices copied before it
    late = "".join(txn(f"D{n}") for n in range(8)) + "6228480001,5115211970,2027-06-20,1,付,,,D9,\n"
    with pytest.raises(DomainError) as refused:
        import_txns(TXN_ZH + late, users["manager"])
    assert refused.value.extra["errors"][0]["row"] == 10
    assert not AccountTransaction.objects.filter(reference__startswith="D").exists()


def test_a_header_only_file_has_no_valid_rows(users, today):
    with pytest.raises(DomainError) as refused:
        import_txns(TXN_ZH, users["manager"])
    assert refused.value.code == "no_valid_rows"
