"""Reading an anchor's farmer list (融资客户清单). The only pandas in this app.

Every column is read as text, normalised a whole column at a time, and each
row gets the first reason it cannot be used. Good rows go on as plain
Python values; money is ``Decimal`` from the start.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import IO, Any

import numpy as np
import pandas as pd
from django.conf import settings
from django.utils.translation import gettext as _

from core import tabular
from core.error_codes import ErrorCode
from core.errors import DomainError
from core.masking import mask_id_number, pii_hash
from core.uploads import read_uploaded_table, refuse_oversized

FARMER_COLUMNS = (
    tabular.ColumnSpec("name", ("姓名", "name"), True),
    tabular.ColumnSpec("id_number", ("身份证号", "身份证号码", "id_number"), True),
    tabular.ColumnSpec("phone", ("手机号", "手机号码", "phone"), True),
    tabular.ColumnSpec("recommended_amount", ("推荐金额", "recommended_amount"), True),
    tabular.ColumnSpec("declared_orders_12m", ("近12个月订单金额", "declared_orders_12m"), True),
    tabular.ColumnSpec("score", ("打分卡得分", "score"), True),
    tabular.ColumnSpec("customer_code", ("客户编号", "customer_code"), False),
    tabular.ColumnSpec("region_code", ("地区代码", "region_code"), False),
    tabular.ColumnSpec("breed", ("养殖品种", "breed"), False),
)
COLUMN_ORDER = tuple(spec.field for spec in FARMER_COLUMNS)
# Rows read and checked at a time by ``farmer_list_chunks``: the peak memory of an intake grows with
# this, not with the file (about 1 GiB for 200,000 rows read whole), and the checks stay vectorised.
CHUNK_ROWS = 25_000
TEXT_LIMITS = {"name": 50, "customer_code": 50, "breed": 50}


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
        ErrorCode.INVALID_PHONE: _("Not a mainland mobile number (11 digits beginning with 13 to 19)."),
        ErrorCode.INVALID_AMOUNT: _("Not an amount in yuan: write it like 1200000, 1,200,000.00 or 120万."),
        ErrorCode.NEGATIVE_AMOUNT: _("An amount may not be negative."),
        ErrorCode.AMOUNT_TOO_LARGE: _("The amount is too large."),
        ErrorCode.INVALID_SCORE: _("The score must be a number from 0 to 100 with at most two decimals."),
        ErrorCode.INVALID_REGION_CODE: _("A region code has 6 digits."),
        ErrorCode.DUPLICATE_IN_FILE: _("This resident ID number appears earlier in the same file."),
        ErrorCode.ALREADY_RECOMMENDED: _("This farmer is already recommended in an open batch of this programme."),
    }
    return messages.get(code, code)


@dataclass
class FarmerList:
    """The outcome of reading a list: the rows to keep and the reasons for those refused."""

    rows_total: int
    valid: pd.DataFrame  # typed columns, one row per kept farmer, with id_hash and id_masked
    source: pd.DataFrame  # the rows as sent, for the error report
    errors: list[dict[str, Any]] = field(default_factory=list)

    @property
    def rows_valid(self) -> int:
        return len(self.valid)

    @property
    def id_hashes(self) -> set[str]:
        """The identity hashes of the kept rows."""
        return set(self.valid["id_hash"])


def read_farmer_list(content: bytes, filename: str, *, today: dt.date) -> FarmerList:
    """Read and check a farmer list. A file that is not a usable table raises DomainError (400)."""
    frame = read_uploaded_table(
        content, filename, FARMER_COLUMNS, max_bytes=settings.UPLOAD_MAX_BYTES, max_rows=settings.UPLOAD_MAX_ROWS
    )
    return _check(frame, today=today)


def farmer_list_chunks(
    content: bytes | IO[bytes], filename: str, *, today: dt.date, chunk_rows: int | None = None
) -> Iterator[FarmerList]:
    """``read_farmer_list`` a chunk of rows at a time: the same rows kept and refused, for the same reasons.

    ``content`` is best the open file, which is then never read whole. What can be refused before
    the rows (size, an unsafe file, the header) is raised by this call; what only the whole file
    shows (too many rows, rows wider than the header, no data rows) by the iteration, after the
    chunks before it, so an all-or-nothing import writes the chunks inside its transaction. An
    identity number is a duplicate of one in any earlier chunk, as it is of one earlier in a chunk.
    """
    refuse_oversized(content, filename, settings.UPLOAD_MAX_BYTES)
    try:
        frames = tabular.read_table_chunks(
            content, filename, FARMER_COLUMNS, max_rows=settings.UPLOAD_MAX_ROWS, chunk_rows=chunk_rows or CHUNK_ROWS
        )
    except tabular.TableError as exc:
        raise DomainError(exc.code, exc.detail) from None
    return _checked_chunks(frames, filename, today=today)


def _checked_chunks(frames: Iterator[pd.DataFrame], filename: str, *, today: dt.date) -> Iterator[FarmerList]:
    seen: set[str] = set()
    rows = 0
    try:
        for frame in frames:
            rows += len(frame)
            if len(frame):
                yield _check(frame, today=today, seen=seen)
    except tabular.TableError as exc:
        raise DomainError(exc.code, exc.detail) from None
    if not rows:
        raise DomainError(ErrorCode.NO_DATA_ROWS, _("%(file)s has a header but no data rows.") % {"file": filename})


def _check(frame: pd.DataFrame, *, today: dt.date, seen: set[str] | None = None) -> FarmerList:
    index = frame.index
    codes: dict[str, pd.Series] = {}
    clean = pd.DataFrame({"row": frame["row"]}, index=index)

    for text_field in ("name", "customer_code", "breed"):
        values = tabular.normalize_series(frame[text_field])
        clean[text_field] = values
        code = pd.Series("", index=index, dtype=object)
        code[values.str.len() > TEXT_LIMITS[text_field]] = ErrorCode.TOO_LONG
        codes[text_field] = code
    codes["name"] = codes["name"].where(clean["name"] != "", ErrorCode.REQUIRED)

    clean["id_number"], codes["id_number"] = tabular.resident_ids(frame["id_number"], today=today)
    clean["phone"], codes["phone"] = tabular.mobiles(frame["phone"])
    for money_field in ("recommended_amount", "declared_orders_12m"):
        clean[money_field], codes[money_field] = tabular.amounts(frame[money_field])
    clean["score"], codes["score"] = tabular.scores(frame["score"])

    region = tabular.normalize_series(frame["region_code"])
    codes["region_code"] = pd.Series(
        np.where((region != "") & ~region.str.fullmatch(r"\d{6}"), ErrorCode.INVALID_REGION_CODE, ""), index=index
    )
    clean["region_code"] = region

    # An empty required cell reads better as "required" than as its format error.
    for spec in FARMER_COLUMNS:
        if spec.required and spec.field != "name":
            empty = frame[spec.field].astype(str).str.strip() == ""
            codes[spec.field] = codes[spec.field].where(~empty, ErrorCode.REQUIRED)

    # The first occurrence of an identity number stays; later ones are refused.
    good_id = codes["id_number"] == ""
    repeated = clean["id_number"].where(good_id).duplicated(keep="first") & good_id
    if seen is not None:
        # ``seen``: the good identity numbers of the chunks before this one, whatever else their rows lacked.
        repeated |= good_id & clean["id_number"].isin(seen)
        seen.update(clean["id_number"][good_id].tolist())
    codes["id_number"] = codes["id_number"].where(~repeated, ErrorCode.DUPLICATE_IN_FILE)

    errors = _row_errors(frame, codes)
    failed = {error["row"] for error in errors}
    valid = clean[~clean["row"].isin(failed)].copy()
    valid["id_hash"] = [pii_hash(number) for number in valid["id_number"]]
    valid["id_masked"] = [mask_id_number(number) for number in valid["id_number"]]
    return FarmerList(rows_total=len(frame), valid=valid, source=frame, errors=errors)


def _originals(source: pd.DataFrame) -> list[dict[str, str]]:
    """Each row as it was sent, for the error report (a column at a time, not ``iterrows``)."""
    originals: list[dict[str, str]] = source[list(COLUMN_ORDER)].astype(str).to_dict("records")
    return originals


def _row_errors(frame: pd.DataFrame, codes: dict[str, pd.Series]) -> list[dict[str, Any]]:
    """One entry per refused cell, in row then column order, with the row as it was sent."""
    errors: list[dict[str, Any]] = []
    bad_any = np.zeros(len(frame), dtype=bool)
    for column in COLUMN_ORDER:
        bad_any |= (codes[column] != "").to_numpy()
    if not bad_any.any():
        return errors
    positions = np.flatnonzero(bad_any)
    bad = frame.iloc[positions]
    bad_codes = {column: codes[column].to_numpy()[positions] for column in COLUMN_ORDER}
    details: dict[str, str] = {}  # row_error_detail translates all its messages at every call
    for i, (row, original) in enumerate(zip(bad["row"].tolist(), _originals(bad), strict=True)):
        for column in COLUMN_ORDER:
            code = bad_codes[column][i]
            if code:
                if code not in details:
                    details[code] = row_error_detail(code)
                errors.append(
                    {
                        "row": int(row),
                        "column": column,
                        "code": code,
                        "detail": details[code],
                        "original": original,
                    }
                )
    return errors


def refuse_rows(
    farmers: FarmerList, id_hashes: set[str], code: ErrorCode, *, batches: dict[str, int] | None = None
) -> FarmerList:
    """Move the rows whose identity is in ``id_hashes`` from the kept rows to the errors.

    ``batches`` (identity hash → batch id) names the batch that holds each refused farmer: the error
    keeps it as ``batch`` for the pages (the API sends only row, column, code and detail).
    """
    if not id_hashes:
        return farmers
    refused = farmers.valid["id_hash"].isin(id_hashes)
    refused_rows = set(farmers.valid.loc[refused, "row"].astype(int))
    source = farmers.source[farmers.source["row"].isin(refused_rows)]
    detail = row_error_detail(code)
    holders: dict[int, int] = {}
    if batches:
        kept = farmers.valid.loc[refused, ["row", "id_hash"]]
        holders = {int(row): batches[h] for row, h in zip(kept["row"].tolist(), kept["id_hash"].tolist(), strict=True)}
    extra: list[dict[str, Any]] = [
        {"row": int(row), "column": "id_number", "code": code, "detail": detail, "original": original}
        for row, original in zip(source["row"].tolist(), _originals(source), strict=True)
    ]
    for error in extra:
        if error["row"] in holders:
            error["batch"] = holders[error["row"]]
    errors = sorted([*farmers.errors, *extra], key=lambda error: (error["row"], COLUMN_ORDER.index(error["column"])))
    return FarmerList(
        rows_total=farmers.rows_total, valid=farmers.valid[~refused], source=farmers.source, errors=errors
    )


def farmer_table_rows(farmers: FarmerList) -> pd.DataFrame:
    """The kept rows as farmers, the columns of the farmer table that vary by row, in identity-hash order.

    Computed a whole column at a time: the birth date from the identity
    number, and the region from it when the list gave none. The order is
    the one that fills the farmer table's unique index on the hash page after
    page (see ``farmer_bulk.farmers_upsert``).
    """
    valid = farmers.valid
    numbers = valid["id_number"]
    frame = pd.DataFrame(
        {
            "name": valid["name"],
            "id_number": numbers,
            "id_hash": valid["id_hash"],
            "id_masked": valid["id_masked"],
            "birth_date": pd.to_datetime(numbers.str.slice(6, 14), format="%Y%m%d").dt.date,
            "phone": valid["phone"],
            "region_code": valid["region_code"].where(valid["region_code"] != "", numbers.str.slice(0, 6)),
            "breed": valid["breed"],
        }
    )
    return frame.sort_values("id_hash")


def batch_table_rows(farmers: FarmerList, farmer_ids: Mapping[str, int]) -> pd.DataFrame:
    """The kept rows as batch rows: the list's figures and each row's farmer (``farmer_ids``: hash → id)."""
    valid = farmers.valid
    farmer_id = valid["id_hash"].map(farmer_ids)
    if farmer_id.isna().any():
        raise KeyError(f"no farmer for {valid.loc[farmer_id.isna(), 'id_hash'].iloc[0]}")
    return pd.DataFrame(
        {
            "row": valid["row"].astype(int),
            "farmer_id": farmer_id.astype(int),
            "name": valid["name"],
            "id_hash": valid["id_hash"],
            "id_masked": valid["id_masked"],
            "phone": valid["phone"],
            "recommended_amount": valid["recommended_amount"],
            "declared_orders_12m": valid["declared_orders_12m"],
            "score": valid["score"],
            "customer_code": valid["customer_code"],
            "region_code": valid["region_code"],
            "breed": valid["breed"],
        }
    )


def money_text(value: Decimal) -> str:
    return f"{value:.2f}"
