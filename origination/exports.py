"""The row-errors download: each refused cell with the row as it was sent (written by ``core.exports``)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.http import HttpResponse
from django.utils.translation import gettext as _

from core.exports import xlsx_response
from core.templatetags.figures import sent_value
from origination.importers import COLUMN_ORDER, FARMER_COLUMNS


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
