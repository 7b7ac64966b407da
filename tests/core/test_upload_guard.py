"""core.upload_guard: what a table declares and inflates to is measured before it is read."""

from __future__ import annotations

import io
import re

import openpyxl
import pytest
from hypothesis import given
from hypothesis import strategies as st
from openpyxl.styles import PatternFill
from python_calamine import CalamineWorkbook

from core import tabular, upload_guard
from core.tabular import ColumnSpec, TableError
from tests.hostile import corpus

COLUMNS = [ColumnSpec(field, (field,), required=field in {"name", "id_number"}) for field in corpus.FARMER_HEADERS]


def read(content: bytes, *, max_rows: int = 1000, max_columns: int = 50):
    return tabular.read_table(content, "t.xlsx", COLUMNS, max_rows=max_rows, max_columns=max_columns)


def refusal(content: bytes, **limits: int) -> str:
    with pytest.raises(TableError) as caught:
        read(content, **limits)
    return caught.value.code


def rows_sheet(rows: bytes, **options: str) -> bytes:
    return corpus.workbook(corpus.sheet(corpus.header_row() + rows, **options))


def test_a_workbook_as_openpyxl_writes_it_with_styles_and_widths_is_read():
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(list(corpus.FARMER_HEADERS))
    sheet.append(list(corpus.FARMER_ROW))
    sheet.column_dimensions["B"].width = 24
    sheet["AZ5000"].fill = PatternFill("solid", fgColor="FFFF00")  # formatted, no value: extends nothing
    buffer = io.BytesIO()
    book.save(buffer)
    frame = read(buffer.getvalue())
    assert list(frame["name"]) == [corpus.FARMER_ROW[0]]


def test_a_value_in_the_last_column_allowed_is_read_and_one_further_is_refused():
    assert (
        len(read(rows_sheet(b'<row r="2"><c r="A2" t="inlineStr"><is><t>x</t></is></c><c r="AX2"><v>1</v></c></row>')))
        == 1
    )
    assert refusal(rows_sheet(b'<row r="2"><c r="AY2"><v>1</v></c></row>')) == "too_many_columns"


@pytest.mark.parametrize(
    ("row", "code"),
    [
        (b'<row r="2"><c r="xfd2"><v>1</v></c></row>', "too_many_columns"),  # the reader takes either case
        (b"<row r='2'><c r='XFD2'><v>1</v></c></row>", "too_many_columns"),  # single quotes
        (b'<row r="2"><c r = "XFD2" ><v>1</v></c></row>', "too_many_columns"),  # spaces
        (b'<row r="2"><c s="0" r="XFD2"><v>1</v></c></row>', "too_many_columns"),  # not the first attribute
        (b'<x:row r="2" xmlns:x="urn:x"><x:c r="XFD2"><x:v>1</x:v></x:c></x:row>', "too_many_columns"),  # prefix
        (b"<row>" + b"<c><v>1</v></c>" * 51 + b"</row>", "too_many_columns"),  # no references: counted
        # The reader takes the last of two; XML allows neither.
        (b'<row r="2"><c r="A2" r="XFD2"><v>1</v></c></row>', "not_a_table"),
    ],
    ids=["lower-case", "single-quotes", "spaces", "not-first", "prefixed", "no-references", "second-r"],
)
def test_a_far_column_is_found_however_the_reference_is_spelled(row, code):
    assert refusal(rows_sheet(row)) == code


def test_rows_without_references_are_counted_as_the_reader_counts_them():
    rows = b"<row><c><v>1</v></c></row>" * 30
    assert len(read(rows_sheet(rows), max_rows=30)) == 30
    assert refusal(rows_sheet(rows), max_rows=10) == "file_too_large"


def test_a_cell_below_its_row_counts_where_the_reader_puts_it():
    far_down = b'<row r="2"><c r="A2"><v>1</v></c><c r="B900"><v>1</v></c></row>'
    assert refusal(rows_sheet(far_down), max_rows=100) == "file_too_large"


def test_a_far_cell_without_a_value_extends_nothing():
    assert len(read(rows_sheet(b'<row r="2"><c r="A2"><v>1</v></c><c r="XFD1048576" s="1"/></row>'))) == 1


def test_a_part_that_inflates_beyond_what_it_declares_is_not_read():
    real = corpus.deflated(corpus.sheet(corpus.header_row()) + b" " * (1 << 20))
    lying = corpus.Deflated(real.stream, real.crc, 100)
    assert refusal(corpus.workbook(lying)) == "not_a_table"


def test_xml_in_utf16_is_refused_as_unsafe():
    sheet = corpus.sheet(corpus.header_row()).decode().encode("utf-16")
    assert refusal(corpus.workbook(sheet)) == "unsafe_file"


def test_a_doctype_anywhere_in_the_package_is_refused():
    styles = b'<?xml version="1.0"?><!DOCTYPE a [<!ENTITY b "c">]><styleSheet/>'
    members = [
        ("[Content_Types].xml", corpus.CONTENT_TYPES),
        ("_rels/.rels", corpus.ROOT_RELS),
        ("xl/workbook.xml", corpus.WORKBOOK),
        ("xl/_rels/workbook.xml.rels", corpus.WORKBOOK_RELS),
        ("xl/styles.xml", styles),
        ("xl/worksheets/sheet1.xml", corpus.sheet(corpus.header_row())),
    ]
    assert refusal(corpus.zip_package(members)) == "unsafe_file"


def test_two_parts_of_one_name_in_different_case_are_refused():
    members = [
        ("xl/workbook.xml", corpus.WORKBOOK),
        ("xl/worksheets/sheet1.xml", corpus.sheet(corpus.header_row())),
        ("XL/Worksheets/Sheet1.xml", corpus.sheet(corpus.header_row())),
    ]
    assert refusal(corpus.zip_package(members)) == "unsafe_file"


def test_a_few_rows_pointing_at_a_long_shared_string_are_read():
    assert upload_guard.SHARED_TEXT_FLOOR > 200 * 30_000
    content = corpus.xlsx_shared_string_amplifier(rows=200, length=30_000)
    assert len(read(content)) == 200


def test_the_reader_takes_shared_strings_and_references_as_the_guard_assumes():
    """Pinned: python-calamine reads a string cell's value that is not all digits as index 0, takes the last
    of two r attributes and references in lower case. If an upgrade changes this, revisit the guard."""
    strings = (
        b'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        b"<si><t>zero</t></si><si><t>one</t></si></sst>"
    )
    rows = b'<row r="1"><c r="A1" t="s"><v>1.0</v></c><c r="b1" t="s"><v>1</v></c><c r="A1" r="C1"><v>5</v></c></row>'
    sheet = CalamineWorkbook.from_filelike(io.BytesIO(corpus.workbook(corpus.sheet(rows), strings))).get_sheet_by_index(
        0
    )
    assert sheet.to_python() == [["zero", "one", 5.0]]


@given(st.integers(min_value=0, max_value=10**7), st.integers(min_value=0, max_value=10**7))
def test_the_number_pattern_matches_exactly_the_numbers_above(limit, number):
    pattern = re.compile(upload_guard._number_above(limit) + r"\Z")
    assert bool(pattern.match(str(number))) == (number > limit)
    assert bool(pattern.match("00" + str(number))) == (number > limit)


@given(st.integers(min_value=1, max_value=16_384), st.integers(min_value=1, max_value=18_278))
def test_the_letters_pattern_matches_exactly_the_columns_after(limit, column):
    pattern = re.compile(f"(?:{upload_guard._letters_above(limit)})\\Z")
    letters = corpus.column_letters(column)
    assert bool(pattern.match(letters)) == (column > limit)
    assert bool(pattern.match(letters.lower())) == (column > limit)


# --- CSV ------------------------------------------------------------------------------


def csv_refusal(content: bytes, **limits: int) -> str:
    with pytest.raises(TableError) as caught:
        tabular.read_table(content, "t.csv", COLUMNS, **{"max_rows": 1000, "max_columns": 50, **limits})
    return caught.value.code


def test_commas_in_quotes_are_no_columns():
    header = ",".join(corpus.FARMER_HEADERS) + ',"' + "," * 80 + '"\n'
    content = (header + ",".join(corpus.FARMER_ROW) + "\n").encode()
    assert len(tabular.read_table(content, "t.csv", COLUMNS, max_rows=10, max_columns=50)) == 1


def test_a_data_line_wider_than_the_limit_is_refused_before_parsing():
    content = corpus.csv_text(corpus.FARMER_HEADERS, [corpus.FARMER_ROW]).encode() + b"x" + b",x" * 60 + b"\n"
    assert csv_refusal(content) == "too_many_columns"


def test_line_breaks_in_quotes_do_not_count_as_rows():
    rows = [(f'"甲\n乙{i}"', *corpus.FARMER_ROW[1:]) for i in range(8)]
    content = corpus.csv_text(corpus.FARMER_HEADERS, rows).encode()
    assert len(tabular.read_table(content, "t.csv", COLUMNS, max_rows=8, max_columns=50)) == 8
    assert csv_refusal(content, max_rows=1) == "file_too_large"


def test_a_wide_first_line_over_many_lines_is_refused_as_a_grid_too_large_for_its_bytes():
    content = b"," * 49 + b"\n" + b"\n" * 600_000
    assert csv_refusal(content, max_rows=1_000_000) == "unsafe_file"
