"""XLSX downloads: row errors with the row as it was sent, and any table a page shows."""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from typing import Any

from django.http import HttpResponse
from django.utils.translation import gettext as _
from openpyxl import Workbook

from core.templatetags.figures import sent_value
from origination.importers import COLUMN_ORDER, FARMER_COLUMNS

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def xlsx_response(filename: str, headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> HttpResponse:
    """A one-sheet workbook written in streaming mode (constant memory for long tables)."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet()
    sheet.append(list(headers))
    for row in rows:
        sheet.append(list(row))
    buffer = io.BytesIO()
    book.save(buffer)
    response = HttpResponse(buffer.getvalue(), content_type=XLSX_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def row_errors_xlsx(filename: str, errors: Iterable[dict[str, Any]], *, reveal: bool) -> HttpResponse:
    """Each refused cell: row, column, reason, then the whole row as the anchor sent it.

    Identity and phone numbers are masked unless the user may see them in full.
    """
    column_names = {spec.field: spec.aliases[0] for spec in FARMER_COLUMNS}
    headers = [_("row"), _("column"), _("code"), _("reason"), *[column_names[c] for c in COLUMN_ORDER]]
    rows = (
        [
            error["row"],
            column_names.get(error["column"], error["column"]),
            error["code"],
            error["detail"],
            *[_cell(error.get("original"), column, reveal) for column in COLUMN_ORDER],
        ]
        for error in errors
    )
    return xlsx_response(filename, headers, rows)


def _cell(original: dict[str, str] | None, column: str, reveal: bool) -> str:
    value = (original or {}).get(column, "")
    return value if reveal else sent_value(original, column)
