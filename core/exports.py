"""Every download the application writes (XLSX and CSV) goes through here, so that text stays text.

What people typed (a farmer's name, a row as an anchor sent it) can start with ``=``, ``+``, ``-`` or
``@``; a spreadsheet opening the file would run it as a formula (``=HYPERLINK("http://…"&B2, …)``
sends the neighbouring cells away). So:

- in XLSX every ``str`` is written as an inline string (cell type ``s``), never as a formula or an
  error value, whatever it starts with; numbers, decimals and dates stay typed so that sums work;
- in CSV, which has no cell types, a text starting with one of those characters (or a tab or a
  carriage return) gets a leading single quote, as OWASP recommends for CSV injection.

Characters XML may not carry (control characters other than tab and line breaks) are dropped rather
than refusing the whole file.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from django.http import HttpResponse
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_TYPE = "text/csv; charset=utf-8"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def xlsx_response(filename: str, headers: Sequence[Any], rows: Iterable[Sequence[Any]]) -> HttpResponse:
    """A one-sheet workbook written in streaming mode (constant memory for long tables)."""
    response = HttpResponse(xlsx_bytes(headers, rows), content_type=XLSX_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def xlsx_bytes(headers: Sequence[Any], rows: Iterable[Sequence[Any]]) -> bytes:
    book = Workbook(write_only=True)
    sheet = book.create_sheet()
    sheet.append(list(_xlsx_cells(sheet, headers)))
    for row in rows:
        sheet.append(list(_xlsx_cells(sheet, row)))
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _xlsx_cells(sheet: WriteOnlyWorksheet, values: Sequence[Any]) -> Iterator[Cell | None]:
    for value in values:
        if value is None:
            yield None
            continue
        if isinstance(value, str):
            cell = WriteOnlyCell(sheet, value=ILLEGAL_CHARACTERS_RE.sub("", value))
            cell.data_type = "s"  # the value setter reads "=…" as a formula and "#N/A" as an error
        else:
            cell = WriteOnlyCell(sheet, value=value)
        yield cell


def csv_text(value: Any) -> Any:
    """A CSV cell that a spreadsheet cannot run: a text starting like a formula gets a leading quote."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def csv_response(filename: str, headers: Sequence[Any], rows: Iterable[Sequence[Any]]) -> HttpResponse:
    """UTF-8 with a BOM (so that Excel reads the Chinese), every text cell neutralised."""
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([csv_text(value) for value in headers])
    for row in rows:
        writer.writerow([csv_text(value) for value in row])
    response = HttpResponse(buffer.getvalue().encode("utf-8"), content_type=CSV_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
