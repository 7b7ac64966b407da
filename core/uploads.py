"""An uploaded table as a person's file: refused with a code and a sentence, or read.

``core.tabular`` reads tables and raises ``TableError``; uploads answer with
``DomainError`` (400), which the pages and the API show as they are.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
from django.utils.translation import gettext as _

from core import tabular
from core.errors import DomainError


def refuse_oversized(content: bytes, filename: str, max_bytes: int) -> None:
    if len(content) > max_bytes:
        raise DomainError(
            "file_too_large",
            _("%(file)s is %(size)s MB; at most %(max)s MB are accepted.")
            % {
                "file": filename,
                "size": f"{len(content) / 1_048_576:.1f}",
                "max": f"{max_bytes / 1_048_576:.0f}",
            },
        )


def read_uploaded_table(
    content: bytes, filename: str, columns: Sequence[tabular.ColumnSpec], *, max_bytes: int, max_rows: int
) -> pd.DataFrame:
    """``tabular.read_table`` for an upload: too large, not a usable table, or no data rows → DomainError."""
    refuse_oversized(content, filename, max_bytes)
    try:
        frame = tabular.read_table(content, filename, columns, max_rows=max_rows)
    except tabular.TableError as exc:
        raise DomainError(exc.code, exc.detail) from None
    if frame.empty:
        raise DomainError("no_data_rows", _("%(file)s has a header but no data rows.") % {"file": filename})
    return frame
