"""An uploaded table as a person's file: refused with a code and a sentence, or read.

``core.tabular`` reads tables and raises ``TableError``; uploads answer with
``DomainError`` (400), which the pages and the API show as they are. The
size is checked before the bytes are read into memory, and everything that
can be known of a table before it is parsed (``tabular.inspect_table``) can be
checked before an upload is kept at all.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import IO, cast

import pandas as pd
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext as _

from core import tabular
from core.error_codes import ErrorCode
from core.errors import DomainError


def _too_large(filename: str, size: int, max_bytes: int) -> DomainError:
    return DomainError(
        ErrorCode.FILE_TOO_LARGE,
        _("%(file)s is %(size)s MB; at most %(max)s MB are accepted.")
        % {
            "file": filename,
            "size": f"{size / 1_048_576:.1f}",
            "max": f"{max_bytes / 1_048_576:.0f}",
        },
    )


def refuse_oversized(content: bytes | IO[bytes], filename: str, max_bytes: int) -> None:
    """Refuse bytes, or an open (seekable) file, larger than ``max_bytes``; a file is measured, not read."""
    size = len(content) if isinstance(content, bytes) else content.seek(0, io.SEEK_END)
    if size > max_bytes:
        raise _too_large(filename, size, max_bytes)


def upload_read(upload: UploadedFile, *, max_bytes: int, default_name: str = "") -> tuple[bytes, str]:
    """The bytes and name of an uploaded file; one larger than ``max_bytes`` is refused unread."""
    name = upload.name or default_name
    if (upload.size or 0) > max_bytes:
        raise _too_large(name, upload.size or 0, max_bytes)
    content = upload.read()
    refuse_oversized(content, name, max_bytes)  # the size a client declares is not proof
    return content, name


def upload_open(upload: UploadedFile, *, max_bytes: int, default_name: str = "") -> tuple[IO[bytes], str]:
    """``upload_read`` without the read: the uploaded file itself (on disk when large) and its name.

    For an import that reads its file in chunks: the file is never read whole into memory. One
    larger than ``max_bytes`` is refused unread, and measured again (the size a client declares is
    not proof).
    """
    name = upload.name or default_name
    if (upload.size or 0) > max_bytes:
        raise _too_large(name, upload.size or 0, max_bytes)
    handle = cast(IO[bytes], upload.file)
    refuse_oversized(handle, name, max_bytes)
    handle.seek(0)
    return handle, name


def check_uploaded_table(content: bytes | IO[bytes], filename: str, *, max_bytes: int, max_rows: int) -> None:
    """What ``read_uploaded_table`` refuses before parsing (size, an unsafe or unreadable file), as DomainError.

    An open file is read (at most ``max_bytes``, once its size is known) for the inspection.
    """
    refuse_oversized(content, filename, max_bytes)
    if not isinstance(content, bytes):
        content.seek(0)
        content = content.read()
    try:
        tabular.inspect_table(content, filename, max_rows=max_rows)
    except tabular.TableError as exc:
        raise DomainError(exc.code, exc.detail) from None


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
        raise DomainError(ErrorCode.NO_DATA_ROWS, _("%(file)s has a header but no data rows.") % {"file": filename})
    return frame
