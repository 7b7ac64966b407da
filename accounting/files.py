"""Writing the files this system sends to the core: CSV in UTF-8 with a BOM, CRLF, nothing that varies.

The bytes of a file depend only on its rows: no timestamp, no generation time, rows in a stable order,
amounts with two decimals. Exporting the same content twice therefore gives the same SHA-256. Text
cells are neutralised like every download (``core.exports.csv_text``): someone will open the file in
a spreadsheet.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from core.exports import csv_text

CSV_CONTENT_TYPE = "text/csv; charset=utf-8"


def cell(value: Any) -> Any:
    kind = type(value)
    if kind is int:
        return value
    if kind is Decimal:
        return f"{value:.2f}"
    if kind is dt.date:
        return value.isoformat()
    return csv_text(value)


def csv_file_bytes(headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> bytes:
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(headers)
    for row in rows:
        writer.writerow([cell(value) for value in row])
    return buffer.getvalue().encode("utf-8")


def stored_bytes(stored: Any) -> bytes:
    """The bytes of a kept file, as they were sent."""
    with stored.content.open("rb") as handle:
        return handle.read()  # type: ignore[no-any-return]
