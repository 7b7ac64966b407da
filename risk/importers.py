"""Reading what the data provider delivers: trade records and monitoring events. The only pandas in risk.

A file goes through ``core.tabular`` (CSV in UTF-8 or GBK, or XLSX; Chinese
or English headers); an API push is first turned into the same table of text
cells, so both channels are checked by the same code and give the same rows.

Each cell is checked a whole column at a time and a bad cell is reported as
``{row, column, code, detail}``; the other rows go on. Provider files are
large (a year of orders of an anchor's farmers: millions of rows, some two
dozen per farmer), so identity numbers and dates are checked once per
distinct value and identity numbers are hashed once per distinct value.

What goes on is plain text per column, ready for PostgreSQL ``COPY``, with
``records()`` giving the same rows as Python values (``Decimal``, ``date``)
for the ``bulk_create`` path. Money never passes through a float.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import IO, Any, TypedDict

import numpy as np
import numpy.typing as npt
import pandas as pd
from django.conf import settings
from django.utils.translation import gettext as _

from core import tabular
from core.error_codes import ErrorCode
from core.identifiers import EARLIEST_DATE, InvalidValue, validate_uscc
from core.masking import pii_hash
from risk.models import EventType, MonitoringEvent

ObjectArray = npt.NDArray[np.object_]

TRADE_COLUMNS = (
    tabular.ColumnSpec("id_number", ("身份证号", "身份证号码", "id_number"), True),
    tabular.ColumnSpec("order_no", ("订单号", "订单编号", "order_no"), True),
    tabular.ColumnSpec("order_date", ("订单日期", "order_date"), True),
    tabular.ColumnSpec("amount", ("订单金额", "amount"), True),
)
EVENT_COLUMNS = (
    tabular.ColumnSpec("subject_id", ("主体证件号", "subject_id"), True),
    tabular.ColumnSpec("event_type", ("事件类型", "event_type"), True),
    tabular.ColumnSpec("event_date", ("事件日期", "event_date"), True),
    tabular.ColumnSpec("value", ("数值", "value"), False),
    tabular.ColumnSpec("detail", ("详情", "detail"), False),
    tabular.ColumnSpec("event_id", ("事件编号", "event_id"), True),
)
TRADE_FIELDS = tuple(spec.field for spec in TRADE_COLUMNS)
EVENT_FIELDS = tuple(spec.field for spec in EVENT_COLUMNS)
# The model fields each kind of row fills, in the order of the COPY text.
TRADE_RECORD_FIELDS = ("id_hash", "order_no", "order_date", "amount")
EVENT_RECORD_FIELDS = (
    "event_id",
    "subject_hash",
    "subject_kind",
    "event_type",
    "event_date",
    "value",
    "detail",
)

CHUNK_ROWS = 100_000  # rows read and checked at a time: large enough to stay vectorised, small enough for memory
MEMO_LIMIT = 250_000  # identity verdicts kept from slice to slice (a cache: memory must not grow with the file)
KEY_MAX_LENGTH = 64  # order and event numbers: the width of their columns
MAX_ERRORS_LISTED = 10_000  # a systematically broken file must not become a giant answer
# NUMERIC(18, 2) holds up to 16 digits before the point.
AMOUNT_LIMIT = Decimal(10) ** 16
# A record is dated from 1900 to a year after the business date (the close may lag the calendar);
# 9999-12-31 or 1899-01-01 is a date, but not one of an order or an event.
LATEST_DAYS_AHEAD = 366
PLAIN_AMOUNT_WIDTH = 19  # 16 digits, a point and two decimals
# A key with a control character is broken data; a backslash is escaped for COPY.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f]")
COPY_SPECIAL = re.compile(r"[\\\t\n\r]")
FULL_WIDTH = re.compile("[\uff01-\uff5e\u3000]")
COPY_NULL = "\\N"


class RowError(TypedDict):
    row: int
    column: str
    code: str
    detail: str


def row_error_detail(code: str) -> str:
    """The sentence a clerk reads beside a refused cell."""
    messages: dict[str, str] = {
        ErrorCode.REQUIRED: _("This column is required and the cell is empty."),
        ErrorCode.TOO_LONG: _("The text is too long."),
        ErrorCode.INVALID_ID_FORMAT: _("A resident ID number has 18 characters: 17 digits and a final digit or X."),
        ErrorCode.INVALID_ID_CHECKSUM: _("The check digit of this resident ID number is wrong."),
        ErrorCode.INVALID_BIRTH_DATE: _("The birth date in this resident ID number is not a real date."),
        ErrorCode.UNKNOWN_REGION_CODE: _(
            "The first six digits of this resident ID number are not a known region code."
        ),
        ErrorCode.INVALID_AMOUNT: _("Not an amount in yuan: write it like 1200000, 1,200,000.00 or 120万."),
        ErrorCode.NEGATIVE_AMOUNT: _("An amount may not be negative."),
        ErrorCode.AMOUNT_TOO_LARGE: _("The amount is too large."),
        ErrorCode.INVALID_DATE: _("This is not a date: write it like 2027-02-13."),
        ErrorCode.DATE_OUT_OF_RANGE: _("The date is too far in the past or the future."),
        ErrorCode.INVALID_KEY: _(
            "Order and event numbers may not contain tabs, line breaks or other control characters."
        ),
        ErrorCode.INVALID_SUBJECT_ID: _(
            "This is neither a valid resident ID number nor a valid unified social credit code."
        ),
        ErrorCode.UNKNOWN_EVENT_TYPE: _(
            "Unknown event type: use litigation, enforcement, dishonest, multi_lender, "
            "credit_overdue or business_abnormal."
        ),
        ErrorCode.INVALID_VALUE: _("The value must be a number that is not negative."),
    }
    return messages.get(code, code)


@dataclass(frozen=True)
class RowsChunk:
    """A slice of a delivery's rows: those that go on, column by column as text, and the errors of the others.

    ``columns`` holds one array of text per name in ``fields``, in the form
    PostgreSQL's ``COPY`` text format reads (``\\N`` for NULL, special
    characters escaped). ``repeated`` counts good rows whose key (order or
    event number) came earlier in the same slice: they are duplicates,
    not errors, and are left out, whatever they hold (the first occurrence
    of a key is the delivery's record; one of an earlier slice is found by
    the database when the slice is written). ``row_numbers`` holds each kept row's
    number as the errors give it (a file's row, a push's position).
    """

    fields: tuple[str, ...]
    columns: dict[str, ObjectArray]
    rows_total: int
    repeated: int
    row_numbers: npt.NDArray[np.int64] = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    errors: list[RowError] = field(default_factory=list)
    errors_total: int = 0
    # field → how its COPY text becomes a Python value for ``records()``
    converters: dict[str, Callable[[str], Any]] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.columns[self.fields[0]]) if self.fields else 0

    def copy_text(self, *, leading: Sequence[object] = (), row_numbers: bool = False) -> bytes:
        """The rows as PostgreSQL ``COPY … FROM STDIN`` text format, UTF-8.

        ``leading`` values (say the anchor's and the delivery's ids) open every line, then with
        ``row_numbers`` each row's number.
        """
        if not len(self):
            return b""
        columns = [self.columns[name].tolist() for name in self.fields]
        if row_numbers:
            columns.insert(0, self.row_numbers.astype(str).tolist())
        lines: Iterator[str] = map("\t".join, zip(*columns, strict=True))
        if leading:
            prefix = "".join(f"{value}\t" for value in leading)
            lines = (prefix + line for line in lines)
        return ("\n".join(lines) + "\n").encode()

    def records(self) -> Iterator[tuple[Any, ...]]:
        """The rows as Python values in ``fields`` order (``Decimal``, ``date``, ``None``)."""
        convert = [self.converters.get(name, _unescape) for name in self.fields]
        for cells in zip(*(self.columns[name] for name in self.fields), strict=True):
            yield tuple(None if cell == COPY_NULL else how(cell) for how, cell in zip(convert, cells, strict=True))


@dataclass
class ProviderRows:
    """A delivery read and checked a slice of rows at a time, as it is iterated (once).

    A file is read as it is iterated too (``tabular.read_table_chunks``), so
    that no more than a slice of it is ever in memory, whatever its size.
    Slices let the database write one while the next is being checked. The
    slices come in row order and share a bounded cache of identity verdicts
    (an identity number is checked and hashed once while it stays in it); a
    key (order or event number) that came in an earlier slice is a repeat in
    a later one, which the database finds.
    ``rows_total`` counts the rows iterated so far. A ``TableError`` that only
    the whole file shows (rows wider than the header, too many rows) comes
    out of the iteration, after the slices before it.
    """

    frames: Iterable[pd.DataFrame]
    fields: tuple[str, ...]
    check: Callable[[pd.DataFrame], RowsChunk]
    rows_total: int = 0

    def __iter__(self) -> Iterator[RowsChunk]:
        for frame in self.frames:
            self.rows_total += len(frame)
            yield self.check(frame)


def _slices(frame: pd.DataFrame) -> Iterator[pd.DataFrame]:
    """A frame in slices of ``CHUNK_ROWS`` rows; an empty frame is one empty slice."""
    size = CHUNK_ROWS
    for start in range(0, max(len(frame), 1), size):
        yield frame.iloc[start : start + size]


def _file_frames(
    content: bytes | IO[bytes], filename: str, columns: Sequence[tabular.ColumnSpec]
) -> Iterator[pd.DataFrame]:
    """The file's table a slice at a time; what can be refused before the rows is refused now."""
    return tabular.read_table_chunks(content, filename, columns, max_rows=provider_max_rows(), chunk_rows=CHUNK_ROWS)


def provider_max_rows() -> int:
    return int(getattr(settings, "PROVIDER_MAX_ROWS", 5_000_000))


def provider_max_bytes() -> int:
    return int(getattr(settings, "PROVIDER_MAX_BYTES", 1 << 30))


# --- trade records (三方交易数据) ------------------------------------------------------


def read_trade_file(content: bytes | IO[bytes], filename: str, *, today: dt.date | None = None) -> ProviderRows:
    """Read a trade file (its bytes or the open file), read and checked as it is iterated.

    An unusable table raises ``TableError``. ``today`` is the business date
    (identity numbers may not be born after it).
    """
    frames = _file_frames(content, filename, TRADE_COLUMNS)
    return ProviderRows(frames, TRADE_RECORD_FIELDS, _trade_check(today or _business_date()))


def trade_rows_from_records(records: Sequence[Any], *, today: dt.date | None = None) -> ProviderRows:
    """The same for the records of an API push; ``row`` is the record's position from 1."""
    frame = _frame_from_records(records, TRADE_FIELDS)
    return ProviderRows(_slices(frame), TRADE_RECORD_FIELDS, _trade_check(today or _business_date()))


def _trade_check(today: dt.date) -> Callable[[pd.DataFrame], RowsChunk]:
    identities: dict[str, tuple[str, str]] = {}

    def check(frame: pd.DataFrame) -> RowsChunk:
        codes: dict[str, ObjectArray] = {}
        hashes, codes["id_number"] = _identity_hashes(frame["id_number"], today=today, memo=identities)
        order_no, codes["order_no"] = _keys(frame["order_no"])
        order_date, codes["order_date"] = _dates(frame["order_date"], today=today)
        amount, codes["amount"] = _amounts(frame["amount"])
        for name in TRADE_FIELDS:
            codes[name] = _required(frame[name], codes[name])

        errors, errors_total, bad = _row_errors(frame, codes, TRADE_FIELDS)
        keep, repeated = _first_of_each_key(order_no, ~bad)
        return RowsChunk(
            fields=TRADE_RECORD_FIELDS,
            columns={
                "id_hash": hashes[keep],
                "order_no": _copy_escaped(order_no[keep]),
                "order_date": order_date[keep],
                "amount": amount[keep],
            },
            rows_total=len(frame),
            repeated=repeated,
            row_numbers=frame[tabular.ROW].to_numpy(dtype=np.int64)[keep],
            errors=errors,
            errors_total=errors_total,
            converters={"order_date": dt.date.fromisoformat, "amount": Decimal},
        )

    return check


# --- monitoring events (三方监测数据) ---------------------------------------------------


def read_event_file(content: bytes | IO[bytes], filename: str, *, today: dt.date | None = None) -> ProviderRows:
    """Read an event file (its bytes or the open file), read and checked as it is iterated.

    An unusable table raises ``TableError``.
    """
    frames = _file_frames(content, filename, EVENT_COLUMNS)
    return ProviderRows(frames, EVENT_RECORD_FIELDS, _event_check(today or _business_date()))


def event_rows_from_records(records: Sequence[Any], *, today: dt.date | None = None) -> ProviderRows:
    """The same for the events of an API push; ``row`` is the event's position from 1."""
    frame = _frame_from_records(records, EVENT_FIELDS)
    return ProviderRows(_slices(frame), EVENT_RECORD_FIELDS, _event_check(today or _business_date()))


def _event_check(today: dt.date) -> Callable[[pd.DataFrame], RowsChunk]:
    subjects: dict[str, tuple[str, str, str]] = {}

    def check(frame: pd.DataFrame) -> RowsChunk:
        count = len(frame)
        codes: dict[str, ObjectArray] = {}
        subject_hash, subject_kind, codes["subject_id"] = _subjects(frame["subject_id"], today=today, memo=subjects)
        event_type = tabular.normalize_series(frame["event_type"]).str.lower().to_numpy(dtype=object)
        known = np.isin(event_type, EventType.values)
        codes["event_type"] = np.where(known, "", ErrorCode.UNKNOWN_EVENT_TYPE).astype(object)
        event_date, codes["event_date"] = _dates(frame["event_date"], today=today)
        value, codes["value"] = _values(frame["value"])
        codes["detail"] = np.full(count, "", dtype=object)
        event_id, codes["event_id"] = _keys(frame["event_id"])
        for name in ("subject_id", "event_type", "event_date", "event_id"):
            codes[name] = _required(frame[name], codes[name])

        errors, errors_total, bad = _row_errors(frame, codes, EVENT_FIELDS)
        keep, repeated = _first_of_each_key(event_id, ~bad)
        # PostgreSQL text cannot hold NUL; no reader of a detail misses it.
        detail = frame["detail"].astype(str).str.replace("\x00", "", regex=False).to_numpy(dtype=object)
        return RowsChunk(
            fields=EVENT_RECORD_FIELDS,
            columns={
                "event_id": _copy_escaped(event_id[keep]),
                "subject_hash": subject_hash[keep],
                "subject_kind": subject_kind[keep],
                "event_type": event_type[keep],
                "event_date": event_date[keep],
                "value": value[keep],
                "detail": _copy_escaped(detail[keep]),
            },
            rows_total=count,
            repeated=repeated,
            row_numbers=frame[tabular.ROW].to_numpy(dtype=np.int64)[keep],
            errors=errors,
            errors_total=errors_total,
            converters={"event_date": dt.date.fromisoformat, "value": Decimal},
        )

    return check


# --- columns ----------------------------------------------------------------------------


def _business_date() -> dt.date:
    from core.business_date import business_date_get

    return business_date_get()


def _distinct(column: pd.Series) -> tuple[npt.NDArray[np.intp], pd.Series]:
    """Each row's position among the distinct values, and those values."""
    positions, uniques = pd.factorize(column.to_numpy(dtype=object), use_na_sentinel=False)
    return positions, pd.Series(np.asarray(uniques, dtype=object), dtype=object)


def _identity_hashes(
    column: pd.Series, *, today: dt.date, memo: dict[str, tuple[str, str]]
) -> tuple[ObjectArray, ObjectArray]:
    """(pii_hash of the normalised resident ID or "", error code or ""), each distinct cell once.

    ``memo`` carries the verdicts from one slice of the delivery to the next.
    """
    positions, uniques = _distinct(column)
    new = [cell for cell in uniques if cell not in memo]
    if new:
        _bounded(memo, len(new))
        numbers, codes = tabular.resident_ids(pd.Series(new, dtype=object), today=today)
        for cell, number, code in zip(new, numbers, codes, strict=True):
            memo[cell] = ("" if code else pii_hash(number), code)
    verdicts = [memo[cell] for cell in uniques]
    hashes = np.array([verdict[0] for verdict in verdicts], dtype=object)
    errors = np.array([verdict[1] for verdict in verdicts], dtype=object)
    return hashes[positions], errors[positions]


def _subjects(
    column: pd.Series, *, today: dt.date, memo: dict[str, tuple[str, str, str]]
) -> tuple[ObjectArray, ObjectArray, ObjectArray]:
    """A subject is a person (resident ID) or an enterprise (USCC): (hash, kind, error code)."""
    positions, uniques = _distinct(column)
    new = [cell for cell in uniques if cell not in memo]
    if new:
        _bounded(memo, len(new))
        numbers, codes = tabular.resident_ids(pd.Series(new, dtype=object), today=today)
        for cell, number, code in zip(new, numbers, codes, strict=True):
            memo[cell] = _subject(cell, number, code)
    verdicts = [memo[cell] for cell in uniques]
    columns = [np.array([verdict[i] for verdict in verdicts], dtype=object) for i in range(3)]
    return columns[0][positions], columns[1][positions], columns[2][positions]


def _bounded(memo: dict[str, Any], coming: int) -> None:
    """The verdicts kept from slice to slice are a cache: emptied before it would pass ``MEMO_LIMIT``."""
    if len(memo) + coming > MEMO_LIMIT:
        memo.clear()


def _subject(cell: str, number: str, resident_id_code: str) -> tuple[str, str, str]:
    if not resident_id_code:
        return pii_hash(number), MonitoringEvent.SubjectKind.PERSON.value, ""
    try:
        return pii_hash(validate_uscc(cell)), MonitoringEvent.SubjectKind.ENTERPRISE.value, ""
    except InvalidValue:
        return "", "", ErrorCode.INVALID_SUBJECT_ID


def _dates(column: pd.Series, *, today: dt.date) -> tuple[ObjectArray, ObjectArray]:
    """(ISO date text or "", error code or ""): a file holds few distinct dates, each checked once."""
    positions, uniques = _distinct(column)
    latest = today + dt.timedelta(days=LATEST_DAYS_AHEAD)
    values, codes = tabular.dates(uniques, earliest=EARLIEST_DATE, latest=latest)
    texts = np.array([value.isoformat() if value is not None else "" for value in values], dtype=object)
    return texts[positions], codes.to_numpy(dtype=object)[positions]


def _amounts(column: pd.Series) -> tuple[ObjectArray, ObjectArray]:
    """(amount as exact decimal text or "", error code or "")."""
    texts = column.to_numpy(dtype=object).copy()
    codes = np.full(len(texts), "", dtype=object)
    other = np.flatnonzero(~_plain_amounts(texts))
    if other.size:
        values, value_codes = tabular.amounts(column.iloc[other])
        for i, value, code in zip(other, values, value_codes, strict=True):
            if code:
                texts[i], codes[i] = "", code
            elif value >= AMOUNT_LIMIT:
                texts[i], codes[i] = "", ErrorCode.AMOUNT_TOO_LARGE
            else:
                texts[i] = format(value, "f")
    return texts, codes


def _plain_amounts(texts: ObjectArray) -> npt.NDArray[np.bool_]:
    """Which cells are plain decimals: 1 to 16 digits, then optionally a point and 1 or 2 digits.

    Such a cell is its own exact value (``parse_amount`` reads it unchanged),
    so it needs no ``Decimal``: the text goes to the database as it is. The
    test works on the code points of a fixed-width array, all rows at once.
    """
    lengths = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))
    short = np.flatnonzero((lengths >= 1) & (lengths <= PLAIN_AMOUNT_WIDTH))
    plain = np.zeros(len(texts), dtype=bool)
    if not short.size:
        return plain
    width = int(lengths[short].max())
    points = np.asarray(texts[short].tolist(), dtype=f"U{width}").view(np.uint32).reshape(short.size, width)
    length = lengths[short]
    inside = np.arange(width)[None, :] < length[:, None]
    digit = (points >= ord("0")) & (points <= ord("9"))
    dot = points == ord(".")
    dots = dot.sum(axis=1)
    where = np.where(dots == 1, dot.argmax(axis=1), length)  # position of the point, or the length
    plain[short] = (
        ((digit | dot) | ~inside).all(axis=1)
        & (dots <= 1)
        & (where >= 1)
        & (where <= 16)
        & ((dots == 0) | (length - where - 1 >= 1) & (length - where - 1 <= 2))
    )
    return plain


def _values(column: pd.Series) -> tuple[ObjectArray, ObjectArray]:
    """An event's optional number: (decimal text or ``\\N``, error code or "")."""
    texts, codes = _amounts(column)
    given = column.to_numpy(dtype=object) != ""
    codes = np.where(given & (codes != ""), ErrorCode.INVALID_VALUE, "").astype(object)
    texts = np.where(given, texts, COPY_NULL).astype(object)
    return texts, codes


def _keys(column: pd.Series) -> tuple[ObjectArray, ObjectArray]:
    """Order or event numbers: full-width forms folded, (text, error code or "")."""
    keys = column.to_numpy(dtype=object)
    if _any_match(keys, FULL_WIDTH):
        keys = tabular.normalize_series(column).to_numpy(dtype=object)
    lengths = np.fromiter(map(len, keys), dtype=np.int64, count=len(keys))
    codes = np.where(lengths > KEY_MAX_LENGTH, ErrorCode.TOO_LONG, "").astype(object)
    if _any_match(keys, CONTROL_CHARACTERS):
        broken = np.fromiter((CONTROL_CHARACTERS.search(key) is not None for key in keys), dtype=bool)
        codes[broken & (codes == "")] = ErrorCode.INVALID_KEY
    return keys, codes


def _any_match(texts: ObjectArray, pattern: re.Pattern[str]) -> bool:
    """Whether any cell holds the pattern (a character class): one search over all cells at once."""
    return pattern.search("".join(texts.tolist())) is not None


def _required(cells: pd.Series, codes: ObjectArray) -> ObjectArray:
    """An empty required cell reads better as ``required`` than as its format error."""
    empty = cells.to_numpy(dtype=object) == ""
    return np.where(empty, ErrorCode.REQUIRED, codes).astype(object)


def _copy_escaped(texts: ObjectArray) -> ObjectArray:
    """Backslash, tab and line breaks as COPY's text format writes them; other rows untouched."""
    if not _any_match(texts, COPY_SPECIAL):
        return texts
    escaped = texts.copy()
    for i in np.flatnonzero(np.fromiter((COPY_SPECIAL.search(t) is not None for t in texts), dtype=bool)):
        text = texts[i]
        escaped[i] = text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
    return escaped


def _unescape(text: str) -> str:
    if "\\" not in text:
        return text
    out, chars = [], iter(text)
    for char in chars:
        if char == "\\":
            following = next(chars, "")
            out.append({"t": "\t", "n": "\n", "r": "\r"}.get(following, following))
        else:
            out.append(char)
    return "".join(out)


def _first_of_each_key(keys: ObjectArray, good: npt.NDArray[np.bool_]) -> tuple[npt.NDArray[np.intp], int]:
    """Positions of good rows whose key is the first of its kind in the slice; how many repeat one.

    A key that came in an earlier slice of the delivery is found by the database, where that
    slice's row is written already (``risk.services.deliveries``): the keys of a whole delivery
    are never held here, so memory does not grow with the file.
    """
    positions = np.flatnonzero(good)
    candidates = keys[positions]
    repeated = pd.Series(candidates, dtype=object).duplicated(keep="first").to_numpy()
    return positions[~repeated], int(repeated.sum())


def _row_errors(
    frame: pd.DataFrame, codes: dict[str, ObjectArray], order: tuple[str, ...]
) -> tuple[list[RowError], int, npt.NDArray[np.bool_]]:
    """The refused cells in row then column order (the first ``MAX_ERRORS_LISTED``), their count, bad rows."""
    bad = np.zeros(len(frame), dtype=bool)
    positions: list[npt.NDArray[np.intp]] = []
    columns: list[npt.NDArray[np.intp]] = []
    for index, name in enumerate(order):
        where = np.flatnonzero(codes[name] != "")
        bad[where] = True
        positions.append(where)
        columns.append(np.full(where.size, index, dtype=np.intp))
    position = np.concatenate(positions)
    column = np.concatenate(columns)
    listed = np.lexsort((column, position))[:MAX_ERRORS_LISTED]
    rows = frame[tabular.ROW].to_numpy()
    errors: list[RowError] = []
    for i in listed:
        name = order[column[i]]
        code = str(codes[name][position[i]])
        errors.append({"row": int(rows[position[i]]), "column": name, "code": code, "detail": row_error_detail(code)})
    return errors, int(position.size), bad


def _frame_from_records(records: Sequence[Any], fields: tuple[str, ...]) -> pd.DataFrame:
    """JSON records as the table ``read_table`` would give: stripped text cells and ``row``."""
    cells: dict[str, list[str]] = {name: [] for name in fields}
    for record in records:
        for name in fields:
            value = record.get(name) if isinstance(record, dict) else None
            cells[name].append(_json_cell(value))
    frame = pd.DataFrame({name: pd.Series(cells[name], dtype=object) for name in fields})
    frame[tabular.ROW] = np.arange(1, len(records) + 1, dtype=np.int64)
    return frame


def _json_cell(value: Any) -> str:
    """Text as a file would hold it. Numbers come as ``Decimal`` (``parse_float=Decimal``), never float."""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return ""  # null, true/false, lists and objects are no cell value
