"""What an uploaded table declares and what it would inflate to, checked before it is read.

A reader trusts its input: python-calamine builds the whole grid from A1 to
the farthest cell with a value, so one number in ``XFD1048576`` asks for
seventeen billion cells (about 512 GiB, and the process aborts), and a shared
string is copied into every cell that points at it. The pandas CSV parser
makes one object per cell of the first line's width for every line. Nothing
of that can be caught once it has started, so the checks here look at the
bytes first and refuse with a ``TableError`` of a stable code:

- ``unsafe_file``: a workbook that would inflate far beyond its size or a
  fixed ceiling, has more parts than any table needs, declares a document type
  or entities (never needed, and the way XML expansion attacks work), holds XML
  that is not UTF-8, or whose cells or repeated texts would take far more memory
  than a file of its size can justify;
- ``file_too_large``: values below the last row the caller accepts (with room
  for a title, the header and some blank rows);
- ``too_many_columns``: values beyond ``max_columns``.

Everything is streamed: a member is inflated a megabyte at a time and never
kept whole, so the checks themselves stay within a few megabytes whatever the
file holds. The common shape (every row and cell carries its reference, as
Excel, WPS, LibreOffice and openpyxl write them) is measured with a handful of
regular expressions per megabyte; anything else is walked by expat, counting
positions as the reader does.
"""

from __future__ import annotations

import contextlib
import csv
import functools
import io
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import IO
from xml.parsers import expat

import numpy as np
import numpy.typing as npt
from django.conf import settings
from django.utils.translation import gettext as _

from core.error_codes import ErrorCode

__all__ = [
    "HEADER_SEARCH_ROWS",
    "CsvShape",
    "Limits",
    "TableError",
    "check_csv",
    "check_workbook",
    "csv_cells",
    "csv_slices",
    "default_max_columns",
    "refuse_columns",
    "refuse_sparse",
]

HEADER_SEARCH_ROWS = 10  # a title row or two above the headers is common in Chinese templates
DEFAULT_MAX_COLUMNS = 50  # the contract's files have up to nine; templates add a few of their own
CHUNK_BYTES = 1 << 20
MAX_MEMBERS = 1_000  # a workbook of one table has a dozen parts
MAX_INFLATED_BYTES = 1 << 30  # whatever the file's size
INFLATION_FLOOR = 16 << 20  # a small file may always inflate this far …
INFLATION_RATIO = 50  # … and a large one this many times its size (a real sheet deflates 5 to 10 times)
CELLS_FLOOR = 500_000  # a small file may always span this many cells …
CELLS_PER_BYTE = 2  # … a large one this many per byte (a real workbook holds one per 5 to 8 bytes)
SHARED_TEXT_FLOOR = 32 << 20  # bytes of shared strings copied into cells, for a small file …
SHARED_TEXT_PER_BYTE = 16  # … and per byte of a large one
SHARED_STRINGS_PER_BYTE = 2  # distinct shared strings per byte of the file (each becomes an object)
MAX_TEXT_NODE = 1 << 20  # one tag or one text longer than this is no spreadsheet's
PROLOG_BYTES = 4096
XML_SUFFIXES = (".xml", ".rels", ".vml")
SHEETS = "xl/worksheets/"  # where the reader takes worksheets from (part names in any case)
SHARED_STRINGS = "xl/sharedstrings.xml"

DOCTYPE = re.compile(rb"<!(?i:doctype|entity)")
CELL_COLUMN = re.compile(rb'<c r="([A-Z]{1,3})[0-9]{1,7}"')
ROW_NUMBER = re.compile(rb'<row r="([0-9]{1,7})"')
# A row spelled otherwise than <row r="7" …>: no reference, another spelling, or a second r.
ODD_ROW = re.compile(rb'<row(?:[\t\n\r>/]| (?!r="[0-9]{1,7}"(?![^>]*\sr\s*=)))')
PREFIXED = re.compile(rb":(?:c|row|v|is)[\s/>]")  # <x:c …>: the reader ignores prefixes, the patterns do not
# A cell whose first attribute is not a reference in the usual spelling (or that has none).
ODD_CELL = re.compile(rb'<c(?:[\t\n\r>/]| (?!r="[A-Za-z]{1,3}[0-9]{1,7}"))')
# An r attribute in other quotes or with spaces around "=": the patterns look for r="…" only.
LOOSE_R = re.compile(rb"r[\t\n\r ]+=|r=[\t\n\r ]|r='")
DIGITS_VALUE = re.compile(rb"<v>([0-9]{1,9})</v>")
SHARED_STRING = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?si[\s/>]")
REFERENCE = re.compile(r"([A-Za-z]{1,7})([0-9]{1,10})")


class TableError(Exception):
    """The file as a whole cannot be used; ``code`` is stable, ``detail`` is for people.

    ``fields`` names the columns concerned (for ``missing_columns`` and
    ``duplicate_columns``); ``rows`` the spreadsheet rows (for ``extra_cells``).
    """

    def __init__(
        self, code: ErrorCode, detail: str, *, fields: tuple[str, ...] = (), rows: tuple[int, ...] = ()
    ) -> None:
        super().__init__(f"{code}: {detail}")
        self.code = code
        self.detail = str(detail)
        self.fields = fields
        self.rows = rows


@dataclass(frozen=True)
class Limits:
    """How far a file of ``size`` bytes may reach when read, for a caller that takes ``max_rows`` data rows."""

    size: int
    max_rows: int
    max_columns: int

    @property
    def rows(self) -> int:
        """Sheet rows or CSV lines: the data rows, a tenth more of blank ones, a title and the header."""
        return self.max_rows + self.max_rows // 10 + HEADER_SEARCH_ROWS + 1

    @property
    def cells(self) -> int:
        return max(CELLS_FLOOR, CELLS_PER_BYTE * self.size)

    @property
    def inflated(self) -> int:
        return min(MAX_INFLATED_BYTES, max(INFLATION_FLOOR, INFLATION_RATIO * self.size))

    @property
    def shared_text(self) -> int:
        return max(SHARED_TEXT_FLOOR, SHARED_TEXT_PER_BYTE * self.size)

    @property
    def shared_strings(self) -> int:
        return max(CELLS_FLOOR, SHARED_STRINGS_PER_BYTE * self.size)


def default_max_columns() -> int:
    return int(getattr(settings, "UPLOAD_MAX_COLUMNS", DEFAULT_MAX_COLUMNS))


def _mb(size: int) -> str:
    return f"{size / 1_048_576:.1f}"


def refuse_rows(filename: str, row: int, limits: Limits) -> TableError:
    return TableError(
        ErrorCode.FILE_TOO_LARGE,
        _("%(file)s has values down to row %(row)d; at most %(max)d rows are accepted in one file.")
        % {"file": filename, "row": row, "max": limits.max_rows},
    )


def refuse_columns(filename: str, columns: int, limits: Limits) -> TableError:
    return TableError(
        ErrorCode.TOO_MANY_COLUMNS,
        _("%(file)s has at least %(count)d columns; at most %(max)d are accepted.")
        % {"file": filename, "count": columns, "max": limits.max_columns},
    )


def refuse_sparse(filename: str, rows: int, columns: int) -> TableError:
    return TableError(
        ErrorCode.UNSAFE_FILE,
        _(
            "%(file)s spans %(rows)d rows by %(columns)d columns, far more cells than a file of its size "
            "holds: it is refused as unsafe."
        )
        % {"file": filename, "rows": rows, "columns": columns},
    )


def _unsafe(detail: str) -> TableError:
    return TableError(ErrorCode.UNSAFE_FILE, detail)


def _unreadable(filename: str) -> TableError:
    return TableError(ErrorCode.NOT_A_TABLE, _("%(file)s is not a readable XLSX workbook.") % {"file": filename})


# --- the package ----------------------------------------------------------------------


def check_workbook(content: bytes | IO[bytes], filename: str, limits: Limits) -> None:
    """Refuse an XLSX whose package, XML or grid would make the reader take far more than the file is worth.

    ``content`` is the file's bytes or the open (seekable, binary) file itself, read part by part.
    """
    try:
        archive = zipfile.ZipFile(io.BytesIO(content) if isinstance(content, bytes) else content)
        members = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError, OSError) as exc:
        raise _unreadable(filename) from exc
    if len(members) > MAX_MEMBERS:
        raise _unsafe(
            _("%(file)s holds %(count)d parts, far more than a workbook of one table: it is refused as unsafe.")
            % {"file": filename, "count": len(members)}
        )
    names = [member.filename.replace("\\", "/").lstrip("/").lower() for member in members]
    if len(set(names)) != len(names):
        # The reader finds a part by its name in any case: two of one name could be read either way.
        raise _unsafe(_("%(file)s holds two parts of the same name: it is refused as unsafe.") % {"file": filename})
    declared = sum(member.file_size for member in members)
    if declared > limits.inflated:
        raise _inflates(filename, declared)
    budget = _Budget(limits.inflated, filename)
    sheets: list[zipfile.ZipInfo] = []
    strings: zipfile.ZipInfo | None = None
    for member, name in zip(members, names, strict=True):
        if name.startswith(SHEETS) and "/_rels/" not in name:
            sheets.append(member)  # every sheet: whichever the reader opens has been measured
        elif name == SHARED_STRINGS:
            strings = member
        elif name.endswith(XML_SUFFIXES):
            for _chunk in _xml_chunks(archive, member, filename, budget):
                pass
    shared = _shared_strings(archive, strings, filename, budget, limits)
    for member in sheets:
        _check_sheet(archive, member, filename, budget, limits, shared)


def _inflates(filename: str, size: int) -> TableError:
    return _unsafe(
        _(
            "%(file)s would expand to %(size)s MB when opened, far more than a file of its size: "
            "it is refused as unsafe."
        )
        % {"file": filename, "size": _mb(size)}
    )


@dataclass
class _Budget:
    """Bytes inflated so far, against the file's allowance (the declared sizes may lie)."""

    limit: int
    filename: str
    used: int = 0

    def spend(self, size: int) -> None:
        self.used += size
        if self.used > self.limit:
            raise _inflates(self.filename, self.used)


def _xml_chunks(archive: zipfile.ZipFile, member: zipfile.ZipInfo, filename: str, budget: _Budget) -> Iterator[bytes]:
    """A member's XML a megabyte at a time, each piece ending at a tag's ``>``; DTDs and non-UTF-8 refused."""
    carry = b""
    first = True
    try:
        with archive.open(member) as stream:
            while piece := stream.read(CHUNK_BYTES):
                budget.spend(len(piece))
                if first:
                    _check_prolog(piece, filename)
                    first = False
                data = carry + piece
                end = data.rfind(b">") + 1
                carry = data[end:]
                if len(carry) > MAX_TEXT_NODE:
                    raise _unsafe(
                        _("%(file)s holds a single value longer than %(size)s MB: it is refused as unsafe.")
                        % {"file": filename, "size": _mb(MAX_TEXT_NODE)}
                    )
                if end:
                    yield _no_doctype(data[:end], filename)
    except (zipfile.BadZipFile, NotImplementedError, RuntimeError, EOFError, OSError, ValueError) as exc:
        raise _unreadable(filename) from exc  # a wrong CRC, an unknown compression, a password
    if carry.strip():
        yield _no_doctype(carry, filename)


def _check_prolog(start: bytes, filename: str) -> None:
    """UTF-8 only: in UTF-16 every check below would look at the wrong bytes."""
    head = start[:PROLOG_BYTES]
    if head.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in head:
        raise _unsafe(_("%(file)s holds XML that is not UTF-8: it is refused as unsafe.") % {"file": filename})


def _no_doctype(data: bytes, filename: str) -> bytes:
    if DOCTYPE.search(data):
        raise _unsafe(
            _(
                "%(file)s declares a document type or entities (DOCTYPE, ENTITY), which no workbook needs: "
                "it is refused as unsafe."
            )
            % {"file": filename}
        )
    return data


# --- shared strings -------------------------------------------------------------------


@dataclass(frozen=True)
class _Shared:
    """The byte length of each shared string (an upper bound of its text), in order."""

    lengths: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))

    @property
    def longest(self) -> int:
        return int(self.lengths.max()) if self.lengths.size else 0


def _shared_strings(
    archive: zipfile.ZipFile, member: zipfile.ZipInfo | None, filename: str, budget: _Budget, limits: Limits
) -> _Shared:
    """Where each ``<si>`` starts: the distance to the next one bounds its text."""
    if member is None:
        return _Shared()
    starts: list[np.ndarray] = []
    offset = 0
    count = 0
    for data in _xml_chunks(archive, member, filename, budget):
        found = np.fromiter((m.start() for m in SHARED_STRING.finditer(data)), dtype=np.int64)
        count += found.size
        if count > limits.shared_strings:
            raise _unsafe(
                _("%(file)s holds %(count)d distinct texts, far more than a file of its size: it is refused as unsafe.")
                % {"file": filename, "count": count}
            )
        starts.append(found + offset)
        offset += len(data)
    positions = np.concatenate([*starts, np.array([offset], dtype=np.int64)])
    return _Shared(np.diff(positions))


# --- sheets ---------------------------------------------------------------------------


@dataclass
class _Extent:
    """The farthest row and column seen, and the text the shared strings will copy into cells."""

    rows: int = 0
    columns: int = 0
    regular: bool = True  # every row and cell carried its reference, in the usual spelling
    shared_text: int = 0


def _check_sheet(
    archive: zipfile.ZipFile,
    member: zipfile.ZipInfo,
    filename: str,
    budget: _Budget,
    limits: Limits,
    shared: _Shared,
) -> None:
    extent = _Extent(columns=limits.max_columns)  # an upper bound until counted
    for data in _xml_chunks(archive, member, filename, budget):
        if not _measure(data, extent, shared, limits):
            break
    if not extent.regular or extent.rows > limits.rows:
        # Cells without references or spelled otherwise, prefixed names, or cells far away that may
        # hold no value (a formatted but empty cell extends nothing): count as the reader counts,
        # unless a cell with a value lies plainly beyond the limits.
        _refuse_valued_beyond(archive, member, filename, limits)
        extent = _walk(archive, member, filename, limits, shared)
    elif extent.rows * extent.columns > limits.cells:
        extent.columns = _columns(archive, member, filename, limits)
    _refuse_extent(extent, filename, limits)


def _refuse_valued_beyond(archive: zipfile.ZipFile, member: zipfile.ZipInfo, filename: str, limits: Limits) -> None:
    """Refuse at once on a cell in the usual spelling, with a value, beyond the row or column limit."""
    pattern = _valued_beyond(limits.rows, limits.max_columns)
    for data in _xml_chunks(archive, member, filename, _Budget(limits.inflated, filename)):
        found = pattern.search(data)
        if found:
            column = _column_number(found.group("c1") or found.group("c2"))
            row = int(found.group("r1") or found.group("r2"))
            if column > limits.max_columns:
                raise refuse_columns(filename, column, limits)
            raise refuse_rows(filename, row, limits)


@functools.lru_cache(maxsize=16)
def _valued_beyond(max_row: int, max_columns: int) -> re.Pattern[bytes]:
    """``<c r="…" …>`` beyond the row or column limit, followed by its value (after a formula, if any)."""
    far_column = f"(?P<c1>{_letters_above(max_columns)})(?P<r1>[0-9]{{1,7}})"
    far_row = f"(?P<c2>[A-Za-z]{{1,3}})(?P<r2>{_number_above(max_row)})"
    value = r"[^>]*(?<!/)>(?:<f[^>]*/>|<f[^>]*>[^<]*</f>)?<(?:v|is)[\s>]"
    return re.compile(f'<c r="(?:{far_column}|{far_row})"{value}'.encode())


def _measure(data: bytes, extent: _Extent, shared: _Shared, limits: Limits) -> bool:
    """The usual spelling (``<row r="7">``, ``<c r="B7" …>``), a megabyte at a time; False when it is not.

    The farthest row is the largest ``<row r>``. Then a few searches find any
    row or cell spelled otherwise (no reference, a prefix, an attribute in
    other quotes or spacing) and any ``r`` (a cell's second ``r`` included: the
    reader takes the last) beyond that row or the column limit. Cells are never
    taken one by one here.
    """
    rows = ROW_NUMBER.findall(data)
    if rows:
        extent.rows = max(extent.rows, max(map(int, rows)))
    odd = (
        PREFIXED.search(data)
        or ODD_ROW.search(data)
        or ODD_CELL.search(data)
        or LOOSE_R.search(data)
        or _far(extent.rows, limits.max_columns).search(data)
    )
    if odd:
        extent.regular = False
        return False
    if shared.lengths.size:
        extent.shared_text += _shared_text(data, shared)
    return True


@functools.lru_cache(maxsize=64)
def _far(max_row: int, max_columns: int) -> re.Pattern[bytes]:
    """An ``r="…"`` whose column is beyond ``max_columns`` or whose row is beyond ``max_row``."""
    return re.compile(
        f'r="(?:(?:{_letters_above(max_columns)})[0-9]|[A-Za-z]{{1,3}}{_number_above(max_row)}")'.encode()
    )


def _number_above(number: int) -> str:
    """A pattern for decimal numbers (leading zeros allowed) greater than ``number``."""
    digits = str(number)
    above = [f"[1-9][0-9]{{{len(digits)},}}"]
    for i, digit in enumerate(digits):
        if digit != "9":
            rest = len(digits) - i - 1
            above.append(digits[:i] + f"[{int(digit) + 1}-9]" + (f"[0-9]{{{rest}}}" if rest else ""))
    return "0*(?:" + "|".join(above) + ")"


def _letters_above(number: int) -> str:
    """A pattern for column letters, in either case, after column ``number`` (``A`` is 1, ``XFD`` 16384)."""
    letters = ""
    while number:
        number, rest = divmod(number - 1, 26)
        letters = chr(ord("A") + rest) + letters
    above = [f"[A-Za-z]{{{len(letters) + 1},}}"]
    for i, char in enumerate(letters):
        if char != "Z":
            following = chr(ord(char) + 1)
            rest = len(letters) - i - 1
            head = "".join(f"[{c}{c.lower()}]" for c in letters[:i])
            above.append(head + f"[{following}-Z{following.lower()}-z]" + (f"[A-Za-z]{{{rest}}}" if rest else ""))
    return "|".join(above)


def _shared_text(data: bytes, shared: _Shared) -> int:
    """An upper bound of the shared-string text the cells of ``data`` will copy.

    The reader takes a ``<v>`` of digits as an index and any other value of a
    string cell as index 0 (pinned by a test); every ``<v>`` is counted as if
    its cell were a string cell.
    """
    lengths = shared.lengths
    indices = np.array(DIGITS_VALUE.findall(data), dtype=np.int64)
    total = int(lengths[indices[indices < lengths.size]].sum())
    others = data.count(b"<v>") - data.count(b"<v></v>") - indices.size
    return total + max(others, 0) * int(lengths[0]) + data.count(b"<v ") * shared.longest


def _columns(archive: zipfile.ZipFile, member: zipfile.ZipInfo, filename: str, limits: Limits) -> int:
    """The farthest column of a sheet in the usual spelling (only needed when rows times the limit is a lot)."""
    letters: set[bytes] = set()
    for data in _xml_chunks(archive, member, filename, _Budget(limits.inflated, filename)):
        letters.update(CELL_COLUMN.findall(data))
    return max((_column_number(found) for found in letters), default=0)


def _column_number(letters: bytes | str) -> int:
    number = 0
    for char in letters.upper() if isinstance(letters, str) else letters.decode().upper():
        number = number * 26 + ord(char) - 64
    return number


def _refuse_extent(extent: _Extent, filename: str, limits: Limits) -> None:
    if extent.columns > limits.max_columns:
        raise refuse_columns(filename, extent.columns, limits)
    if extent.rows > limits.rows:
        raise refuse_rows(filename, extent.rows, limits)
    if extent.rows * extent.columns > limits.cells:
        raise refuse_sparse(filename, extent.rows, extent.columns)
    if extent.shared_text > limits.shared_text:
        raise _unsafe(
            _("%(file)s repeats its texts so often that reading it would take %(size)s MB: it is refused as unsafe.")
            % {"file": filename, "size": _mb(extent.shared_text)}
        )


class _Walker:
    """Positions no smaller than the reader's: a row or cell without ``r`` follows the one before.

    The reader takes a reference when it has one (in any case, and only when
    written without character references) and otherwise counts on from the
    previous row or cell; taking the larger of the two every time can only
    overestimate. Only cells with a value (``<v>`` or an inline string) extend
    the grid, and the walk stops at the first one beyond the limits.
    """

    def __init__(self, filename: str, limits: Limits, shared: _Shared) -> None:
        self.filename, self.limits, self.shared = filename, limits, shared
        self.extent = _Extent(regular=False)
        self.row = 1  # the current row, from 1
        self.next_column = 1
        self.cell_row = 1
        self.column = 1
        self.valued = False
        self.string_cell = False
        self.index_text: list[str] | None = None

    def start(self, tag: str, attributes: dict[str, str]) -> None:
        name = tag.rpartition(":")[2]
        if name == "row":
            number = attributes.get("r", "").strip()
            if number.isdigit():
                self.row = max(self.row, int(number))
            self.next_column = 1
        elif name == "c":
            found = REFERENCE.fullmatch(attributes.get("r", "").strip())
            self.cell_row, self.column = self.row, self.next_column
            if found:
                self.cell_row = max(self.cell_row, int(found.group(2)))
                self.column = max(self.column, _column_number(found.group(1)))
            self.next_column = self.column + 1
            self.valued = False
            self.string_cell = attributes.get("t", "").strip() == "s"
        elif name in {"v", "is"}:
            self.valued = True
            if name == "v" and self.string_cell:
                self.index_text = []

    def text(self, data: str) -> None:
        if self.index_text is not None:
            self.index_text.append(data)

    def end(self, tag: str) -> None:
        name = tag.rpartition(":")[2]
        if name == "row":
            self.row += 1
        elif name == "v" and self.index_text is not None:
            self._count_shared("".join(self.index_text))
            self.index_text = None
        elif name == "c" and self.valued:
            extent = self.extent
            extent.rows = max(extent.rows, self.cell_row)
            extent.columns = max(extent.columns, self.column)
            if (
                extent.columns > self.limits.max_columns
                or extent.rows > self.limits.rows
                or extent.rows * extent.columns > self.limits.cells
            ):
                _refuse_extent(extent, self.filename, self.limits)

    def _count_shared(self, index: str) -> None:
        lengths = self.shared.lengths
        if index.isdigit() and int(index) < lengths.size:
            self.extent.shared_text += int(lengths[int(index)])
        elif index and lengths.size:
            self.extent.shared_text += int(lengths[0])  # the reader's index for a value not all digits


def _walk(archive: zipfile.ZipFile, member: zipfile.ZipInfo, filename: str, limits: Limits, shared: _Shared) -> _Extent:
    walker = _Walker(filename, limits, shared)
    parser = expat.ParserCreate()
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    parser.StartElementHandler = walker.start
    parser.EndElementHandler = walker.end
    parser.CharacterDataHandler = walker.text
    parser.buffer_text = True
    budget = _Budget(limits.inflated, filename)  # the first pass has measured it: the same allowance again
    try:
        for data in _xml_chunks(archive, member, filename, budget):
            parser.Parse(data, False)
        parser.Parse(b"", True)
    except expat.ExpatError as exc:
        raise _unreadable(filename) from exc
    return walker.extent


# --- CSV ------------------------------------------------------------------------------

CSV_BYTES_PER_CELL = 3  # a CSV cell takes at least its comma; real ones take 6 to 10 bytes
CSV_SLICE_BYTES = 1 << 20  # line breaks of a slice become 8-byte positions: a few MB at a time
FIRST_LINE_PREFIX = 1 << 16
COMMA, QUOTE, LINE_FEED, CARRIAGE_RETURN = 0x2C, 0x22, 0x0A, 0x0D
QUOTE_BYTE = b'"'


@dataclass(frozen=True)
class CsvShape:
    lines: int
    width: int  # fields of the first line: the width of the grid the parser builds
    widest: int  # the most fields of any line, a comma in quotes counted as a separator
    quoted: bool = False  # whether the file holds a double quote anywhere
    record_width: int = 0  # fields of the first record, a comma in quotes not counted
    record_widest: int = 0  # the most fields of any record (a quoted line break joins two lines)


def csv_cells(limits: Limits) -> int:
    """The cells a CSV of this size may span (the parser makes an object of every one, blank or not)."""
    return max(CELLS_FLOOR, limits.size // CSV_BYTES_PER_CELL)


def check_csv(content: bytes | IO[bytes], filename: str, limits: Limits) -> CsvShape:
    """Lines, the widest line and the grid the parser would build, against the limits, before any parsing.

    Counted on the bytes: in UTF-8 and GB18030 no byte of a multi-byte character is a comma, a quote or
    a line break. A comma in quotes is no separator; only when the counts say too much is the file
    parsed (by the csv module, one record at a time) to be sure. ``content`` is the file's bytes or
    the open (seekable, binary) file, read a slice at a time.
    """
    shape = _csv_shape(content)
    quoted = shape.quoted
    if shape.lines > limits.rows and (not quoted or _records(content, limits.rows + 1) > limits.rows):
        raise TableError(
            ErrorCode.FILE_TOO_LARGE,
            _("%(file)s has more than %(count)d lines; at most %(max)d rows are accepted in one file.")
            % {"file": filename, "count": limits.rows, "max": limits.max_rows},
        )
    if shape.widest > limits.max_columns:
        widest = _widest_record(content, limits.max_columns) if quoted else shape.widest
        if widest > limits.max_columns:
            raise refuse_columns(filename, widest, limits)
    if shape.lines * shape.width > csv_cells(limits):
        raise refuse_sparse(filename, shape.lines, shape.width)
    return shape


def csv_slices(content: bytes | IO[bytes]) -> Iterator[bytes]:
    """The bytes of a CSV a slice at a time, from the start (a file is read, never held whole)."""
    if isinstance(content, bytes):
        for start in range(0, len(content), CSV_SLICE_BYTES):
            yield content[start : start + CSV_SLICE_BYTES]
        return
    content.seek(0)
    while block := content.read(CSV_SLICE_BYTES):
        yield block


class _Widths:
    """Fields per line (or per record), counted slice by slice: the first one's and the widest."""

    def __init__(self) -> None:
        self.lines, self.widest, self.first, self.carry = 0, 0, -1, 0

    def add(self, commas: npt.NDArray[np.intp], breaks: npt.NDArray[np.intp]) -> None:
        if not breaks.size:
            self.carry += commas.size
            return
        before = np.searchsorted(commas, breaks)  # commas before each line break of the slice
        per_line = np.diff(before, prepend=0)
        per_line[0] += self.carry
        if self.first < 0:
            self.first = int(per_line[0])
        self.widest = max(self.widest, int(per_line.max()))
        self.lines += breaks.size
        self.carry = commas.size - int(before[-1])

    def end(self, open_line: bool) -> None:
        if open_line:
            self.lines += 1
            self.widest = max(self.widest, self.carry)
            self.first = self.carry if self.first < 0 else self.first


def _csv_shape(content: bytes | IO[bytes]) -> CsvShape:
    """Lines and commas per line with numpy, a few megabytes at a time.

    Records are counted too, with a comma or a line break inside double quotes no separator (an even
    number of quotes before it, escaped quotes included, puts it outside): ``record_widest`` above
    ``record_width`` means some record has more fields than the first one.
    """
    lines, records = _Widths(), _Widths()
    quotes_before = 0
    last = -1
    for block in csv_slices(content):
        part = np.frombuffer(block, dtype=np.uint8)
        last = int(part[-1])
        commas = np.flatnonzero(part == COMMA)
        breaks = np.flatnonzero((part == LINE_FEED) | (part == CARRIAGE_RETURN))
        lines.add(commas, breaks)
        quotes = np.flatnonzero(part == QUOTE)
        if quotes.size or quotes_before % 2:
            commas = commas[(quotes_before + np.searchsorted(quotes, commas)) % 2 == 0]
            breaks = breaks[(quotes_before + np.searchsorted(quotes, breaks)) % 2 == 0]
        records.add(commas, breaks)
        quotes_before += quotes.size
    open_line = last >= 0 and last not in (LINE_FEED, CARRIAGE_RETURN)
    lines.end(open_line)
    records.end(open_line)
    return CsvShape(
        lines=lines.lines,
        width=max(lines.first, 0) + 1,
        widest=lines.widest + 1,
        quoted=quotes_before > 0,
        record_width=max(records.first, 0) + 1,
        record_widest=records.widest + 1,
    )


def _latin1_text(content: bytes | IO[bytes]) -> IO[str]:
    """Commas, quotes and line breaks are ASCII: any ASCII-compatible text can be split as Latin-1."""
    if isinstance(content, bytes):
        return io.StringIO(content.decode("latin-1"), newline="")
    content.seek(0)
    return _Unclosing(content, encoding="latin-1", newline="")


class _Unclosing(io.TextIOWrapper):
    """A text view of a binary file that leaves the file open when it goes."""

    def __del__(self) -> None:
        with contextlib.suppress(ValueError):
            self.detach()


def _records(content: bytes | IO[bytes], enough: int) -> int:
    """Records, counted up to ``enough``: a quoted value may hold line breaks."""
    count = 0
    try:
        for _record in csv.reader(_latin1_text(content)):
            count += 1
            if count >= enough:
                break
    except csv.Error:
        return count  # the parser will say what is wrong
    return count


def _widest_record(content: bytes | IO[bytes], max_columns: int) -> int:
    """The fields of the first record wider than ``max_columns`` (else the widest), one record at a time."""
    widest = 0
    try:
        for record in csv.reader(_latin1_text(content)):
            widest = max(widest, len(record))
            if widest > max_columns:
                break
    except csv.Error:
        pass  # the parser will say what is wrong
    return widest
