"""Bulk writes: PostgreSQL ``COPY`` when the database is PostgreSQL, ``bulk_create`` elsewhere.

Imports and daily jobs write tens of thousands of rows at a time; ``COPY``
moves them in one round trip. Callers hand over plain rows (sequences in
column order); ``None`` becomes SQL NULL and an empty string stays an
empty string.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from typing import Any

from django.db import connection

# Every value is quoted, so "" is an empty string; NULL is the one unquoted empty field.
_NULL_MARK = "\x01NULL\x01"


def is_postgres() -> bool:
    return connection.vendor == "postgresql"


def csv_for_copy(rows: Iterable[Sequence[Any]]) -> io.StringIO:
    buffer = io.StringIO()
    writer = csv.writer(buffer, quoting=csv.QUOTE_ALL, lineterminator="\n")
    writer.writerows([_NULL_MARK if value is None else value for value in row] for row in rows)
    return io.StringIO(buffer.getvalue().replace(f'"{_NULL_MARK}"', ""))


def copy_rows(table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    """COPY rows into ``table`` (PostgreSQL only; the caller checks ``is_postgres``)."""
    column_list = ", ".join(f'"{name}"' for name in columns)
    with connection.cursor() as cursor:
        cursor.copy_expert(  # type: ignore[attr-defined]
            f"COPY {table} ({column_list}) FROM STDIN WITH (FORMAT csv)", csv_for_copy(rows)
        )
