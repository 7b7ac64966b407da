"""The files of the lists, read and checked (the pandas edge of ``distribution``; formats: docs/distribution.md).

Each reader takes the file a slice at a time (``core.tabular.read_table_chunks``: CSV in UTF-8, UTF-8 with BOM
or GB18030, or XLSX; Chinese or English headers), checks whole columns with ``core.tabular``'s rules and gives
back plain rows and row errors (``{row, column, code, detail}``, the row as a spreadsheet numbers it). An
identity number never leaves this module in clear: a row carries its keyed hash and masked form. The services
refuse a file with any row error whole (``file_rejected``).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import IO, Any

import pandas as pd
from django.conf import settings
from django.utils.translation import gettext as _

from core import tabular
from core.error_codes import ErrorCode
from core.errors import DomainError
from core.masking import mask_id_number, pii_hash

Spec = tabular.ColumnSpec

PREAPPROVED_COLUMNS = (
    Spec("reference", ("客户号", "reference"), True),
    Spec("name", ("姓名", "name"), True),
    Spec("id_number", ("身份证号", "id_number"), True),
    Spec("phone", ("手机号", "phone"), True),
    Spec("opened_on", ("开户日期", "opened_on"), True),
    Spec("amount", ("预授信额度", "amount"), True),
    Spec("outlet", ("网点代码", "outlet"), False),
)
MERCHANT_COLUMNS = (
    Spec("reference", ("商户编号", "reference"), True),
    Spec("name", ("商户名称", "name"), True),
    Spec("phone", ("联系人手机号", "phone"), True),
    Spec("category", ("类别", "category"), True),
    Spec("market", ("商圈或市场", "market"), True),
    Spec("id_number", ("法人身份证号", "id_number"), False),
    Spec("outlet", ("网点代码", "outlet"), False),
)
CLIENT_COLUMNS = (
    Spec("reference", ("客户号", "reference"), False),
    Spec("name", ("姓名", "name"), True),
    Spec("id_number", ("身份证号", "id_number"), True),
    Spec("phone", ("手机号", "phone"), False),
)
CALL_RESULT_COLUMNS = (
    Spec("entry", ("名单编号", "entry"), True),
    Spec("called_at", ("呼叫时间", "called_at"), True),
    Spec("result", ("结果代码", "result"), True),
    Spec("note", ("备注", "note"), False),
)
# The merchants' two kinds, as the bank-card department writes them.
MERCHANT_CATEGORIES = {"商圈": "district", "专业市场": "market", "district": "district", "market": "market"}
# The call centre's result codes (its own words accepted beside ours).
RESULT_CODES = {
    "reached": "reached",
    "not_reached": "not_reached",
    "declined": "declined",
    "interested": "interested",
    "drew": "drew",
    "fraud": "fraud",
    "接通": "reached",
    "未接通": "not_reached",
    "拒绝": "declined",
    "有意向": "interested",
    "已提款": "drew",
    "认为诈骗": "fraud",
}
ACCOUNT_YEARS = 3
TEXT_MAX = {"reference": 64, "name": 100, "market": 100, "note": 500, "outlet": 20}
ENTRY_REFERENCE = re.compile(r"[Ee]?(\d{1,18})")
CALLED_AT = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?)?")


def max_rows() -> int:
    return int(getattr(settings, "DISTRIBUTION_FILE_MAX_ROWS", 200_000))


@dataclass
class Table:
    """What a file came to: its good rows (plain values) and the errors of its bad cells."""

    rows: list[dict[str, Any]] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)
    total: int = 0

    def error(self, row: int, column: str, code: str, detail: str) -> None:
        self.errors.append({"row": row, "column": column, "code": str(code), "detail": detail})


def row_error_detail(code: str) -> str:
    """The sentence beside a refused cell of a list file."""
    messages: dict[str, str] = {
        ErrorCode.REQUIRED: _("This column is required and the cell is empty."),
        ErrorCode.TOO_LONG: _("The text is too long."),
        ErrorCode.DUPLICATE_IN_FILE: _("This appears earlier in the same file."),
        ErrorCode.INVALID_ID_FORMAT: _("A resident ID number has 17 digits and a digit or X."),
        ErrorCode.INVALID_ID_CHECKSUM: _("The check digit of this resident ID number is wrong."),
        ErrorCode.INVALID_BIRTH_DATE: _("The birth date in this resident ID number is not a real date."),
        ErrorCode.UNKNOWN_REGION_CODE: _("This resident ID number has no known region code."),
        ErrorCode.INVALID_PHONE: _("This is not a mainland mobile number of 11 digits."),
        ErrorCode.INVALID_DATE: _("This is not a date: write it like 2027-02-13."),
        ErrorCode.DATE_OUT_OF_RANGE: _("The account must have been open for three years or more."),
        ErrorCode.INVALID_AMOUNT: _("The amount must be a number of yuan greater than zero."),
        ErrorCode.AMOUNT_TOO_LARGE: _("The amount is too large."),
        ErrorCode.NEGATIVE_AMOUNT: _("The amount must be a number of yuan greater than zero."),
        ErrorCode.INVALID_KIND: _("The category must be 商圈 or 专业市场."),
        ErrorCode.UNKNOWN_ORG_NODE: _("No node of the list owner's subtree has this code."),
        ErrorCode.UNKNOWN_ENTRY: _("No entry you may see has this number."),
        ErrorCode.INVALID_OUTCOME: _(
            "Unknown result code: use reached, not_reached, declined, interested, drew or fraud."
        ),
    }
    return messages.get(code, code)


def _read(
    content: bytes | IO[bytes], filename: str, columns: Sequence[Spec], check: Callable[[pd.DataFrame, Table], None]
) -> Table:
    table = Table()
    try:
        for frame in tabular.read_table_chunks(content, filename, columns, max_rows=max_rows()):
            table.total += len(frame)
            check(frame, table)
    except tabular.TableError as exc:
        raise DomainError(exc.code, exc.detail) from None
    if table.total == 0:
        raise DomainError(ErrorCode.NO_DATA_ROWS, _("%(file)s has a header but no data rows.") % {"file": filename})
    return table


def _texts(frame: pd.DataFrame, column: str) -> list[str]:
    if column not in frame:
        return [""] * len(frame)
    return [str(value) for value in tabular.normalize_series(frame[column].fillna("")).tolist()]


def _coded(table: Table, rows: list[int], column: str, codes: Sequence[Any], bad: list[bool]) -> None:
    for i, code in enumerate(codes):
        if code:
            table.error(rows[i], column, str(code), row_error_detail(str(code)))
            bad[i] = True


def _required_texts(frame: pd.DataFrame, table: Table, rows: list[int], bad: list[bool], column: str) -> list[str]:
    values = _texts(frame, column)
    limit = TEXT_MAX.get(column, 100)
    for i, value in enumerate(values):
        if not value:
            table.error(rows[i], column, ErrorCode.REQUIRED, row_error_detail(ErrorCode.REQUIRED))
            bad[i] = True
        elif len(value) > limit:
            table.error(rows[i], column, ErrorCode.TOO_LONG, row_error_detail(ErrorCode.TOO_LONG))
            bad[i] = True
    return values


def _optional_texts(frame: pd.DataFrame, table: Table, rows: list[int], bad: list[bool], column: str) -> list[str]:
    values = _texts(frame, column)
    limit = TEXT_MAX.get(column, 100)
    for i, value in enumerate(values):
        if len(value) > limit:
            table.error(rows[i], column, ErrorCode.TOO_LONG, row_error_detail(ErrorCode.TOO_LONG))
            bad[i] = True
    return values


def _identities(
    frame: pd.DataFrame, table: Table, rows: list[int], bad: list[bool], *, today: dt.date, required: bool
) -> list[tuple[str, str]]:
    """(keyed hash, masked) of each row's resident ID number; ("", "") where the optional cell is empty."""
    texts = _texts(frame, "id_number")
    if "id_number" in frame:
        numbers, codes = tabular.resident_ids(frame["id_number"].fillna(""), today=today)
        pairs = list(zip(numbers.tolist(), codes.tolist(), strict=True))
    else:
        pairs = [("", "")] * len(rows)
    result: list[tuple[str, str]] = []
    for i, (number, code) in enumerate(pairs):
        if not texts[i]:
            if required:
                table.error(rows[i], "id_number", ErrorCode.REQUIRED, row_error_detail(ErrorCode.REQUIRED))
                bad[i] = True
            result.append(("", ""))
        elif code:
            table.error(rows[i], "id_number", str(code), row_error_detail(str(code)))
            bad[i] = True
            result.append(("", ""))
        else:
            result.append((pii_hash(str(number)), mask_id_number(str(number))))
    return result


def _phones(frame: pd.DataFrame, table: Table, rows: list[int], bad: list[bool], *, required: bool) -> list[str]:
    texts = _texts(frame, "phone")
    if "phone" not in frame:
        return [""] * len(rows)
    numbers, codes = tabular.mobiles(frame["phone"].fillna(""))
    result: list[str] = []
    for i, (number, code) in enumerate(zip(numbers.tolist(), codes.tolist(), strict=True)):
        if not texts[i]:
            if required:
                table.error(rows[i], "phone", ErrorCode.REQUIRED, row_error_detail(ErrorCode.REQUIRED))
                bad[i] = True
            result.append("")
        elif code:
            table.error(rows[i], "phone", str(code), row_error_detail(str(code)))
            bad[i] = True
            result.append("")
        else:
            result.append(str(number))
    return result


def _duplicates(table: Table, seen: set[str], rows: list[int], bad: list[bool], column: str, keys: list[str]) -> None:
    for i, key in enumerate(keys):
        if not key:
            continue
        if key in seen:
            table.error(rows[i], column, ErrorCode.DUPLICATE_IN_FILE, row_error_detail(ErrorCode.DUPLICATE_IN_FILE))
            bad[i] = True
        seen.add(key)


def preapproved_rows(content: bytes | IO[bytes], filename: str, *, today: dt.date) -> Table:
    """经营快贷's pre-approved list: customer number, name, ID, phone, account opened on (three years or more
    before ``today``), pre-approved amount, and optionally the outlet's code."""
    references: set[str] = set()
    identities: set[str] = set()
    latest_opening = _years_before(today, ACCOUNT_YEARS)

    def check(frame: pd.DataFrame, table: Table) -> None:
        rows = [int(r) for r in frame[tabular.ROW].tolist()]
        bad = [False] * len(rows)
        reference = _required_texts(frame, table, rows, bad, "reference")
        name = _required_texts(frame, table, rows, bad, "name")
        ids = _identities(frame, table, rows, bad, today=today, required=True)
        phone = _phones(frame, table, rows, bad, required=True)
        opened_texts = _texts(frame, "opened_on")
        opened, opened_codes = tabular.dates(frame["opened_on"].fillna(""))
        amounts, amount_codes = tabular.amounts(frame["amount"].fillna(""))
        amount_texts = _texts(frame, "amount")
        outlet = _optional_texts(frame, table, rows, bad, "outlet")
        for i, (day, code) in enumerate(zip(opened.tolist(), opened_codes.tolist(), strict=True)):
            if not opened_texts[i]:
                code = ErrorCode.REQUIRED
            elif not code and day > latest_opening:
                code = ErrorCode.DATE_OUT_OF_RANGE
            if code:
                table.error(rows[i], "opened_on", str(code), row_error_detail(str(code)))
                bad[i] = True
        for i, (amount, code) in enumerate(zip(amounts.tolist(), amount_codes.tolist(), strict=True)):
            if not amount_texts[i]:
                code = ErrorCode.REQUIRED
            elif not code and amount is not None and amount <= 0:
                code = ErrorCode.INVALID_AMOUNT
            if code:
                table.error(rows[i], "amount", str(code), row_error_detail(str(code)))
                bad[i] = True
        _duplicates(table, references, rows, bad, "reference", reference)
        _duplicates(table, identities, rows, bad, "id_number", [h for h, _m in ids])
        for i, row in enumerate(rows):
            if bad[i]:
                continue
            table.rows.append(
                {
                    "row": row,
                    "reference": reference[i],
                    "name": name[i],
                    "id_hash": ids[i][0],
                    "id_masked": ids[i][1],
                    "phone": phone[i],
                    "amount": amounts.iloc[i],
                    "outlet": outlet[i],
                    "details": {"opened_on": opened.iloc[i].isoformat()},
                }
            )

    return _read(content, filename, PREAPPROVED_COLUMNS, check)


def merchant_rows(content: bytes | IO[bytes], filename: str, *, today: dt.date) -> Table:
    """The bank-card department's merchants: merchant number, name, contact's phone, category (商圈 or
    专业市场), the district or market, optionally the legal representative's ID and the outlet's code."""
    references: set[str] = set()

    def check(frame: pd.DataFrame, table: Table) -> None:
        rows = [int(r) for r in frame[tabular.ROW].tolist()]
        bad = [False] * len(rows)
        reference = _required_texts(frame, table, rows, bad, "reference")
        name = _required_texts(frame, table, rows, bad, "name")
        phone = _phones(frame, table, rows, bad, required=True)
        category = _required_texts(frame, table, rows, bad, "category")
        market = _required_texts(frame, table, rows, bad, "market")
        ids = _identities(frame, table, rows, bad, today=today, required=False)
        outlet = _optional_texts(frame, table, rows, bad, "outlet")
        for i, value in enumerate(category):
            if value and value not in MERCHANT_CATEGORIES:
                table.error(rows[i], "category", ErrorCode.INVALID_KIND, row_error_detail(ErrorCode.INVALID_KIND))
                bad[i] = True
        _duplicates(table, references, rows, bad, "reference", reference)
        for i, row in enumerate(rows):
            if bad[i]:
                continue
            table.rows.append(
                {
                    "row": row,
                    "reference": reference[i],
                    "name": name[i],
                    "id_hash": ids[i][0],
                    "id_masked": ids[i][1],
                    "phone": phone[i],
                    "amount": None,
                    "outlet": outlet[i],
                    "details": {"category": MERCHANT_CATEGORIES[category[i]], "market": market[i]},
                }
            )

    return _read(content, filename, MERCHANT_COLUMNS, check)


def client_rows(content: bytes | IO[bytes], filename: str, *, today: dt.date) -> Table:
    """The private-banking team's clients: name and resident ID (matched by its keyed hash), optionally the
    client number and a phone."""
    identities: set[str] = set()

    def check(frame: pd.DataFrame, table: Table) -> None:
        rows = [int(r) for r in frame[tabular.ROW].tolist()]
        bad = [False] * len(rows)
        reference = _optional_texts(frame, table, rows, bad, "reference")
        name = _required_texts(frame, table, rows, bad, "name")
        ids = _identities(frame, table, rows, bad, today=today, required=True)
        phone = _phones(frame, table, rows, bad, required=False)
        _duplicates(table, identities, rows, bad, "id_number", [h for h, _m in ids])
        for i, row in enumerate(rows):
            if not bad[i]:
                table.rows.append(
                    {
                        "row": row,
                        "reference": reference[i],
                        "name": name[i],
                        "id_hash": ids[i][0],
                        "id_masked": ids[i][1],
                        "phone": phone[i],
                    }
                )

    return _read(content, filename, CLIENT_COLUMNS, check)


def call_result_rows(content: bytes | IO[bytes], filename: str) -> Table:
    """95588's results: the entry's number (as the call list gave it), when it was called, the result code and
    a note. Which entries exist is the service's to check."""

    def check(frame: pd.DataFrame, table: Table) -> None:
        rows = [int(r) for r in frame[tabular.ROW].tolist()]
        bad = [False] * len(rows)
        entry = _required_texts(frame, table, rows, bad, "entry")
        called = _required_texts(frame, table, rows, bad, "called_at")
        result = _required_texts(frame, table, rows, bad, "result")
        note = _optional_texts(frame, table, rows, bad, "note")
        for i, row in enumerate(rows):
            entry_match = ENTRY_REFERENCE.fullmatch(entry[i]) if entry[i] else None
            if entry[i] and entry_match is None:
                table.error(row, "entry", ErrorCode.UNKNOWN_ENTRY, row_error_detail(ErrorCode.UNKNOWN_ENTRY))
                bad[i] = True
            when = _called_at(called[i]) if called[i] else None
            if called[i] and when is None:
                table.error(row, "called_at", ErrorCode.INVALID_DATE, row_error_detail(ErrorCode.INVALID_DATE))
                bad[i] = True
            code = RESULT_CODES.get(result[i].lower()) if result[i] else None
            if result[i] and code is None:
                table.error(row, "result", ErrorCode.INVALID_OUTCOME, row_error_detail(ErrorCode.INVALID_OUTCOME))
                bad[i] = True
            if not bad[i] and entry_match is not None:
                table.rows.append(
                    {"row": row, "entry": int(entry_match.group(1)), "called_at": when, "result": code, "note": note[i]}
                )

    return _read(content, filename, CALL_RESULT_COLUMNS, check)


def _called_at(text: str) -> dt.datetime | None:
    match = CALLED_AT.fullmatch(text.replace("/", "-"))
    if match is None:
        return None
    year, month, day, hour, minute, second = (int(part) if part else 0 for part in match.groups())
    try:
        return dt.datetime(year, month, day, hour, minute, second)  # noqa: DTZ001 - made aware by the service
    except ValueError:
        return None


def _years_before(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)
