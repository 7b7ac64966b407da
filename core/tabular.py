"""Uploaded tables: read a CSV or XLSX file, then check whole columns at once.

``read_table`` turns the bytes of an upload into a ``DataFrame`` of stripped
strings, one column per ``ColumnSpec`` plus ``row`` (the row number the user
sees in a spreadsheet). It refuses the file as a whole only when it cannot be
read as a table with the required headers; everything about single values is
left to the column normalisers below, which return, for each row, the value
in canonical form and an error code ("" when the value is good).

The normalisers apply exactly the rules of ``core.identifiers`` (they share
its patterns) but work on whole columns with pandas string methods and numpy,
so that a 100,000-row file is checked in well under a second per column.
Money never passes through a float: every cell is read as text and amounts
are built with ``Decimal(str)``.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
from django.utils.translation import gettext as _

from core.identifiers import (
    AMOUNT_RE,
    DATE_RE,
    EARLIEST_BIRTH_DATE,
    FULL_TO_HALF,
    MOBILE_RE,
    RESIDENT_ID_RE,
    SCORE_MAX,
    SCORE_RE,
    InvalidValue,
    amount_from_parts,
    known_region_codes,
    normalize_text,
)

__all__ = [
    "ROW",
    "ColumnSpec",
    "TableError",
    "amounts",
    "dates",
    "mobiles",
    "normalize_series",
    "read_table",
    "resident_ids",
    "scores",
]

ROW = "row"  # the column that carries the spreadsheet row number (header = row 1)

ZIP_MAGIC = b"PK\x03\x04"  # XLSX is a zip archive
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # legacy .xls and password-protected workbooks
ENCODINGS = ("utf-8-sig", "gb18030")  # gb18030 is a superset of GBK and GB2312
# Control characters never appear in a text table: their presence means binary data.
BINARY_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
HEADER_NOISE_RE = re.compile(r"[\s_*\ufeff\u200b]+")
HEADER_SEARCH_ROWS = 10  # a title row or two above the headers is common in Chinese templates
ROWS_LISTED = 10  # how many row numbers an error detail lists before "…"

BoolArray = npt.NDArray[np.bool_]
IntArray = npt.NDArray[np.int64]


class TableError(Exception):
    """The file as a whole cannot be used; ``code`` is stable, ``detail`` is for people.

    ``fields`` names the columns concerned (for ``missing_columns`` and
    ``duplicate_columns``); ``rows`` the spreadsheet rows (for ``extra_cells``).
    """

    def __init__(
        self, code: str, detail: str, *, fields: tuple[str, ...] = (), rows: tuple[int, ...] = ()
    ) -> None:
        super().__init__(f"{code}: {detail}")
        self.code = code
        self.detail = str(detail)
        self.fields = fields
        self.rows = rows


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


def read_table(
    content: bytes, filename: str, columns: Sequence[ColumnSpec], *, max_rows: int
) -> pd.DataFrame:
    """Read an uploaded CSV or XLSX into one string column per spec, plus ``row``.

    XLSX is recognised by its bytes, whatever the file is called; anything
    else is read as CSV in UTF-8 (with or without BOM) or GB18030/GBK. The
    headers are the first non-blank row that names at least one known column
    (rows above it, such as a title, are skipped). Blank rows are dropped;
    ``row`` keeps the number the spreadsheet shows. A file without data rows
    gives an empty frame: whether that is an error is the caller's business.
    """
    lookup = _header_lookup(columns)
    if not content.strip():
        raise TableError("not_a_table", _("%(file)s is empty.") % {"file": filename})
    text: str | None = None
    widths: IntArray | None = None
    if content.startswith(ZIP_MAGIC):
        grid = _read_xlsx(content, filename)
    elif content.startswith(OLE_MAGIC):
        raise TableError(
            "not_a_table",
            _(
                "%(file)s is an old-style or password-protected Excel file: "
                "save it as .xlsx without a password, or as CSV."
            )
            % {"file": filename},
        )
    else:
        text = _decode(content, filename)
        grid, widths = _read_csv(text, filename)
    grid, nonblank, header, positions = _locate(grid, lookup, columns, filename)
    if text is not None and widths is None and header > 0:
        # A title row above the headers: the record widths are needed after all.
        grid, widths = _read_csv_records(text, filename)
        grid, nonblank, header, positions = _locate(grid, lookup, columns, filename)

    data_rows = nonblank[nonblank > header]
    if data_rows.size > max_rows:
        raise TableError(
            "file_too_large",
            _("%(file)s has %(count)d rows; at most %(max)d are accepted in one file.")
            % {"file": filename, "count": data_rows.size, "max": max_rows},
        )
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
    grid = grid.apply(lambda column: column.str.strip())
    filled = (grid != "").to_numpy(dtype=bool)
    nonblank = np.flatnonzero(filled.any(axis=1)).astype(np.int64)
    if nonblank.size == 0:
        raise TableError("not_a_table", _("%(file)s holds no values.") % {"file": filename})
    header, positions = _find_header(grid, nonblank, lookup, columns, filename)
    return grid, nonblank, header, positions


def _decode(content: bytes, filename: str) -> str:
    for encoding in ENCODINGS:
        try:
            text = content.decode(encoding)
        except UnicodeDecodeError:
            continue
        if BINARY_RE.search(text):
            break
        return text
    raise TableError(
        "not_a_table",
        _("%(file)s is not a CSV or XLSX table: upload a CSV (UTF-8 or GBK) or an XLSX file.")
        % {"file": filename},
    )


def _read_xlsx(content: bytes, filename: str) -> pd.DataFrame:
    """The first sheet as text, one frame row per sheet row from row 1."""
    try:
        grid = pd.read_excel(io.BytesIO(content), engine="calamine", sheet_name=0, header=None, dtype=str)
    except Exception as exc:  # calamine and zipfile raise many kinds of errors for a broken file
        raise TableError(
            "not_a_table", _("%(file)s is not a readable XLSX workbook.") % {"file": filename}
        ) from exc
    grid = grid.fillna("")
    # Numeric cells come from calamine as floats. pandas turns whole ones into
    # ints before making them text; should a version not do so, ``1200000.0``
    # and ``13812345678.0`` are put back to the digits the cell shows.
    for label in grid.columns:
        column = grid[label]
        suspect = column.str.endswith(".0")
        if suspect.any():
            grid.loc[suspect, label] = column[suspect].str.replace(r"^(-?[0-9]+)\.0+$", r"\1", regex=True)
    return grid


def _read_csv(text: str, filename: str) -> tuple[pd.DataFrame, IntArray | None]:
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
        return _read_csv_records(text, filename)
    # No record is wider than the first one, so none is wider than the
    # headers when they are the first row.
    return grid, None


def _read_csv_records(text: str, filename: str) -> tuple[pd.DataFrame, IntArray]:
    try:
        records = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as exc:
        raise TableError(
            "not_a_table", _("%(file)s is not a readable CSV file.") % {"file": filename}
        ) from exc
    widths = np.array([len(record) for record in records], dtype=np.int64)
    width = int(widths.max(initial=0))
    if width == 0:
        raise TableError("not_a_table", _("%(file)s holds no values.") % {"file": filename})
    grid = pd.DataFrame([record + [""] * (width - len(record)) for record in records], dtype=object)
    return grid, widths


def _refuse_extra_cells(widths: IntArray, header: int, data_rows: IntArray, filename: str) -> None:
    """In CSV a record with more fields than the header row has shifted values.

    The usual cause is an unquoted comma (``1,200,000``): read as it is, the
    row would carry wrong amounts, so the file is refused with the rows named.
    """
    wide = data_rows[widths[data_rows] > widths[header]]
    if wide.size:
        numbers = tuple(int(i) + 1 for i in wide)
        listed = ", ".join(str(n) for n in numbers[:ROWS_LISTED])
        if len(numbers) > ROWS_LISTED:
            listed += " …"
        raise TableError(
            "extra_cells",
            _(
                "In %(file)s, rows %(rows)s have more cells than the header row: "
                "a value that contains a comma must be in double quotes."
            )
            % {"file": filename, "rows": listed},
            rows=numbers,
        )


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
            "no_header",
            _("%(file)s has no header row: its first row must name the columns, e.g. %(example)s.")
            % {"file": filename, "example": ", ".join(_user_name(spec) for spec in columns[:3])},
        )
    repeated = tuple(field for field, places in found.items() if len(places) > 1)
    if repeated:
        names = [_user_name(spec) for spec in columns if spec.field in repeated]
        raise TableError(
            "duplicate_columns",
            _("In %(file)s, more than one column is headed %(columns)s: keep one.")
            % {"file": filename, "columns": ", ".join(names)},
            fields=repeated,
        )
    missing = tuple(spec.field for spec in columns if spec.required and spec.field not in found)
    if missing:
        names = [_user_name(spec) for spec in columns if spec.field in missing]
        raise TableError(
            "missing_columns",
            _("%(file)s lacks required columns: %(columns)s.")
            % {"file": filename, "columns": ", ".join(names)},
            fields=missing,
        )
    return int(index), {field: places[0] for field, places in found.items()}


def _user_name(spec: ColumnSpec) -> str:
    """How a column is named to users: its first alias, with the English field name."""
    first = spec.aliases[0] if spec.aliases else spec.field
    return first if first == spec.field else f"{first} ({spec.field})"


# --- column normalisers --------------------------------------------------------------


def _anchored(pattern: re.Pattern[str]) -> re.Pattern[str]:
    """``str.extract`` searches; the scalar rules use ``fullmatch``."""
    return re.compile(rf"^(?:{pattern.pattern})\Z")


AMOUNT_PATTERN = _anchored(AMOUNT_RE)
MOBILE_PATTERN = _anchored(MOBILE_RE)
SCORE_PATTERN = _anchored(SCORE_RE)
DATE_PATTERN = _anchored(DATE_RE)

ID_WEIGHTS = np.array([7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2], dtype=np.int64)
ID_CHECK_CHARS = np.frombuffer(b"10X98765432", dtype=np.uint8)
DAYS_IN_MONTH = np.array([31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31], dtype=np.int64)
FAST_AMOUNT_DIGITS = 20  # longer amounts take the scalar path, which knows the decimal context's limits


def normalize_series(s: pd.Series) -> pd.Series:
    """``normalize_text`` for a column: full-width to half-width, then strip."""
    return s.fillna("").astype(str).str.translate(FULL_TO_HALF).str.strip()


def _codes(index: pd.Index, conditions: list[BoolArray], codes: list[str]) -> pd.Series:
    """The first code whose condition holds, else ""."""
    return pd.Series(np.select(conditions, codes, default=""), index=index, dtype=object)


def amounts(s: pd.Series) -> tuple[pd.Series, pd.Series]:
    """``parse_amount`` for a column: (Decimal or None, error code or "")."""
    text = normalize_series(s).str.replace(r"\s+", "", regex=True)
    parts = text.str.extract(AMOUNT_PATTERN)
    matched = parts["int"].notna().to_numpy(dtype=bool)
    negative = (parts["neg"].notna() | parts["neg2"].notna()).to_numpy(dtype=bool)
    wan = parts["wan"].notna().to_numpy(dtype=bool)
    integer = parts["int"].fillna("").str.replace(",", "", regex=False)
    fraction = parts["frac"].fillna("")
    fast = (
        matched
        & ~negative
        & ~wan
        & (fraction.str.len() <= 2).to_numpy(dtype=bool)
        & (integer.str.len() <= FAST_AMOUNT_DIGITS).to_numpy(dtype=bool)
    )
    values = np.full(len(s), None, dtype=object)
    codes = np.where(matched, "", "invalid_amount").astype(object)
    # The common case is exact already: pad to two decimals and read the text.
    exact = integer[fast] + "." + fraction[fast].str.pad(2, side="right", fillchar="0")
    values[fast] = [Decimal(value) for value in exact]
    # 万, more than two decimals, a sign or a very long number: the scalar rule.
    for position in np.flatnonzero(matched & ~fast):
        try:
            values[position] = amount_from_parts(
                parts["int"].iat[position],
                fraction.iat[position],
                wan=bool(wan[position]),
                negative=bool(negative[position]),
            )
        except InvalidValue as error:
            codes[position] = error.code
    return pd.Series(values, index=s.index, dtype=object), pd.Series(codes, index=s.index, dtype=object)


def _digits(text: pd.Series, width: int) -> npt.NDArray[np.uint8]:
    """ASCII strings of one width as a (rows, width) array of their bytes."""
    raw = np.array(text.tolist(), dtype=f"S{width}")
    return raw.view(np.uint8).reshape(-1, width)


def _real_dates(year: IntArray, month: IntArray, day: IntArray) -> BoolArray:
    leap = (year % 4 == 0) & ((year % 100 != 0) | (year % 400 == 0))
    last = DAYS_IN_MONTH[np.clip(month, 1, 12) - 1] + (leap & (month == 2))
    valid: BoolArray = (year >= 1) & (month >= 1) & (month <= 12) & (day >= 1) & (day <= last)
    return valid


def _ordinal(when: date) -> int:
    return when.year * 10000 + when.month * 100 + when.day


def resident_ids(s: pd.Series, *, today: date) -> tuple[pd.Series, pd.Series]:
    """``validate_resident_id`` for a column: (upper-cased number, error code or "")."""
    text = normalize_series(s).str.upper()
    count = len(text)
    well_formed = text.str.fullmatch(RESIDENT_ID_RE).to_numpy(dtype=bool)
    checksum_ok = np.zeros(count, dtype=bool)
    birth_ok = np.zeros(count, dtype=bool)
    region_ok = np.zeros(count, dtype=bool)
    if well_formed.any():
        candidates = text[well_formed]
        chars = _digits(candidates, 18)
        digits = chars[:, :17].astype(np.int64) - ord("0")
        checksum_ok[well_formed] = ID_CHECK_CHARS[(digits @ ID_WEIGHTS) % 11] == chars[:, 17]
        year = digits[:, 6:10] @ np.array([1000, 100, 10, 1], dtype=np.int64)
        month = digits[:, 10:12] @ np.array([10, 1], dtype=np.int64)
        day = digits[:, 12:14] @ np.array([10, 1], dtype=np.int64)
        born = year * 10000 + month * 100 + day
        in_range = (born >= _ordinal(EARLIEST_BIRTH_DATE)) & (born <= _ordinal(today))
        birth_ok[well_formed] = _real_dates(year, month, day) & in_range
        region_ok[well_formed] = candidates.str[:6].isin(known_region_codes()).to_numpy(dtype=bool)
    codes = _codes(
        text.index,
        [~well_formed, ~checksum_ok, ~birth_ok, ~region_ok],
        ["invalid_id_format", "invalid_id_checksum", "invalid_birth_date", "unknown_region_code"],
    )
    return text, codes


def mobiles(s: pd.Series) -> tuple[pd.Series, pd.Series]:
    """``validate_mobile`` for a column: (11 digits, or the cleaned text when bad; code or "")."""
    text = normalize_series(s).str.replace(r"[\s-]+", "", regex=True)
    number = text.str.extract(MOBILE_PATTERN)["number"]
    good = number.notna().to_numpy(dtype=bool)
    return number.where(good, text), _codes(text.index, [~good], ["invalid_phone"])


def scores(s: pd.Series) -> tuple[pd.Series, pd.Series]:
    """``parse_score`` for a column: (int or None, error code or "")."""
    whole = normalize_series(s).str.extract(SCORE_PATTERN)["int"]
    matched = whole.notna().to_numpy(dtype=bool)
    numbers = np.zeros(len(whole), dtype=np.int64)
    numbers[matched] = whole[matched].astype(np.int64).to_numpy()
    good = matched & (numbers <= SCORE_MAX)
    values = np.full(len(whole), None, dtype=object)
    values[good] = numbers[good].tolist()
    return pd.Series(values, index=s.index, dtype=object), _codes(s.index, [~good], ["invalid_score"])


def dates(s: pd.Series) -> tuple[pd.Series, pd.Series]:
    """``parse_date`` for a column: (date or None, error code or "")."""
    parts = normalize_series(s).str.extract(DATE_PATTERN)
    matched = parts["y"].notna().to_numpy(dtype=bool)
    count = len(parts)
    year = np.zeros(count, dtype=np.int64)
    month = np.zeros(count, dtype=np.int64)
    day = np.zeros(count, dtype=np.int64)
    if matched.any():
        found = parts[matched]
        year[matched] = found["y"].astype(np.int64).to_numpy()
        # Exactly one spelling matched: the other groups are empty.
        spelled = found.fillna("")
        month[matched] = (spelled["m"] + spelled["m2"] + spelled["m3"]).astype(np.int64).to_numpy()
        day[matched] = (spelled["d"] + spelled["d2"] + spelled["d3"]).astype(np.int64).to_numpy()
    good = matched & _real_dates(year, month, day)
    values = np.full(count, None, dtype=object)
    if good.any():
        years = (year[good] - 1970).astype("datetime64[Y]")
        months = years.astype("datetime64[M]") + (month[good] - 1).astype("timedelta64[M]")
        days = months.astype("datetime64[D]") + (day[good] - 1).astype("timedelta64[D]")
        values[good] = days.astype(object)  # datetime64[D] becomes datetime.date
    return pd.Series(values, index=s.index, dtype=object), _codes(s.index, [~good], ["invalid_date"])
