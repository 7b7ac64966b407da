"""Reading a file of product holdings (产品开通清单). The only pandas of the dashboards.

One row per farmer and product: 身份证号 / id_number, 产品代码 / product_code and,
optionally, 开通日期 / opened_on (the business date when empty). Every column
is read as text and checked a whole column at a time (``core.tabular``); each
refused row gets its first reason, the others go on as plain values.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from django.conf import settings
from django.utils.translation import gettext as _

from core import tabular
from core.error_codes import ErrorCode
from core.identifiers import EARLIEST_DATE
from core.masking import mask_id_number, pii_hash
from core.uploads import read_uploaded_table
from origination.importers import row_error_detail

HOLDING_COLUMNS = (
    tabular.ColumnSpec("id_number", ("身份证号", "身份证号码", "id_number"), True),
    tabular.ColumnSpec("product_code", ("产品代码", "product_code"), True),
    tabular.ColumnSpec("opened_on", ("开通日期", "opened_on"), False),
)
COLUMN_ORDER = tuple(spec.field for spec in HOLDING_COLUMNS)


def holding_error_detail(code: str) -> str:
    messages: dict[str, str] = {
        ErrorCode.INVALID_DATE: _("This is not a date: write it like 2027-02-13."),
        ErrorCode.DATE_OUT_OF_RANGE: _("The date is too far in the past or the future."),
        ErrorCode.FUTURE_DATE: _("The opening date is after the business date."),
        ErrorCode.UNKNOWN_PRODUCT: _("No product has this code: use a code of the product list."),
        ErrorCode.UNKNOWN_FARMER: _("None of your farmers has this resident ID number."),
        ErrorCode.DUPLICATE_IN_FILE: _("This farmer and product appear earlier in the same file."),
    }
    return messages[code] if code in messages else row_error_detail(code)


@dataclass
class HoldingRows:
    rows_total: int
    valid: pd.DataFrame  # row, id_hash, product_code, opened_on
    errors: list[dict[str, Any]] = field(default_factory=list)


def read_holdings(content: bytes, filename: str, *, today: dt.date) -> HoldingRows:
    """Read and check a holdings file; a file that is not a usable table raises DomainError."""
    frame = read_uploaded_table(
        content, filename, HOLDING_COLUMNS, max_bytes=settings.UPLOAD_MAX_BYTES, max_rows=settings.UPLOAD_MAX_ROWS
    )
    index = frame.index
    codes: dict[str, pd.Series] = {}
    numbers, codes["id_number"] = tabular.resident_ids(frame["id_number"], today=today)
    products = tabular.normalize_series(frame["product_code"]).str.upper()
    codes["product_code"] = pd.Series(np.where(products == "", ErrorCode.REQUIRED, ""), index=index, dtype=object)
    given = frame["opened_on"].astype(str).str.strip() != ""
    opened, date_codes = tabular.dates(frame["opened_on"].where(given, today.isoformat()), earliest=EARLIEST_DATE)
    future = opened.map(lambda day: day is not None and day > today)
    codes["opened_on"] = date_codes.where(date_codes != "", np.where(future, ErrorCode.FUTURE_DATE, ""))
    empty_id = frame["id_number"].astype(str).str.strip() == ""
    codes["id_number"] = codes["id_number"].where(~empty_id, ErrorCode.REQUIRED)

    good = (codes["id_number"] == "") & (codes["product_code"] == "")
    pair = numbers.where(good) + "|" + products.where(good)
    repeated = pair.duplicated(keep="first") & good
    codes["id_number"] = codes["id_number"].where(~repeated, ErrorCode.DUPLICATE_IN_FILE)

    errors = row_errors(frame, numbers, codes)
    failed = {error["row"] for error in errors}
    keep = ~frame["row"].isin(failed)
    valid = pd.DataFrame(
        {
            "row": frame["row"][keep].astype(int),
            "id_hash": [pii_hash(number) for number in numbers[keep]],
            "id_masked": [mask_id_number(number) for number in numbers[keep]],
            "product_code": products[keep],
            "opened_on": opened[keep],
        }
    )
    return HoldingRows(rows_total=len(frame), valid=valid, errors=errors)


def row_errors(frame: pd.DataFrame, numbers: pd.Series, codes: dict[str, pd.Series]) -> list[dict[str, Any]]:
    """One entry per refused row (its first reason), with the value as sent; identity numbers masked."""
    bad = np.zeros(len(frame), dtype=bool)
    for column in COLUMN_ORDER:
        bad |= (codes[column] != "").to_numpy()
    errors: list[dict[str, Any]] = []
    for position in np.flatnonzero(bad):
        for column in COLUMN_ORDER:
            code = codes[column].iloc[position]
            if code:
                sent = str(frame[column].iloc[position])
                value = mask_id_number(str(numbers.iloc[position])) if column == "id_number" else sent
                errors.append(
                    {
                        "row": int(frame["row"].iloc[position]),
                        "column": column,
                        "code": code,
                        "detail": holding_error_detail(code),
                        "value": value,
                    }
                )
                break
    return errors
