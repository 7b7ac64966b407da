"""The text of an uploaded CSV: UTF-8 (with or without BOM) or GB18030/GBK, and nothing it only resembles.

GB18030 gives every pair of bytes above 0x80 some character, so a file in
another encoding often decodes "cleanly" into nonsense: Big5 (traditional
Chinese, as Taiwan and Hong Kong systems and older Excel on a traditional
Windows save CSV) turns 陳大文 into 朝ゅ. Such text must not reach the
database. A decoding is taken only when it is plausible: the non-ASCII
characters of a Chinese table are overwhelmingly the common characters and
punctuation of GB2312. When some are not, and the bytes also read as Big5
with more of its common characters, the file is refused with
``unreadable_encoding`` rather than guessed at.

Characters are counted with numpy over the decoded text's code points, a few
megabytes at a time, so that the usual file (all common characters) costs
one pass.
"""

from __future__ import annotations

import codecs
from collections.abc import Callable, Iterable
from typing import IO

import numpy as np
import numpy.typing as npt
from django.utils.translation import gettext as _

from core.error_codes import ErrorCode
from core.upload_guard import TableError, csv_slices

__all__ = ["decode_table_text", "table_encoding"]

# Control characters never appear in a text table: their presence means binary data. In UTF-8 and
# GB18030 no byte of a multi-byte character is below 0x30, so the bytes themselves can be looked at.
CONTROL = bytes([*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F])
NOT_CONTROL = bytes(code for code in range(256) if code not in CONTROL)
UNITS = 0x10000  # UTF-16 code units: a character beyond them (a surrogate pair) is never a common one
SLICE_CHARACTERS = 1 << 22


def _not_a_table(filename: str) -> TableError:
    return TableError(
        ErrorCode.NOT_A_TABLE,
        _("%(file)s is not a CSV or XLSX table: upload a CSV (UTF-8 or GBK) or an XLSX file.") % {"file": filename},
    )


def _not_readable(filename: str) -> TableError:
    return TableError(
        ErrorCode.UNREADABLE_ENCODING,
        _("%(file)s cannot be read as UTF-8 or GBK text: save it as CSV in UTF-8 (or as XLSX) and upload it again.")
        % {"file": filename},
    )


def _big5(filename: str) -> TableError:
    return TableError(
        ErrorCode.UNREADABLE_ENCODING,
        _(
            "%(file)s seems to be in Big5 (traditional Chinese), which is not accepted: its names would be "
            "stored garbled. Save it as CSV in UTF-8 (or as XLSX) and upload it again."
        )
        % {"file": filename},
    )


def table_encoding(content: IO[bytes], filename: str) -> str:
    """``decode_table_text`` for an open file, read a slice at a time: the codec its text is read with.

    The same verdicts as ``decode_table_text`` (the same errors for the same bytes), but nothing
    larger than a slice is ever held: "utf-8-sig" or "gb18030".
    """
    if any(block.translate(None, NOT_CONTROL) for block in csv_slices(content)):
        raise _not_a_table(filename)
    if _decodes(csv_slices(content), "utf-8-sig"):
        return "utf-8-sig"
    counts = _decoded_counts(csv_slices(content), "gb18030")
    if counts is None:
        raise _not_readable(filename)
    gb_share = _plausible_share(counts, _common_in_gb2312)
    if gb_share < 1.0:
        big5 = _decoded_counts(csv_slices(content), "cp950")
        if big5 is not None and _plausible_share(big5, _common_in_big5) > gb_share:
            raise _big5(filename)
    return "gb18030"


def _decodes(blocks: Iterable[bytes], encoding: str) -> bool:
    decoder = codecs.getincrementaldecoder(encoding)()
    try:
        for block in blocks:
            decoder.decode(block)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def _decoded_counts(blocks: Iterable[bytes], encoding: str) -> npt.NDArray[np.int64] | None:
    """``_code_point_counts`` of the text in ``encoding``, decoded slice by slice; None if it does not decode."""
    decoder = codecs.getincrementaldecoder(encoding)()
    counts = np.zeros(UNITS, dtype=np.int64)
    try:
        for block in blocks:
            counts += _code_point_counts(decoder.decode(block))
        counts += _code_point_counts(decoder.decode(b"", final=True))
    except UnicodeDecodeError:
        return None
    return counts


def decode_table_text(content: bytes, filename: str) -> str:
    """The text of a CSV, or ``TableError``: ``not_a_table`` for binary data, else ``unreadable_encoding``."""
    if content.translate(None, NOT_CONTROL):
        raise _not_a_table(filename)
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        text = content.decode("gb18030")
    except UnicodeDecodeError:
        raise _not_readable(filename) from None
    counts = _code_point_counts(text)
    gb_share = _plausible_share(counts, _common_in_gb2312)
    if gb_share < 1.0 and _reads_better_as_big5(content, gb_share):
        raise _big5(filename)
    return text


def _code_point_counts(text: str) -> npt.NDArray[np.int64]:
    """How often each non-ASCII UTF-16 code unit occurs, a few million characters at a time."""
    counts = np.zeros(UNITS, dtype=np.int64)
    for start in range(0, len(text), SLICE_CHARACTERS):
        units = np.frombuffer(text[start : start + SLICE_CHARACTERS].encode("utf-16-le", "surrogatepass"), np.uint16)
        counts += np.bincount(units[units > 0x7F], minlength=UNITS)
    return counts


def _plausible_share(counts: npt.NDArray[np.int64], common: Callable[[str], bool]) -> float:
    """The share of non-ASCII characters that a Chinese table in this encoding would hold (1.0 when none)."""
    present = np.flatnonzero(counts)
    total = int(counts[present].sum())
    if total == 0:
        return 1.0
    plausible = [point for point in present.tolist() if common(chr(point))]
    return int(counts[plausible].sum()) / total


def _common_in_gb2312(char: str) -> bool:
    """A GB2312 hanzi (rows B0-F7) or punctuation and full-width form (rows A1-A3)."""
    try:
        code = char.encode("gb18030")
    except UnicodeEncodeError:  # half of a surrogate pair
        return False
    return len(code) == 2 and code[1] >= 0xA1 and (0xB0 <= code[0] <= 0xF7 or 0xA1 <= code[0] <= 0xA3)


def _common_in_big5(char: str) -> bool:
    """A Big5 frequent hanzi (A440-C67E) or punctuation (A140-A3BF)."""
    try:
        code = char.encode("cp950")
    except UnicodeEncodeError:
        return False
    if len(code) != 2:
        return False
    number = code[0] << 8 | code[1]
    return 0xA440 <= number <= 0xC67E or 0xA140 <= number <= 0xA3BF


def _reads_better_as_big5(content: bytes, gb_share: float) -> bool:
    """Whether the bytes are valid Big5 and, read so, hold more common characters than read as GB18030."""
    try:
        text = content.decode("cp950")
    except UnicodeDecodeError:
        return False
    return _plausible_share(_code_point_counts(text), _common_in_big5) > gb_share
