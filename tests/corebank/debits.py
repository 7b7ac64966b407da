"""What the corebank tests share: loans to debit and debit files in the shapes the core sends."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import openpyxl

from origination.models import Loan
from origination.services.drawdown import loan_disburse
from tests.factories import make_lending_world

HEADER = ("贷款编号", "入账日期", "金额", "核心流水号")
D = dt.date


FIRST_DAY = D(2027, 3, 5)


def lending_loans(users, *, on=FIRST_DAY, amounts=("100000.00",), margin="10000000.00", term_months=6) -> list[Loan]:
    """Loans of 4.35 % a year for six months (or ``term_months``), drawn down on ``on`` by one farmer's limit.

    ``margin=None``: the programme asks no margin, so month ends compensate nothing and overdue loans stay
    the farmer's own."""
    terms = {} if margin else {"margin_ratio": Decimal("0")}
    _program, _farmer, limit = make_lending_world(users, on=on, amount="10000000.00", margin=margin, **terms)
    return [
        loan_disburse(credit_limit=limit, amount=Decimal(amount), term_months=term_months, actor=users["manager"])
        for amount in amounts
    ]


def debit_csv(rows, *, header=HEADER, encoding="utf-8") -> bytes:
    def cell(value) -> str:
        text = str(value)
        return f'"{text}"' if "," in text else text

    lines = [",".join(header)] + [",".join(cell(value) for value in row) for row in rows]
    return ("\n".join(lines) + "\n").encode(encoding)


def debit_xlsx(rows, *, header=HEADER) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(list(header))
    for row in rows:
        sheet.append(list(row))
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
