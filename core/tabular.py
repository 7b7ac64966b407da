"""Uploaded tables: read a CSV or XLSX file, then check whole columns at once.

``read_table`` turns the bytes of an upload into a ``DataFrame`` of stripped
strings, one column per ``ColumnSpec`` plus ``row`` (the row number the user
sees in a spreadsheet). It refuses the file as a whole only when it cannot be
read as a table with the required headers; everything about single values is
left to the column normalisers below, which return, for each row, the value
in canonical form and an error code ("" when the value is good).

The normalisers apply exactly the rules of ``core.identifiers`` to whole
columns: the usual shapes are decided with numpy string functions and
code-point arithmetic, and the unusual rows (a 万, a sign, a stray tab) go
through the scalar functions themselves, so that both always agree and a
100,000-row file is checked in a fraction of a second per column. Money never
passes through a float: every cell is read as text and amounts are built with
``Decimal(str)``.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import cache
from itertools import chain
from typing import IO, Any

import numpy as np
import numpy.typing as npt
import pandas as pd
from django.utils.translation import gettext as _
from python_calamine import CalamineWorkbook

from core.csv_decoding import decode_table_text, table_encoding
from core.error_codes import ErrorCode
from core.identifiers import (
    AMOUNT_INTEGER_DIGITS,
    DATE_RE,
    EARLIEST_BIRTH_DATE,
    PHONE_SEPARATORS_RE,
    SCORE_MAX,
    InvalidValue,
    amount_from_parts,
    known_region_codes,
    normalize_text,
    parse_amount,
    parse_score,
    validate_mobile,
    validate_resident_id,
)
from core.upload_guard import (
    HEADER_SEARCH_ROWS,
    Limits,
    TableError,
    check_csv,
    check_workbook,
    csv_cells,
    csv_slices,
    default_max_columns,
    refuse_columns,
    refuse_sparse,
)

__all__ = [
    "ROW",
    "ColumnSpec",
    "Inspected",
    "TableError",
    "amounts",
    "dates",
    "inspect_table",
    "mobiles",
    "normalize_series",
    "read_table",
    "read_table_chunks",
    "resident_ids",
    "scores",
]

ROW = "row"  # the column that carries the spreadsheet row number (header = row 1)
# Records read at a time by ``read_table_chunks``: large enough to stay vectorised. At 200,000 a core debit
# file of a million lines peaked at 469 MiB (the allocator keeps freed slices' memory); at 100,000, 314 MiB
# in the same time (34 s).
CHUNK_ROWS = 100_000
# python-calamine holds a whole sheet while it is read (it has no lazy sheet), about 0.8 KB a row: a
# workbook read in chunks is refused beyond this many data rows, so that reading stays near 350 MiB;
# a larger delivery comes as CSV, which is read a chunk at a time whatever its size.
WORKBOOK_MAX_ROWS = 300_000
# A workbook's rows at a time: calamine holds the whole sheet (at most 1,048,576 rows) in its own compact
# form, so the rows made Python objects are kept fewer.
SHEET_CHUNK_ROWS = 50_000

ZIP_MAGIC = b"PK\x03\x04"  # XLSX is a zip archive
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # legacy .xls and password-protected workbooks
HEADER_NOISE_RE = re.compile(r"[\s_*\ufeff\u200b]+")
ROWS_LISTED = 10  # how many row numbers an error detail lists before "…"
EXACT_FLOAT_LIMIT = 1e15  # whole numbers below this have the same digits in a float and in Excel

# numpy ufuncs over object arrays: one C call per cell, no Python frame per row.
TYPE_OF = np.frompyfunc(type, 1, 1)
FLOAT_TYPE = np.array(float, dtype=object)
STR_TYPE = np.array(str, dtype=object)
STRIP = np.frompyfunc(str.strip, 1, 1)
LENGTH = np.frompyfunc(len, 1, 1)

BoolArray = npt.NDArray[np.bool_]
IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True)
class ColumnSpec:
    """One expected column: ``field`` is the English name the DataFrame uses.

    ``aliases`` are the headers users write (the Chinese header and the
    English field name); the field name itself is always accepted too.
    Matching ignores case, full-width forms, spaces, underscores and the ``*``
    that templates put on required headers.
    """

    field: str
    aliases: tuple[str, ...]
    required: bool


# --- reading ------------------------------------------------------------------------


def _old_excel(filename: str) -> TableError:
    """The refusal of an .xls (or password-protected) workbook, which neither reader can open."""
    return TableError(
        ErrorCode.NOT_A_TABLE,
        _("%(file)s is an old-style or password-protected Excel file: save it as .xlsx without a password, or as CSV.")
        % {"file": filename},
    )


def read_table(
    content: bytes,
    filename: str,
    columns: Sequence[ColumnSpec],
    *,
    max_rows: int,
    max_columns: int | None = None,
) -> pd.DataFrame:
    """Read an uploaded CSV or XLSX into one string column per spec, plus ``row``.

    XLSX is recognised by its bytes, whatever the file is called; anything
    else is read as CSV in UTF-8 (with or without BOM) or GB18030/GBK. The
    headers are the first non-blank row that names at least one known column
    (rows above it, such as a title, are skipped). Blank rows are dropped;
    ``row`` keeps the number the spreadsheet shows. A file without data rows
    gives an empty frame: whether that is an error is the caller's business.

    Before anything is parsed, ``core.upload_guard`` measures what the file
    would become (its rows, columns, cells and, for a workbook, what it
    inflates to) against ``max_rows`` and ``max_columns`` (default: the
    ``UPLOAD_MAX_COLUMNS`` setting), so that no file can make the reader take
    far more memory or time than its size justifies.
    """
    lookup = _header_lookup(columns)
    inspected = inspect_table(content, filename, max_rows=max_rows, max_columns=max_columns)
    limits, text = inspected.limits, inspected.text
    widths: IntArray | None = None
    if text is None:
        grid = _read_xlsx(content, filename)
    else:
        grid, widths = _read_csv(text, filename, limits)
    grid, nonblank, header, positions = _locate(grid, lookup, columns, filename)
    if text is not None and widths is None and header > 0:
        # A title row above the headers: the record widths are needed after all.
        grid, widths = _read_csv_records(text, filename, limits)
        grid, nonblank, header, positions = _locate(grid, lookup, columns, filename)

    data_rows = nonblank[nonblank > header]
    if data_rows.size > max_rows:
        raise _too_many_rows(filename, int(data_rows.size), max_rows)
    if widths is not None:
        _refuse_extra_cells(widths, header, data_rows, filename)

    result: dict[str, Any] = {}
    for spec in columns:
        position = positions.get(spec.field)
        if position is None:
            result[spec.field] = np.full(data_rows.size, "", dtype=object)
        else:
            result[spec.field] = grid.iloc[data_rows, position].to_numpy(dtype=object)
    result[ROW] = (data_rows + 1).astype(np.int64)
    return pd.DataFrame(result)


def _locate(
    grid: pd.DataFrame, lookup: dict[str, str], columns: Sequence[ColumnSpec], filename: str
) -> tuple[pd.DataFrame, IntArray, int, dict[str, int]]:
    """Strip the cells; find the non-blank rows, the header row and each field's column."""
    filled = np.zeros(grid.shape, dtype=bool)
    stripped: dict[int, npt.NDArray[np.object_]] = {}
    for position in range(grid.shape[1]):
        stripped[position], filled[:, position] = _stripped(grid.iloc[:, position].to_numpy(dtype=object))
    grid = pd.DataFrame(stripped, index=pd.RangeIndex(grid.shape[0]), dtype=object)
    nonblank = np.flatnonzero(filled.any(axis=1)).astype(np.int64)
    if nonblank.size == 0:
        raise TableError(ErrorCode.NOT_A_TABLE, _("%(file)s holds no values.") % {"file": filename})
    header, positions = _find_header(grid, nonblank, lookup, columns, filename)
    return grid, nonblank, header, positions


def _stripped(values: npt.NDArray[np.object_]) -> tuple[npt.NDArray[np.object_], BoolArray]:
    """A column of str with surrounding whitespace removed, and which cells are not empty."""
    texts = np.asarray(STRIP(values), dtype=object)
    return texts, texts.astype(bool)


@dataclass(frozen=True)
class Inspected:
    """A file that passed ``inspect_table``: the limits it was held to, and a CSV's decoded text."""

    limits: Limits
    text: str | None  # None for a workbook


def inspect_table(content: bytes, filename: str, *, max_rows: int, max_columns: int | None = None) -> Inspected:
    """What can be known of a file before it is parsed, or ``TableError``.

    A workbook's package and sheets are measured (``check_workbook``); a CSV's
    text is decoded (``decode_table_text``) and its lines and first record
    measured (``check_csv``). Cheap next to reading, so an upload can be
    refused with this before it is kept.
    """
    if not content.strip():
        raise TableError(ErrorCode.NOT_A_TABLE, _("%(file)s is empty.") % {"file": filename})
    limits = Limits(size=len(content), max_rows=max_rows, max_columns=max_columns or default_max_columns())
    if content.startswith(ZIP_MAGIC):
        check_workbook(content, filename, limits)
        return Inspected(limits, None)
    if content.startswith(OLE_MAGIC):
        raise _old_excel(filename)
    text = decode_table_text(content, filename)
    check_csv(content, filename, limits)
    return Inspected(limits, text)


def _read_xlsx(content: bytes, filename: str) -> pd.DataFrame:
    """The first sheet as text, one frame row per sheet row from row 1.

    python-calamine is called directly rather than through ``pandas.read_excel``:
    the result is the same grid, but pandas' cell-by-cell conversion doubles
    the time of a large workbook, and the cell types are needed anyway to
    write numbers as the cell shows them.
    """
    try:
        sheet = CalamineWorkbook.from_filelike(io.BytesIO(content)).get_sheet_by_index(0)
        rows = sheet.to_python(skip_empty_area=False)  # from A1, blank rows included
    except Exception as exc:  # calamine and zipfile raise many kinds of errors for a broken file
        raise TableError(
            ErrorCode.NOT_A_TABLE, _("%(file)s is not a readable XLSX workbook.") % {"file": filename}
        ) from exc
    return pd.DataFrame(rows, dtype=object).apply(_cells_as_text)


def _cells_as_text(column: pd.Series) -> pd.Series:
    """Cell values as the text a spreadsheet shows; numbers never via ``str(float)``.

    Calamine gives every number as a float. A whole number below 10^15 is
    written with its exact digits (``1200000``, ``13812345678``); a fraction
    or a larger number with the 15 significant digits Excel keeps and shows
    (an 18-digit ID typed as a number has lost its last digits in the file
    already). Dates become ``2027-02-13`` or ``2027-02-13 10:00:00``.
    """
    values = column.to_numpy(dtype=object)
    kinds = TYPE_OF(values)
    floats = np.equal(kinds, FLOAT_TYPE).astype(bool)
    texts = np.equal(kinds, STR_TYPE).astype(bool)
    if floats.any():
        numbers = values[floats].astype(np.float64)
        whole = np.isfinite(numbers) & (numbers == np.floor(numbers)) & (np.abs(numbers) < EXACT_FLOAT_LIMIT)
        text = np.empty(numbers.size, dtype=object)
        text[whole] = numbers[whole].astype(np.int64).astype(str).astype(object)
        text[~whole] = [_excel_number(number) for number in numbers[~whole]]
        values[floats] = text
    others = ~floats & ~texts
    values[others] = [str(value) for value in values[others]]
    return pd.Series(values, index=column.index, dtype=object)


def _excel_number(number: float) -> str:
    """A number with the 15 significant digits Excel shows, in plain notation."""
    text = format(number, ".15g")
    return format(Decimal(text), "f") if "e" in text else text


def _read_csv(text: str, filename: str, limits: Limits) -> tuple[pd.DataFrame, IntArray | None]:
    """Every record as a row (blank ones included) and, when known, its number of fields.

    pandas' C parser reads well-formed files; it stops at a record with more
    fields than the first one (or a blank first line), and then the csv module
    reads the file again so that such records can be reported by row.
    """
    try:
        grid = pd.read_csv(
            io.StringIO(text),
            header=None,
            dtype=str,
            na_filter=False,
            skip_blank_lines=False,
            engine="c",
        )
    except (pd.errors.ParserError, pd.errors.EmptyDataError):
        return _read_csv_records(text, filename, limits)
    # No record is wider than the first one, so none is wider than the
    # headers when they are the first row.
    return grid, None


def _read_csv_records(text: str, filename: str, limits: Limits) -> tuple[pd.DataFrame, IntArray]:
    """Every record with the csv module, refused as soon as one is too wide or the grid too large."""
    records: list[list[str]] = []
    width = 0
    cells = csv_cells(limits)
    try:
        for record in csv.reader(io.StringIO(text, newline="")):
            if len(record) > width:
                width = len(record)
                if width > limits.max_columns:
                    raise refuse_columns(filename, width, limits)
            records.append(record)
            if len(records) * width > cells:
                raise refuse_sparse(filename, len(records), width)
    except csv.Error as exc:
        raise TableError(ErrorCode.NOT_A_TABLE, _("%(file)s is not a readable CSV file.") % {"file": filename}) from exc
    widths = np.array([len(record) for record in records], dtype=np.int64)
    if width == 0:
        raise TableError(ErrorCode.NOT_A_TABLE, _("%(file)s holds no values.") % {"file": filename})
    grid = pd.DataFrame([record + [""] * (width - len(record)) for record in records], dtype=object)
    return grid, widths


def _refuse_extra_cells(widths: IntArray, header: int, data_rows: IntArray, filename: str) -> None:
    """In CSV a record with more fields than the header row has shifted values.

    The usual cause is an unquoted comma (``1,200,000``): read as it is, the
    row would carry wrong amounts, so the file is refused with the rows named.
    """
    wide = data_rows[widths[data_rows] > widths[header]]
    if wide.size:
        raise _extra_cells(tuple(int(i) + 1 for i in wide), filename)


def _extra_cells(numbers: tuple[int, ...], filename: str) -> TableError:
    listed = ", ".join(str(n) for n in numbers[:ROWS_LISTED])
    if len(numbers) > ROWS_LISTED:
        listed += " …"
    return TableError(
        ErrorCode.EXTRA_CELLS,
        _(
            "In %(file)s, rows %(rows)s have more cells than the header row: "
            "a value that contains a comma must be in double quotes."
        )
        % {"file": filename, "rows": listed},
        rows=numbers,
    )


def _too_many_rows(filename: str, count: int, max_rows: int) -> TableError:
    return TableError(
        ErrorCode.FILE_TOO_LARGE,
        _("%(file)s has %(count)d rows; at most %(max)d are accepted in one file.")
        % {"file": filename, "count": count, "max": max_rows},
    )


# --- reading a chunk at a time ----------------------------------------------------------

TableSource = bytes | IO[bytes]


def read_table_chunks(
    source: TableSource,
    filename: str,
    columns: Sequence[ColumnSpec],
    *,
    max_rows: int,
    max_columns: int | None = None,
    chunk_rows: int = CHUNK_ROWS,
) -> Iterator[pd.DataFrame]:
    """``read_table``, a chunk of at most ``chunk_rows`` records at a time: memory does not grow with the file.

    ``source`` is the file's bytes or, better, the open file itself (binary and seekable, such as an
    uploaded file), which is then never read whole: a CSV is decoded and parsed as it is read, a
    workbook's sheet is taken row by row. The chunks, concatenated, are exactly ``read_table``'s frame
    (the same columns, cells and row numbers), and the same files are refused with the same errors:
    whatever can be known before the rows (the guards of ``inspect_table``, the encoding, the header
    and its columns) is raised by this call itself; what only the whole file shows (more data rows
    than ``max_rows``, rows wider than the header) is raised by the iteration once the file has been
    read to its end, after the chunks before the first such row. An all-or-nothing import writes its
    chunks inside its transaction, which the error then takes back. A file without data rows gives
    one empty chunk.
    """
    handle = io.BytesIO(source) if isinstance(source, bytes) else _OwnPosition.reader(source)
    stream = _TableStream(handle, filename, columns, max_rows=max_rows, max_columns=max_columns, chunk_rows=chunk_rows)
    return stream.chunks()


class _OwnPosition(io.RawIOBase):
    """A view of an open file with a position of its own, which others' reads and seeks do not move.

    The caller may read the same file between two chunks (to keep it, say): the reader goes on
    where it was. Closing the view leaves the file open.
    """

    def __init__(self, handle: IO[bytes]) -> None:
        self.handle, self.position = handle, 0

    @classmethod
    def reader(cls, handle: IO[bytes]) -> IO[bytes]:
        return io.BufferedReader(cls(handle), buffer_size=1 << 20)

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        self.handle.seek(self.position)
        data = self.handle.read(len(buffer))
        buffer[: len(data)] = data
        self.position += len(data)
        return len(data)

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        if whence == io.SEEK_END:
            self.position = self.handle.seek(0, io.SEEK_END) + offset
        elif whence == io.SEEK_CUR:
            self.position += offset
        else:
            self.position = offset
        return self.position

    def tell(self) -> int:
        return self.position


@dataclass
class _Grid:
    """Records of the file from ``start`` on: stripped cells, the non-blank ones, and (CSV) each one's fields."""

    start: int
    cells: pd.DataFrame
    nonblank: IntArray
    widths: IntArray | None


def _grid_of(raw: pd.DataFrame, start: int, widths: IntArray | None) -> _Grid:
    filled = np.zeros(raw.shape, dtype=bool)
    stripped: dict[int, npt.NDArray[np.object_]] = {}
    for position in range(raw.shape[1]):
        stripped[position], filled[:, position] = _stripped(raw.iloc[:, position].to_numpy(dtype=object))
    cells = pd.DataFrame(stripped, index=pd.RangeIndex(raw.shape[0]), dtype=object)
    return _Grid(start, cells, np.flatnonzero(filled.any(axis=1)).astype(np.int64), widths)


def _grids_joined(grids: list[_Grid]) -> _Grid:
    """Consecutive grids as one (the first ones, where the header is looked for)."""
    if len(grids) == 1:
        return grids[0]
    cells = pd.concat([grid.cells for grid in grids], ignore_index=True).fillna("")
    nonblank = np.concatenate([grid.nonblank + (grid.start - grids[0].start) for grid in grids])
    if all(grid.widths is None for grid in grids):
        return _Grid(grids[0].start, cells, nonblank, None)
    # A grid of pandas' parser holds no record wider than the file's first.
    widths = np.concatenate(
        [
            grid.widths if grid.widths is not None else np.full(len(grid.cells), grid.cells.shape[1], dtype=np.int64)
            for grid in grids
        ]
    )
    return _Grid(grids[0].start, cells, nonblank, widths)


class _TableStream:
    """One file read a chunk at a time; see ``read_table_chunks``."""

    def __init__(
        self,
        handle: IO[bytes],
        filename: str,
        columns: Sequence[ColumnSpec],
        *,
        max_rows: int,
        max_columns: int | None,
        chunk_rows: int,
    ) -> None:
        self.handle, self.filename, self.columns = handle, filename, columns
        self.max_rows, self.chunk_rows = max_rows, max(1, chunk_rows)
        self.lookup = _header_lookup(columns)
        self.records = False  # CSV: the csv module rather than pandas' C parser
        self.workbook_capped = False  # a workbook held to WORKBOOK_MAX_ROWS, below the caller's max_rows
        self._records_from_start = False
        self.encoding, self.limits = self._inspect(max_columns)
        self.first, self.rest = self._header()

    def _inspect(self, max_columns: int | None) -> tuple[str | None, Limits]:
        """``inspect_table`` on the open file: the CSV's codec (None for a workbook) and the limits."""
        handle, filename = self.handle, self.filename
        size = handle.seek(0, io.SEEK_END)
        if not any(block.strip() for block in csv_slices(handle)):
            raise TableError(ErrorCode.NOT_A_TABLE, _("%(file)s is empty.") % {"file": filename})
        handle.seek(0)
        head = handle.read(len(OLE_MAGIC))
        limits = Limits(size=size, max_rows=self.max_rows, max_columns=max_columns or default_max_columns())
        if head.startswith(ZIP_MAGIC):
            return None, self._workbook_limits(limits)
        if head.startswith(OLE_MAGIC):
            raise _old_excel(filename)
        encoding = table_encoding(handle, filename)
        shape = check_csv(handle, filename, limits)
        # pandas' C parser reads a chunk at a time only when no record is wider than the first: it
        # would drop the extra cells of one that opens a chunk. Else the csv module reads the file
        # (as ``read_table`` does then too) and names the rows wider than the header.
        self.records = shape.record_widest > shape.record_width
        return encoding, limits

    def _workbook_limits(self, limits: Limits) -> Limits:
        """``check_workbook`` within ``WORKBOOK_MAX_ROWS``: a sheet longer than that, though within the
        caller's own limit, is refused with a word on sending it as CSV (here, or once counted)."""
        capped = dataclasses.replace(limits, max_rows=min(limits.max_rows, WORKBOOK_MAX_ROWS))
        self.workbook_capped = capped != limits
        try:
            check_workbook(self.handle, self.filename, capped)
        except TableError as exc:
            if not self.workbook_capped or exc.code != ErrorCode.FILE_TOO_LARGE:
                raise
            check_workbook(self.handle, self.filename, limits)  # refused for another reason: say that one
            raise self._workbook_too_long() from None
        self.max_rows = capped.max_rows
        return capped

    def _workbook_too_long(self) -> TableError:
        return TableError(
            ErrorCode.FILE_TOO_LARGE,
            _("%(file)s is a workbook of more than %(max)d rows: send a file this large as CSV.")
            % {"file": self.filename, "max": WORKBOOK_MAX_ROWS},
        )

    def _header(self) -> tuple[_Grid, Iterator[_Grid]]:
        """The first grids, joined, until the header can be found in them; the grids after them."""
        first, rest = self._leading(self._grids())
        header, self.positions = _find_header(first.cells, first.nonblank, self.lookup, self.columns, self.filename)
        if self.encoding is not None and header > 0 and not self._records_from_start:
            # A title row above the headers: the record widths are needed after all.
            self.records = True
            first, rest = self._leading(self._grids())
            header, self.positions = _find_header(first.cells, first.nonblank, self.lookup, self.columns, self.filename)
        self.header = header
        self.header_width = int(first.widths[header]) if first.widths is not None else first.cells.shape[1]
        return first, rest

    def _leading(self, grids: Iterator[_Grid]) -> tuple[_Grid, Iterator[_Grid]]:
        taken: list[_Grid] = []
        nonblank = 0
        for grid in grids:
            taken.append(grid)
            nonblank += grid.nonblank.size
            if nonblank >= HEADER_SEARCH_ROWS:
                break
        if not nonblank:
            raise TableError(ErrorCode.NOT_A_TABLE, _("%(file)s holds no values.") % {"file": self.filename})
        return _grids_joined(taken), grids

    def _grids(self) -> Iterator[_Grid]:
        if self.encoding is None:
            yield from self._sheet_grids()
        elif self.records:
            self._records_from_start = True
            yield from self._record_grids(skip=0)
        else:
            consumed = 0
            try:
                for raw in self._parsed():
                    yield _grid_of(raw, consumed, None)
                    consumed += len(raw)
            except (pd.errors.ParserError, pd.errors.EmptyDataError):
                # A record wider than the first (or a blank first line): the csv module reads on from there.
                self.records = True
                self._records_from_start = consumed == 0
                yield from self._record_grids(skip=consumed)

    def _parsed(self) -> Iterator[pd.DataFrame]:
        """pandas' C parser, ``chunk_rows`` records at a time, decoding as it reads."""
        self.handle.seek(0)
        with pd.read_csv(
            self.handle,
            header=None,
            dtype=str,
            na_filter=False,
            skip_blank_lines=False,
            engine="c",
            encoding=self.encoding,
            chunksize=self.chunk_rows,
        ) as reader:
            yield from reader

    def _record_grids(self, *, skip: int) -> Iterator[_Grid]:
        """Records with the csv module from record ``skip`` on, refused as soon as one is too wide."""
        limits, filename = self.limits, self.filename
        cells = csv_cells(limits)
        self.handle.seek(0)
        text = io.TextIOWrapper(self.handle, encoding=self.encoding, newline="")
        width = count = 0
        records: list[list[str]] = []
        try:
            for record in csv.reader(text):
                count += 1
                if len(record) > width:
                    width = len(record)
                    if width > limits.max_columns:
                        raise refuse_columns(filename, width, limits)
                if count * width > cells:
                    raise refuse_sparse(filename, count, width)
                if count <= skip:
                    continue
                records.append(record)
                if len(records) == self.chunk_rows:
                    yield _record_grid(records, count - len(records))
                    records = []
        except csv.Error as exc:
            raise TableError(
                ErrorCode.NOT_A_TABLE, _("%(file)s is not a readable CSV file.") % {"file": filename}
            ) from exc
        finally:
            text.detach()  # the file stays open: it is the caller's
        if records or not count:
            yield _record_grid(records, count - len(records))

    def _sheet_grids(self) -> Iterator[_Grid]:
        """The first sheet, ``chunk_rows`` rows at a time, as ``_read_xlsx`` would give them."""
        start = 0
        size = min(self.chunk_rows, SHEET_CHUNK_ROWS)
        try:
            self.handle.seek(0)
            sheet = CalamineWorkbook.from_filelike(self.handle).get_sheet_by_index(0)
            pad = sheet.start[1] if sheet.start is not None else 0  # the rows start at A1, the columns do not
            rows: list[list[Any]] = []
            for row in sheet.iter_rows():
                rows.append([""] * pad + row if pad else row)
                if len(rows) == size:
                    yield _grid_of(pd.DataFrame(rows, dtype=object).apply(_cells_as_text), start, None)
                    start += len(rows)
                    rows = []
        except TableError:
            raise
        except Exception as exc:  # calamine and zipfile raise many kinds of errors for a broken file
            raise TableError(
                ErrorCode.NOT_A_TABLE, _("%(file)s is not a readable XLSX workbook.") % {"file": self.filename}
            ) from exc
        if rows or not start:
            yield _grid_of(pd.DataFrame(rows, dtype=object).apply(_cells_as_text), start, None)

    def chunks(self) -> Iterator[pd.DataFrame]:
        header, total = self.header, 0
        wide: list[int] = []
        given = False
        for grid in chain([self.first], self.rest):
            data = grid.nonblank[grid.nonblank + grid.start > header]
            total += data.size
            if grid.widths is not None:
                wider = data[grid.widths[data] > self.header_width]
                wide.extend(int(i) + grid.start + 1 for i in wider)
            if total > self.max_rows or wide:
                continue  # read on only to name every such row, as ``read_table`` does
            for part in range(0, data.size, self.chunk_rows):  # the first grids were joined
                given = True
                yield self._frame(grid, data[part : part + self.chunk_rows])
        if total > self.max_rows:
            raise (
                self._workbook_too_long()
                if self.workbook_capped
                else _too_many_rows(self.filename, total, self.max_rows)
            )
        if wide:
            raise _extra_cells(tuple(wide), self.filename)
        if not given:
            yield self._frame(self.first, np.zeros(0, dtype=np.int64))

    def _frame(self, grid: _Grid, data: IntArray) -> pd.DataFrame:
        result: dict[str, Any] = {}
        for spec in self.columns:
            position = self.positions.get(spec.field)
            if position is None or position >= grid.cells.shape[1]:
                result[spec.field] = np.full(data.size, "", dtype=object)
            else:
                result[spec.field] = grid.cells.iloc[data, position].to_numpy(dtype=object)
        result[ROW] = (data + grid.start + 1).astype(np.int64)
        return pd.DataFrame(result)


def _record_grid(records: list[list[str]], start: int) -> _Grid:
    widths = np.array([len(record) for record in records], dtype=np.int64)
    width = int(widths.max(initial=0))
    raw = pd.DataFrame([record + [""] * (width - len(record)) for record in records], dtype=object)
    if not records:
        raw = pd.DataFrame(index=pd.RangeIndex(0))
    return _grid_of(raw, start, widths)


def _header_key(text: str) -> str:
    return HEADER_NOISE_RE.sub("", normalize_text(text).casefold())


def _header_lookup(columns: Sequence[ColumnSpec]) -> dict[str, str]:
    """Header key → field; a spec list that is ambiguous is a programming error."""
    lookup: dict[str, str] = {}
    for spec in columns:
        if spec.field == ROW:
            raise ValueError(f"{ROW!r} is reserved for the row number")
        for alias in (*spec.aliases, spec.field):
            key = _header_key(alias)
            if lookup.setdefault(key, spec.field) != spec.field:
                raise ValueError(f"header {alias!r} is claimed by {lookup[key]!r} and {spec.field!r}")
    fields = [spec.field for spec in columns]
    if len(set(fields)) != len(fields):
        raise ValueError("each field may have only one ColumnSpec")
    return lookup


def _find_header(
    grid: pd.DataFrame,
    nonblank: IntArray,
    lookup: dict[str, str],
    columns: Sequence[ColumnSpec],
    filename: str,
) -> tuple[int, dict[str, int]]:
    """The header row's index and, for each field found, its column position."""
    for index in nonblank[:HEADER_SEARCH_ROWS]:
        found: dict[str, list[int]] = {}
        for position, cell in enumerate(grid.iloc[int(index)]):
            field = lookup.get(_header_key(str(cell)))
            if field is not None:
                found.setdefault(field, []).append(position)
        if found:
            break
    else:
        raise TableError(
            ErrorCode.NO_HEADER,
            _("%(file)s has no header row: its first row must name the columns, e.g. %(example)s.")
            % {"file": filename, "example": ", ".join(_user_name(spec) for spec in columns[:3])},
        )
    repeated = tuple(field for field, places in found.items() if len(places) > 1)
    if repeated:
        names = [_user_name(spec) for spec in columns if spec.field in repeated]
        raise TableError(
            ErrorCode.DUPLICATE_COLUMNS,
            _("In %(file)s, more than one column is headed %(columns)s: keep one.")
            % {"file": filename, "columns": ", ".join(names)},
            fields=repeated,
        )
    missing = tuple(spec.field for spec in columns if spec.required and spec.field not in found)
    if missing:
        names = [_user_name(spec) for spec in columns if spec.field in missing]
        raise TableError(
            ErrorCode.MISSING_COLUMNS,
            _("%(file)s lacks required columns: %(columns)s.") % {"file": filename, "columns": ", ".join(names)},
            fields=missing,
        )
    return int(index), {field: places[0] for field, places in found.items()}


def _user_name(spec: ColumnSpec) -> str:
    """How a column is named to users: its first alias, with the English field name."""
    first = spec.aliases[0] if spec.aliases else spec.field
    return first if first == spec.field else f"{first} ({spec.field})"


# --- column normalisers --------------------------------------------------------------
#
# Each normaliser turns the column into a numpy unicode array once, maps
# full-width characters arithmetically on its code points, and decides the
# common shapes with numpy's string ufuncs and code-point matrices. Rows of
# an unusual shape (a 万, a sign, a stray tab, text longer than any valid
# value) fall back to the scalar rule of ``core.identifiers`` one by one, so
# the verdict is the same by construction.


def _anchored(pattern: re.Pattern[str]) -> re.Pattern[str]:
    """``str.extract`` searches; the scalar rules use ``fullmatch``."""
    return re.compile(rf"^(?:{pattern.pattern})\Z")


DATE_PATTERN = _anchored(DATE_RE)

MAX_FAST_WIDTH = 64  # no valid value is longer; longer cells take the scalar path
# Plain amounts of up to 16 digits (12 before a 万) fit NUMERIC(18, 2); longer ones take the scalar
# path, which refuses those too large (amount_too_large).
FAST_AMOUNT_DIGITS = AMOUNT_INTEGER_DIGITS
FAST_WAN_DIGITS = AMOUNT_INTEGER_DIGITS - 4
ID_WEIGHTS = np.array([7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2], dtype=np.int64)
ID_CHECK_CHARS = np.array([ord(c) for c in "10X98765432"], dtype=np.uint32)
REGION_WEIGHTS = np.array([100000, 10000, 1000, 100, 10, 1], dtype=np.int64)
YEAR_WEIGHTS = np.array([1000, 100, 10, 1], dtype=np.int64)
PAIR_WEIGHTS = np.array([10, 1], dtype=np.int64)
DAYS_IN_MONTH = np.array([31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31], dtype=np.int64)
ZERO, NINE = ord("0"), ord("9")

UnicodeArray = npt.NDArray[np.str_]
CodeMatrix = npt.NDArray[np.uint32]


@dataclass(frozen=True)
class _Column:
    """A column after ``normalize_text``: ``array`` holds row i faithfully where ``exact[i]``."""

    text: npt.NDArray[np.object_]  # the cells as given
    array: UnicodeArray
    exact: BoolArray

    def normalized(self, positions: IntArray) -> list[str]:
        """``normalize_text`` of the rows the array does not hold faithfully."""
        return [normalize_text(str(self.text[i])) for i in positions]


def _column(s: pd.Series) -> _Column:
    text = s.fillna("").astype(str).to_numpy(dtype=object)
    lengths = LENGTH(text).astype(np.int64) if text.size else np.zeros(0, dtype=np.int64)
    short = lengths <= MAX_FAST_WIDTH
    width = max(1, int(lengths.max(initial=0, where=short)))
    array = np.where(short, text, "").astype(f"U{width}")
    # numpy drops trailing NULs: such a row is not held faithfully.
    exact = short & (np.strings.str_len(array) == lengths)
    codes = array.view(np.uint32)
    codes[(codes >= 0xFF01) & (codes <= 0xFF5E)] -= 0xFEE0
    codes[codes == 0x3000] = 0x20
    return _Column(text=text, array=np.strings.strip(array), exact=exact)


def _matrix(array: UnicodeArray, width: int) -> CodeMatrix:
    """Code points, one row per string, at least ``width`` columns (0 pads)."""
    if array.dtype.itemsize == 0:  # every string empty
        return np.zeros((array.size, width), dtype=np.uint32)
    codes = np.ascontiguousarray(array).view(np.uint32).reshape(array.size, array.dtype.itemsize // 4)
    if codes.shape[1] < width:
        codes = np.pad(codes, ((0, 0), (0, width - codes.shape[1])))
    return codes


def _is_digit(codes: CodeMatrix) -> BoolArray:
    digit: BoolArray = (codes >= ZERO) & (codes <= NINE)
    return digit


def _digit_values(codes: CodeMatrix) -> npt.NDArray[np.int64]:
    return codes.astype(np.int64) - ZERO


def _all_digits(array: UnicodeArray) -> BoolArray:
    """Non-empty and ASCII digits only."""
    lengths = np.strings.str_len(array)
    codes = _matrix(array, 1)
    inside = np.arange(codes.shape[1]) < lengths[:, None]
    digits: BoolArray = (_is_digit(codes) | ~inside).all(axis=1) & (lengths > 0)
    return digits


def _grouped(array: UnicodeArray) -> BoolArray:
    """Digits with a comma before every group of three from the right (``1,234,567``)."""
    lengths = np.strings.str_len(array)[:, None]
    codes = _matrix(array, 1)
    place = np.arange(codes.shape[1])[None, :]
    inside = place < lengths
    expected = inside & ((lengths - place) % 4 == 0)
    grouped: BoolArray = ~(((codes == ord(",")) != expected) & inside).any(axis=1) & (lengths[:, 0] % 4 != 0)
    return grouped


def _series(values: npt.NDArray[Any], index: pd.Index) -> pd.Series:
    return pd.Series(values, index=index, dtype=object)


def _nothing(s: pd.Series) -> tuple[pd.Series, pd.Series]:
    """The answer for an empty column (some numpy string functions refuse empty arrays)."""
    return pd.Series([], index=s.index, dtype=object), pd.Series([], index=s.index, dtype=object)


def _first_code(conditions: list[BoolArray], codes: list[ErrorCode]) -> npt.NDArray[np.object_]:
    """The first code whose condition holds, else ""."""
    return np.select(conditions, codes, default="").astype(object)


def normalize_series(s: pd.Series) -> pd.Series:
    """``normalize_text`` for a column: full-width to half-width, then strip."""
    column = _column(s)
    result = column.array.astype(object)
    odd = np.flatnonzero(~column.exact)
    result[odd] = column.normalized(odd)
    return _series(result, s.index)


def amounts(s: pd.Series) -> tuple[pd.Series, pd.Series]:
    """``parse_amount`` for a column: (Decimal or None, error code or "")."""
    if s.empty:
        return _nothing(s)
    column = _column(s)
    count = len(column.array)
    body = np.strings.replace(column.array, " ", "")
    currency = np.strings.startswith(body, "¥") | np.strings.startswith(body, "￥")
    body = np.where(currency, np.strings.slice(body, 1, None), body)
    body = np.where(np.strings.endswith(body, "元"), np.strings.slice(body, 0, -1), body)
    wan = np.strings.endswith(body, "万")
    body = np.where(wan, np.strings.slice(body, 0, -1), body)
    integer, dot, fraction = np.strings.partition(body, ".")
    digits = np.strings.replace(integer, ",", "")
    has_comma = np.strings.str_len(digits) != np.strings.str_len(integer)
    has_dot = dot == "."
    shaped = column.exact & _all_digits(digits) & (~has_dot | _all_digits(fraction)) & (~has_comma | _grouped(integer))
    # The usual amounts are exact already: written with two decimals (and, for
    # 万, the decimal point moved four places) their text is the result.
    places = np.strings.str_len(fraction)
    lengths = np.strings.str_len(digits)
    simple = shaped & np.where(
        wan, (lengths <= FAST_WAN_DIGITS) & (places <= 6), (lengths <= FAST_AMOUNT_DIGITS) & (places <= 2)
    )
    six = np.strings.ljust(fraction, 6, "0")
    yuan = np.strings.add(np.strings.add(digits, "."), np.strings.slice(six, 0, 2))
    in_wan = np.strings.add(
        np.strings.add(np.strings.add(digits, np.strings.slice(six, 0, 4)), "."), np.strings.slice(six, 4, 6)
    )
    values = np.full(count, None, dtype=object)
    codes = np.full(count, "", dtype=object)
    values[simple] = list(map(Decimal, np.where(wan, in_wan, yuan)[simple].tolist()))
    # More decimals than that, or a very long number: the shared rounding rule.
    for i in np.flatnonzero(shaped & ~simple):
        try:
            values[i] = amount_from_parts(str(digits[i]), str(fraction[i]), wan=bool(wan[i]), negative=False)
        except InvalidValue as error:
            codes[i] = error.code
    # Anything else (a sign, a tab, no amount at all): the scalar rule itself.
    for i in np.flatnonzero(~shaped):
        try:
            values[i] = parse_amount(str(column.text[i]))
        except InvalidValue as error:
            codes[i] = error.code
    return _series(values, s.index), _series(codes, s.index)


@cache
def _known_region_numbers() -> npt.NDArray[np.int64]:
    return np.array(sorted(int(code) for code in known_region_codes()), dtype=np.int64)


def _real_dates(year: IntArray, month: IntArray, day: IntArray) -> BoolArray:
    leap = (year % 4 == 0) & ((year % 100 != 0) | (year % 400 == 0))
    last = DAYS_IN_MONTH[np.clip(month, 1, 12) - 1] + (leap & (month == 2))
    valid: BoolArray = (year >= 1) & (month >= 1) & (month <= 12) & (day >= 1) & (day <= last)
    return valid


def _ordinal(when: date) -> int:
    return when.year * 10000 + when.month * 100 + when.day


def resident_ids(s: pd.Series, *, today: date) -> tuple[pd.Series, pd.Series]:
    """``validate_resident_id`` for a column: (upper-cased number, error code or "")."""
    if s.empty:
        return _nothing(s)
    column = _column(s)
    count = len(column.array)
    upper = np.strings.upper(column.array)
    numbers = upper.astype(object)
    codes = np.full(count, "", dtype=object)
    rows = np.flatnonzero(column.exact & (np.strings.str_len(upper) == 18))
    chars = _matrix(upper[rows], 18)[:, :18]
    body = _digit_values(chars[:, :17])
    last = chars[:, 17]
    well_formed = _is_digit(chars[:, :17]).all(axis=1) & (_is_digit(last) | (last == ord("X")))
    checksum_ok = ID_CHECK_CHARS[(body @ ID_WEIGHTS) % 11] == last
    year = body[:, 6:10] @ YEAR_WEIGHTS
    month = body[:, 10:12] @ PAIR_WEIGHTS
    day = body[:, 12:14] @ PAIR_WEIGHTS
    born = year * 10000 + month * 100 + day
    in_range = (born >= _ordinal(EARLIEST_BIRTH_DATE)) & (born <= _ordinal(today))
    birth_ok = _real_dates(year, month, day) & in_range
    region_ok = np.isin(body[:, :6] @ REGION_WEIGHTS, _known_region_numbers())
    codes[rows] = _first_code(
        [~well_formed, ~checksum_ok, ~birth_ok, ~region_ok],
        [
            ErrorCode.INVALID_ID_FORMAT,
            ErrorCode.INVALID_ID_CHECKSUM,
            ErrorCode.INVALID_BIRTH_DATE,
            ErrorCode.UNKNOWN_REGION_CODE,
        ],
    )
    codes[column.exact & (np.strings.str_len(upper) != 18)] = ErrorCode.INVALID_ID_FORMAT
    for i in np.flatnonzero(~column.exact):
        numbers[i] = normalize_text(str(column.text[i])).upper()
        try:
            validate_resident_id(str(column.text[i]), today=today)
        except InvalidValue as error:
            codes[i] = error.code
    return _series(numbers, s.index), _series(codes, s.index)


def mobiles(s: pd.Series) -> tuple[pd.Series, pd.Series]:
    """``validate_mobile`` for a column: (11 digits, or the cleaned text when bad; code or "")."""
    if s.empty:
        return _nothing(s)
    column = _column(s)
    cleaned = np.strings.replace(np.strings.replace(column.array, " ", ""), "-", "")
    number = np.strings.slice(cleaned, -11, None)
    prefix = np.strings.slice(cleaned, 0, -11)
    head = _matrix(number, 2)
    good = (
        column.exact
        & (np.strings.str_len(number) == 11)
        & ((prefix == "") | (prefix == "+86") | (prefix == "0086") | (prefix == "86"))
        & _all_digits(number)
        & (head[:, 0] == ord("1"))
        & (head[:, 1] >= ord("3"))
    )
    values = np.where(good, number, cleaned).astype(object)
    codes = np.where(good, "", ErrorCode.INVALID_PHONE).astype(object)
    # Only digits and + are decided above; any other character (a tab, a
    # letter) or a cell numpy does not hold exactly goes to the scalar rule.
    plain = np.strings.replace(cleaned, "+", "")
    unusual = ~good & ~(column.exact & (_all_digits(plain) | (plain == "")))
    for i in np.flatnonzero(unusual):
        text = str(column.text[i])
        values[i] = PHONE_SEPARATORS_RE.sub("", normalize_text(text))
        try:
            values[i] = validate_mobile(text)
            codes[i] = ""
        except InvalidValue as error:
            codes[i] = error.code
    return _series(values, s.index), _series(codes, s.index)


def scores(s: pd.Series) -> tuple[pd.Series, pd.Series]:
    """``parse_score`` for a column: (Decimal to 0.01 or None, error code or "")."""
    if s.empty:
        return _nothing(s)
    column = _column(s)
    count = len(column.array)
    whole, dot, fraction = np.strings.partition(column.array, ".")
    cents = np.strings.ljust(np.strings.slice(fraction, 0, 2), 2, "0")
    beyond = np.strings.slice(fraction, 2, None)  # only zeros may follow the second decimal
    fraction_ok = (dot == "") | (_all_digits(fraction) & (np.strings.lstrip(beyond, "0") == ""))
    shaped = column.exact & _all_digits(whole) & (np.strings.str_len(whole) <= 3) & fraction_ok
    hundredths = np.zeros(count, dtype=np.int64)
    hundredths[shaped] = whole[shaped].astype(np.int64) * 100 + cents[shaped].astype(np.int64)
    good = shaped & (hundredths <= SCORE_MAX * 100)
    values = np.full(count, None, dtype=object)
    values[good] = list(map(Decimal, np.strings.add(np.strings.add(whole, "."), cents)[good].tolist()))
    codes = np.where(good, "", ErrorCode.INVALID_SCORE).astype(object)
    for i in np.flatnonzero(~column.exact):
        try:
            values[i] = parse_score(str(column.text[i]))
            codes[i] = ""
        except InvalidValue as error:
            codes[i] = error.code
    return _series(values, s.index), _series(codes, s.index)


def dates(s: pd.Series, *, earliest: date | None = None, latest: date | None = None) -> tuple[pd.Series, pd.Series]:
    """``parse_date`` for a column: (date or None, error code or "").

    A real date before ``earliest`` or after ``latest`` is ``date_out_of_range``
    (no value): 9999-12-31 is a date, but not one an order was placed on.
    """
    if s.empty:
        return _nothing(s)
    column = _column(s)
    count = len(column.array)
    lengths = np.strings.str_len(column.array)
    chars = _matrix(column.array, 19)[:, :19]
    digit = _is_digit(chars)
    number = _digit_values(chars)
    # The shapes files nearly always hold: 2027-02-13, 2027-02-13 00:00:00 and 20270213.
    iso = digit[:, [0, 1, 2, 3, 5, 6, 8, 9]].all(axis=1) & (chars[:, 4] == ord("-")) & (chars[:, 7] == ord("-"))
    clock = (
        digit[:, [11, 12, 14, 15, 17, 18]].all(axis=1)
        & (chars[:, 10] == ord(" "))
        & (chars[:, 13] == ord(":"))
        & (chars[:, 16] == ord(":"))
        & (number[:, 11:13] @ PAIR_WEIGHTS <= 23)
        & (number[:, 14:16] @ PAIR_WEIGHTS <= 59)
        & (number[:, 17:19] @ PAIR_WEIGHTS <= 59)
    )
    dashed = column.exact & iso & ((lengths == 10) | ((lengths == 19) & clock))
    compact = column.exact & (lengths == 8) & digit[:, :8].all(axis=1)
    year = number[:, 0:4] @ YEAR_WEIGHTS
    month = np.where(compact, number[:, 4:6] @ PAIR_WEIGHTS, number[:, 5:7] @ PAIR_WEIGHTS)
    day = np.where(compact, number[:, 6:8] @ PAIR_WEIGHTS, number[:, 8:10] @ PAIR_WEIGHTS)
    spelled = dashed | compact
    # Other spellings (2027/2/13, 2027年2月13日, ...) through the scalar rule's pattern.
    others = np.flatnonzero(~spelled)
    if others.size:
        texts = column.array[others].astype(object)
        odd = ~column.exact[others]
        texts[odd] = column.normalized(others[odd])
        parts = pd.Series(texts, dtype=object).str.extract(DATE_PATTERN).fillna("")
        matched = parts["y"].to_numpy(dtype=object) != ""
        found = others[matched]
        parts = parts[matched]
        year[found] = parts["y"].astype(np.int64).to_numpy()
        month[found] = (parts["m"] + parts["m2"] + parts["m3"]).astype(np.int64).to_numpy()
        day[found] = (parts["d"] + parts["d2"] + parts["d3"]).astype(np.int64).to_numpy()
        spelled[found] = True
    real = spelled & _real_dates(year, month, day)
    ordinal = year * 10000 + month * 100 + day
    inside = np.ones(count, dtype=bool)
    if earliest is not None:
        inside &= ordinal >= _ordinal(earliest)
    if latest is not None:
        inside &= ordinal <= _ordinal(latest)
    good = real & inside
    values = np.full(count, None, dtype=object)
    if good.any():
        years = (year[good] - 1970).astype("datetime64[Y]")
        months = years.astype("datetime64[M]") + (month[good] - 1).astype("timedelta64[M]")
        days = months.astype("datetime64[D]") + (day[good] - 1).astype("timedelta64[D]")
        values[good] = days.astype(object)  # datetime64[D] becomes datetime.date
    codes = _first_code([~real, ~inside], [ErrorCode.INVALID_DATE, ErrorCode.DATE_OUT_OF_RANGE])
    return _series(values, s.index), _series(codes, s.index)
