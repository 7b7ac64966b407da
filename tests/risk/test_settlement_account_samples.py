"""The sample settlement-account files (samples/settlement_accounts.py) import whole, in slices, and again."""

import datetime as dt

from core.business_date import business_date_set
from risk.models import AccountBalance, AccountTransaction
from risk.services.accounts import settlement_accounts_import
from samples.make_samples import SUBMISSION
from samples.settlement_accounts import write_settlement_samples


def test_the_samples_import_whole_in_slices_and_a_second_time_as_duplicates(db, tmp_path, monkeypatch):
    business_date_set(new_date=SUBMISSION, backwards_allowed=True)
    files = write_settlement_samples(tmp_path, 30)
    write_settlement_samples(tmp_path / "again", 30)
    assert (tmp_path / "again" / "account_transactions.csv").read_bytes() == files[
        "account_transactions.csv"
    ].read_bytes()
    monkeypatch.setattr("risk.importers.CHUNK_ROWS", 97)
    with files["account_transactions.csv"].open("rb") as handle:
        txns = settlement_accounts_import(kind="transactions", content=handle, filename="t.csv")
    with files["account_balances.csv"].open("rb") as handle:
        balances = settlement_accounts_import(kind="balances", content=handle, filename="b.csv")
    assert txns.created == txns.rows == AccountTransaction.objects.count() > 97
    assert balances.created == balances.rows == AccountBalance.objects.count() == 30 * 31
    assert AccountTransaction.objects.filter(counterparty_name="某建材经营部").count() == 2  # farmers 7 and 27
    assert AccountBalance.objects.filter(balance_date=SUBMISSION - dt.timedelta(days=1)).count() == 30

    again = settlement_accounts_import(
        kind="transactions", content=files["account_transactions.csv"].read_bytes(), filename="t.csv"
    )
    assert (again.created, again.duplicates) == (0, txns.rows)
