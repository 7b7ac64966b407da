"""Reading the core system's settlement-account files: daily balances and transactions of the borrowers' accounts.

Both files are read a slice at a time (``core.tabular.read_table_chunks``) and checked a whole column at
a time with the provider files' column checks (``risk.importers``): identity numbers are hashed once per
distinct value, amounts never pass through a float, a bad cell is ``{row, column, code, detail}``. What
goes on is COPY text, as for the provider's records. Unlike a provider file, a core file is all or
nothing (``risk.services.accounts``), so every good row of a slice is kept here, repeats included: the
database tells a repeat with the same content (a duplicate) from one with other content (a conflict).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import IO

import numpy as np
import pandas as pd
from django.utils.translation import gettext as _

from core import tabular
from core.error_codes import ErrorCode
from risk import importers
from risk.importers import ObjectArray, ProviderRows, RowsChunk
from risk.models_accounts import ACCOUNT_NO_LENGTH

BALANCE_COLUMNS = (
    tabular.ColumnSpec("account_no", ("账号", "结算账号", "account_no"), True),
    tabular.ColumnSpec("id_number", ("身份证号", "身份证号码", "id_number"), True),
    tabular.ColumnSpec("balance_date", ("余额日期", "日期", "balance_date"), True),
    tabular.ColumnSpec("balance", ("余额", "日终余额", "balance"), True),
)
TRANSACTION_COLUMNS = (
    tabular.ColumnSpec("account_no", ("账号", "结算账号", "account_no"), True),
    tabular.ColumnSpec("id_number", ("身份证号", "身份证号码", "id_number"), True),
    tabular.ColumnSpec("txn_date", ("交易日期", "txn_date"), True),
    tabular.ColumnSpec("amount", ("交易金额", "金额", "amount"), True),
    tabular.ColumnSpec("direction", ("收付方向", "借贷方向", "direction"), True),
    tabular.ColumnSpec("counterparty_account", ("对方账号", "counterparty_account"), False),
    tabular.ColumnSpec("counterparty_name", ("对方户名", "counterparty_name"), False),
    tabular.ColumnSpec("reference", ("交易流水号", "核心流水号", "reference"), True),
    tabular.ColumnSpec("purpose", ("用途", "摘要", "purpose"), False),
)
BALANCE_FIELDS = ("account_no", "id_hash", "balance_date", "balance")
TRANSACTION_FIELDS = (
    "reference",
    "account_no",
    "id_hash",
    "txn_date",
    "amount",
    "direction",
    "counterparty_account",
    "counterparty_name",
    "purpose",
)
# How the core writes a direction: the codes of the contract's style, and the words its statements use.
DIRECTIONS = {
    "in": "in",
    "out": "out",
    "收": "in",
    "收入": "in",
    "转入": "in",
    "贷": "in",
    "付": "out",
    "支出": "out",
    "转出": "out",
    "借": "out",
}
ACCOUNT_NUMBER = re.compile(rf"[0-9]{{6,{ACCOUNT_NO_LENGTH}}}")
NAME_LENGTH = 100
PURPOSE_LENGTH = 200


def account_row_error_detail(code: str) -> str:
    messages: dict[str, str] = {
        ErrorCode.INVALID_ACCOUNT_NUMBER: _("An account number has 6 to 32 digits."),
        ErrorCode.INVALID_DIRECTION: _("The direction is in (收) or out (付)."),
        ErrorCode.INVALID_AMOUNT: _("A transaction's amount is above zero."),
    }
    return messages.get(code) or importers.row_error_detail(code)


def read_balance_file(content: bytes | IO[bytes], filename: str, *, today: dt.date) -> ProviderRows:
    """A balance file, read and checked as it is iterated; an unusable table raises ``TableError``."""
    frames = _frames(content, filename, BALANCE_COLUMNS)
    return ProviderRows(frames, BALANCE_FIELDS, _balance_check(today))


def read_transaction_file(content: bytes | IO[bytes], filename: str, *, today: dt.date) -> ProviderRows:
    """A transaction file, read and checked as it is iterated; an unusable table raises ``TableError``."""
    frames = _frames(content, filename, TRANSACTION_COLUMNS)
    return ProviderRows(frames, TRANSACTION_FIELDS, _transaction_check(today))


def _frames(
    content: bytes | IO[bytes], filename: str, columns: tuple[tabular.ColumnSpec, ...]
) -> Iterator[pd.DataFrame]:
    return tabular.read_table_chunks(
        content, filename, columns, max_rows=importers.provider_max_rows(), chunk_rows=importers.CHUNK_ROWS
    )


def _balance_check(today: dt.date) -> Callable[[pd.DataFrame], RowsChunk]:
    identities: dict[str, tuple[str, str]] = {}
    order = tuple(spec.field for spec in BALANCE_COLUMNS)

    def check(frame: pd.DataFrame) -> RowsChunk:
        codes: dict[str, ObjectArray] = {}
        account, codes["account_no"] = _accounts(frame["account_no"])
        hashes, codes["id_number"] = importers._identity_hashes(frame["id_number"], today=today, memo=identities)
        day, codes["balance_date"] = importers._dates(frame["balance_date"], today=today)
        balance, codes["balance"] = importers._amounts(frame["balance"])
        for name in order:
            codes[name] = importers._required(frame[name], codes[name])
        return _chunk(
            frame,
            codes,
            order,
            BALANCE_FIELDS,
            {"account_no": account, "id_hash": hashes, "balance_date": day, "balance": balance},
            {"balance_date": dt.date.fromisoformat, "balance": Decimal},
        )

    return check


def _transaction_check(today: dt.date) -> Callable[[pd.DataFrame], RowsChunk]:
    identities: dict[str, tuple[str, str]] = {}
    order = tuple(spec.field for spec in TRANSACTION_COLUMNS)

    def check(frame: pd.DataFrame) -> RowsChunk:
        codes: dict[str, ObjectArray] = {}
        account, codes["account_no"] = _accounts(frame["account_no"])
        hashes, codes["id_number"] = importers._identity_hashes(frame["id_number"], today=today, memo=identities)
        day, codes["txn_date"] = importers._dates(frame["txn_date"], today=today)
        amount, codes["amount"] = importers._amounts(frame["amount"])
        zero = np.fromiter((text != "" and Decimal(text) == 0 for text in amount), dtype=bool, count=len(amount))
        codes["amount"] = np.where(zero & (codes["amount"] == ""), ErrorCode.INVALID_AMOUNT, codes["amount"])
        direction, codes["direction"] = _directions(frame["direction"])
        other, codes["counterparty_account"] = _accounts(frame["counterparty_account"], optional=True)
        name, codes["counterparty_name"] = _text(frame["counterparty_name"], NAME_LENGTH)
        reference, codes["reference"] = importers._keys(frame["reference"])
        purpose, codes["purpose"] = _text(frame["purpose"], PURPOSE_LENGTH)
        for spec in TRANSACTION_COLUMNS:
            if spec.required:
                codes[spec.field] = importers._required(frame[spec.field], codes[spec.field])
        columns = {
            "reference": importers._copy_escaped(reference),
            "account_no": account,
            "id_hash": hashes,
            "txn_date": day,
            "amount": amount,
            "direction": direction,
            "counterparty_account": other,
            "counterparty_name": importers._copy_escaped(name),
            "purpose": importers._copy_escaped(purpose),
        }
        return _chunk(
            frame, codes, order, TRANSACTION_FIELDS, columns, {"txn_date": dt.date.fromisoformat, "amount": Decimal}
        )

    return check


def _chunk(
    frame: pd.DataFrame,
    codes: dict[str, ObjectArray],
    order: tuple[str, ...],
    fields: tuple[str, ...],
    columns: dict[str, ObjectArray],
    converters: dict[str, Callable[[str], object]],
) -> RowsChunk:
    """Every good row of the slice, repeats included (the database judges them), and the errors."""
    errors, errors_total, bad = importers._row_errors(frame, codes, order)
    for error in errors:
        error["detail"] = account_row_error_detail(error["code"])
    keep = np.flatnonzero(~bad)
    return RowsChunk(
        fields=fields,
        columns={name: np.asarray(columns[name], dtype=object)[keep] for name in fields},
        rows_total=len(frame),
        repeated=0,
        row_numbers=frame[tabular.ROW].to_numpy(dtype=np.int64)[keep],
        errors=errors,
        errors_total=errors_total,
        converters=converters,
    )


def _accounts(column: pd.Series, *, optional: bool = False) -> tuple[ObjectArray, ObjectArray]:
    """Account numbers, full-width digits and inner spaces folded: (digits, error code or "")."""
    positions, uniques = importers._distinct(column)
    folded = tabular.normalize_series(uniques).str.replace(r"[\s-]", "", regex=True).to_numpy(dtype=object)
    good = np.fromiter((ACCOUNT_NUMBER.fullmatch(text) is not None for text in folded), dtype=bool, count=len(folded))
    empty = folded == ""
    codes = np.where(good | (empty & optional), "", ErrorCode.INVALID_ACCOUNT_NUMBER).astype(object)
    return folded[positions], codes[positions]


def _directions(column: pd.Series) -> tuple[ObjectArray, ObjectArray]:
    cells = tabular.normalize_series(column).str.lower().to_numpy(dtype=object)
    values = np.array([DIRECTIONS.get(cell, "") for cell in cells], dtype=object)
    codes = np.where(values == "", ErrorCode.INVALID_DIRECTION, "").astype(object)
    return values, codes


def _text(column: pd.Series, limit: int) -> tuple[ObjectArray, ObjectArray]:
    """Free text: NUL dropped (PostgreSQL text cannot hold it), at most ``limit`` characters."""
    texts = column.astype(str).str.replace("\x00", "", regex=False).to_numpy(dtype=object)
    lengths = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))
    return texts, np.where(lengths > limit, ErrorCode.TOO_LONG, "").astype(object)
