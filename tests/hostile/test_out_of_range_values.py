"""Values a column cannot hold are row errors, never a batch whose pages answer 500.

Money columns are NUMERIC(18, 2): sixteen digits before the point. Dates of orders and events lie
between 1900-01-01 and a year after the business date; the birth date in an identity number between
1900-01-01 and the business date.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pandas as pd
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from core import tabular
from core.business_date import business_date_set
from origination.models import Batch, BatchRow
from postloan.dashboards.services import holdings_import
from risk.models import MonitoringEvent, TradeRecord
from tests.conftest import api_as
from tests.factories import make_anchor, make_anchor_operator, make_program
from tests.hostile import corpus

TODAY = dt.date(2027, 3, 1)
TWENTY_THREE_DIGITS = "12345678901234567890123"


@pytest.fixture
def world(users):
    business_date_set(new_date=TODAY, backwards_allowed=True)
    anchor = make_anchor(users["manager"], approver=users["approver"])
    program = make_program(anchor, users["approver"])
    operator = make_anchor_operator("operator", anchor)
    return {"anchor": anchor, "program": program, "operator": operator, "manager": users["manager"]}


@pytest.mark.parametrize(
    "amount",
    [TWENTY_THREE_DIGITS, "10000000000000000", "1000000000000万", "9999999999999999.995", "1" * 40],
    ids=["23-digits", "10^16", "10^16-in-wan", "rounds-to-10^16", "40-digits"],
)
def test_an_amount_beyond_the_money_column_is_a_row_error_and_the_batch_reads(world, amount):
    content = corpus.farmer_csv_with(recommended_amount=amount)
    client = api_as(world["operator"])
    response = client.post(
        f"/api/v1/programs/{world['program'].pk}/batches/",
        {"farmer_list": SimpleUploadedFile("list.csv", content)},
        format="multipart",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["rows_total"], body["rows_valid"]) == (2, 1)
    assert [(e["row"], e["column"], e["code"]) for e in body["errors"]] == [
        (3, "recommended_amount", "amount_too_large")
    ]
    batch = Batch.objects.get()
    for path in (f"/api/v1/batches/{batch.pk}/", f"/api/v1/batches/{batch.pk}/results/"):
        assert client.get(path).status_code == 200
    page = Client()
    page.force_login(world["operator"])
    assert page.get(f"/batches/{batch.pk}/").status_code == 200


def test_the_largest_amount_the_column_holds_is_kept_to_the_fen(world):
    content = corpus.farmer_csv_with(recommended_amount="9999999999999999.99", declared_orders_12m="999999999999万")
    response = api_as(world["operator"]).post(
        f"/api/v1/programs/{world['program'].pk}/batches/",
        {"farmer_list": SimpleUploadedFile("list.csv", content)},
        format="multipart",
    )
    assert response.status_code == 201 and response.json()["errors"] == []
    row = BatchRow.objects.get(row=3)
    assert row.recommended_amount == Decimal("9999999999999999.99")
    assert row.declared_orders_12m == Decimal("9999999999990000.00")


def post_trades(world, content: bytes):
    return api_as(world["manager"]).post(
        "/api/v1/trade-records/import/",
        {"anchor": world["anchor"].pk, "file": SimpleUploadedFile("trades.csv", content)},
        format="multipart",
    )


def test_trade_dates_outside_1900_to_a_year_ahead_and_huge_amounts_are_row_errors(world):
    rows = [
        (corpus.ID_B, "HT-2", "9999-12-31", "1.00"),
        (corpus.ID_B, "HT-3", "1899-01-01", "1.00"),
        (corpus.ID_B, "HT-4", "2028-03-02", "1.00"),  # a year and a day after the business date
        (corpus.ID_B, "HT-5", "2028-03-01", "1.00"),  # a year after: still taken
        (corpus.ID_B, "HT-6", "1900-01-01", "1.00"),
        (corpus.ID_B, "HT-7", "2027-01-15", TWENTY_THREE_DIGITS),
    ]
    response = post_trades(world, corpus.trades_csv(*rows))
    assert response.status_code == 200, response.json()
    errors = {(e["row"], e["column"], e["code"]) for e in response.json()["errors"]}
    assert errors == {
        (3, "order_date", "date_out_of_range"),
        (4, "order_date", "date_out_of_range"),
        (5, "order_date", "date_out_of_range"),
        (8, "amount", "amount_too_large"),
    }
    assert set(TradeRecord.objects.values_list("order_no", flat=True)) == {"HT-1", "HT-5", "HT-6"}


def test_event_dates_outside_the_window_and_values_beyond_the_column_are_row_errors(world):
    rows = [
        (corpus.ID_B, "multi_lender", "9999-12-31", "3", "", "HE-2"),
        (corpus.ID_B, "multi_lender", "0001-01-01", "3", "", "HE-3"),
        (corpus.ID_B, "multi_lender", "2027-02-01", "1" + "0" * 20, "", "HE-4"),
    ]
    response = api_as(world["manager"]).post(
        "/api/v1/monitoring-events/import/",
        {"file": SimpleUploadedFile("events.csv", corpus.events_csv(*rows))},
        format="multipart",
    )
    assert response.status_code == 200, response.json()
    errors = {(e["row"], e["column"], e["code"]) for e in response.json()["errors"]}
    assert errors == {
        (3, "event_date", "date_out_of_range"),
        (4, "event_date", "date_out_of_range"),
        (5, "value", "invalid_value"),
    }
    assert list(MonitoringEvent.objects.values_list("event_id", flat=True)) == ["HE-1"]


def test_a_holding_opened_before_1900_is_a_row_error(users):
    business_date_set(new_date=TODAY, backwards_allowed=True)
    content = f"身份证号,产品代码,开通日期\n{corpus.ID_A},DEBIT_CARD,1899-12-31\n".encode()
    record = holdings_import(actor=users["admin"], content=content, filename="holdings.csv")
    assert [(e["row"], e["column"], e["code"]) for e in record.errors] == [(2, "opened_on", "date_out_of_range")]


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("9999999999999999.99", ""),
        ("999999999999万", ""),
        ("10000000000000000", "amount_too_large"),
        ("1000000000000万", "amount_too_large"),
        ("0000000000000000000001", ""),
        (TWENTY_THREE_DIGITS, "amount_too_large"),
        ("１" * 17, "amount_too_large"),
    ],
)
def test_the_column_rule_and_the_scalar_rule_agree_on_the_money_limit(text, code):
    _values, codes = tabular.amounts(pd.Series([text], dtype=object))
    assert codes.iloc[0] == code


def test_dates_outside_a_window_are_out_of_range_and_real_dates_inside_are_kept():
    cells = pd.Series(["1899-12-31", "1900-01-01", "2028-03-01", "2028-03-02", "2027-02-30"], dtype=object)
    values, codes = tabular.dates(cells, earliest=dt.date(1900, 1, 1), latest=dt.date(2028, 3, 1))
    assert list(codes) == ["date_out_of_range", "", "", "date_out_of_range", "invalid_date"]
    assert values.iloc[1] == dt.date(1900, 1, 1)
