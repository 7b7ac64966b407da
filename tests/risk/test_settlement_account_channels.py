"""The settlement-account files through the API, the page and the file drop's command; the anchors' accounts."""

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.test import Client

from core.business_date import business_date_set
from risk.models import AccountTransaction, AnchorSettlementAccount
from tests.conftest import api_as
from tests.factories import make_anchor, make_anchor_operator, make_farmer, resident_id_with_check

ID_A = resident_id_with_check("51152119700819196")
HEADER = "account_no,id_number,txn_date,amount,direction,counterparty_account,counterparty_name,reference,purpose\n"


def good_file() -> bytes:
    return (HEADER + f"6228480001234567,{ID_A},2027-02-20,3000,out,622200009999,张三丰,R1,饲料\n").encode()


@pytest.fixture
def anchor(users):
    business_date_set(new_date=dt.date(2027, 3, 1), backwards_allowed=True)
    return make_anchor(users["manager"], approver=users["approver"])


def test_the_api_imports_a_file_and_refuses_a_bad_one_whole(users, anchor):
    client = api_as(users["manager"])
    url = "/api/v1/settlement-accounts/import/"
    done = client.post(url, {"kind": "transactions", "file": SimpleUploadedFile("t.csv", good_file())})
    assert done.status_code == 200, done.content
    assert {key: done.json()[key] for key in ("rows", "created", "duplicates")} == {
        "rows": 1,
        "created": 1,
        "duplicates": 0,
    }
    bad = good_file().replace(b"R1,", b"R2,") + f"6228480001234567,{ID_A},2027-02-20,x,out,,,R3,\n".encode()
    refused = client.post(url, {"kind": "transactions", "file": SimpleUploadedFile("t.csv", bad)})
    assert refused.status_code == 400
    body = refused.json()
    assert body["code"] == "file_rejected"
    assert [(e["row"], e["column"], e["code"]) for e in body["errors"]] == [(3, "amount", "invalid_amount")]
    assert list(AccountTransaction.objects.values_list("reference", flat=True)) == ["R1"]


def test_an_anchor_operator_may_not_import_nor_see_the_accounts(users, anchor):
    operator = make_anchor_operator("tq_op", anchor)
    refused = api_as(operator).post(
        "/api/v1/settlement-accounts/import/",
        {"kind": "transactions", "file": SimpleUploadedFile("t.csv", good_file())},
    )
    assert refused.status_code == 403 and not AccountTransaction.objects.exists()
    client = Client()
    client.force_login(operator)
    assert client.get("/settlement-accounts/").status_code == 403


def test_the_page_imports_shows_the_rows_masked_and_keeps_the_anchors_accounts(users, anchor):
    make_farmer(users["manager"].org_node, body17="51152119700819196", name="李四", anchor=anchor)
    client = Client()
    client.force_login(users["approver"])
    response = client.post(
        "/settlement-accounts/",
        {"action": "import", "kind": "transactions", "file": SimpleUploadedFile("流水.csv", good_file())},
        follow=True,
    )
    page = response.content.decode()
    assert AccountTransaction.objects.count() == 1
    assert ID_A not in page and "6228480001234567" not in page and "张三丰" not in page  # masked
    assert ID_A[:4] + "*" * 10 + ID_A[-4:] in page and "张**" in page

    balances = f"账号,身份证号,余额日期,余额\n6228480001234567,{ID_A},2027-02-30,100\n".encode()
    bad = client.post(
        "/settlement-accounts/",
        {"action": "import", "kind": "balances", "file": SimpleUploadedFile("b.csv", balances)},
    ).content.decode()
    assert 'data-error-code="invalid_date"' in bad

    client.post("/settlement-accounts/", {"action": "add_account", "anchor": anchor.pk, "account_no": "4402 0000 1111"})
    account = AnchorSettlementAccount.objects.get()
    assert (account.anchor_id, account.account_no, account.removed_on) == (anchor.pk, "440200001111", None)
    assert "440200001111" in client.get("/settlement-accounts/").content.decode()
    client.post("/settlement-accounts/", {"action": "remove_account", "account": account.pk})
    account.refresh_from_db()
    assert account.removed_on == dt.date(2027, 3, 1) and account.removed_by == users["approver"]


def test_the_file_drop_command(users, anchor, tmp_path, capsys):
    path = tmp_path / "流水.csv"
    path.write_bytes(good_file())
    call_command("import_settlement_accounts", "transactions", str(path))
    assert "1 rows: 1 created, 0 duplicates" in capsys.readouterr().out
    path.write_bytes(good_file().replace(b"3000", b"-1"))
    with pytest.raises(CommandError, match="file_rejected"):
        call_command("import_settlement_accounts", "transactions", str(path))
    assert "negative_amount" in capsys.readouterr().err


def test_a_balance_delivery_page_masks_the_account(users, anchor):
    content = f"账号,身份证号,余额日期,余额\n6228480001234567,{ID_A},2027-02-27,1200\n".encode()
    client = Client()
    client.force_login(users["manager"])
    page = client.post(
        "/settlement-accounts/",
        {"action": "import", "kind": "balances", "file": SimpleUploadedFile("余额.csv", content)},
        follow=True,
    ).content.decode()
    assert "1200.00" in page and "6228********4567" in page and "6228480001234567" not in page
