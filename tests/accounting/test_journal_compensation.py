"""The journal over seven weeks of a book with compensation: the month-end margin deduction and the anchor's
own payment each settle the compensation receivable, every day balances, and the loans account follows
the book to the fen."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections import defaultdict
from decimal import Decimal

from accounting.chart import ANCHOR_DEPOSITS, COMPENSATION_RECEIVABLE, LOANS, MARGIN_DEPOSITS
from accounting.journal import journal_file_generate
from core.business_date import business_date_get
from origination.models import Loan
from origination.services.drawdown import loan_disburse
from postloan.cob import close_business_days
from servicing.anchor_payments import anchor_payment_approve, anchor_payment_record
from tests.factories import make_lending_world

D = dt.date


def _net(record) -> dict[str, Decimal]:
    text = record.stored_file.content.open("rb").read().decode("utf-8-sig")
    net: dict[str, Decimal] = defaultdict(Decimal)
    for line in csv.DictReader(io.StringIO(text)):
        net[line["科目代码"]] += Decimal(line["借方金额"]) - Decimal(line["贷方金额"])
    return net


def test_compensation_by_margin_and_by_the_anchors_own_funds(users):
    admin = users["admin"]
    # A margin of 100.00 that the March deduction uses up; the rest of the overdue interest stays a claim.
    program, _farmer, limit = make_lending_world(users, on=D(2027, 3, 5), margin="100.00", margin_ratio=Decimal("0"))
    loan = loan_disburse(credit_limit=limit, amount=Decimal("100000.00"), term_months=6, actor=users["manager"])
    close_business_days(to=D(2027, 4, 21))
    payment = anchor_payment_record(
        anchor=program.anchor,
        reference="HX20270421001",
        amount=Decimal("300.00"),
        value_date=D(2027, 4, 21),
        actor=users["manager"],
    )
    anchor_payment_approve(payment=payment, actor=users["approver"])
    close_business_days(to=D(2027, 4, 22))
    assert business_date_get() == D(2027, 4, 22)

    total: dict[str, Decimal] = defaultdict(Decimal)
    day = D(2027, 3, 5)
    while day < D(2027, 4, 22):
        record = journal_file_generate(day=day, actor=admin)
        assert record.total_debit == record.total_credit
        net = _net(record)
        assert sum(net.values(), Decimal(0)) == 0
        if day == D(2027, 3, 31):  # month end: the margin pays for the farmer
            assert net[MARGIN_DEPOSITS.code] == Decimal("100.00")  # the margin (a liability) debited
        if day == D(2027, 4, 21):  # the anchor pays 300.00 from its own account
            assert net[ANCHOR_DEPOSITS.code] == Decimal("300.00")  # debited from the anchor's account
        assert net[COMPENSATION_RECEIVABLE.code] == 0
        for account, amount in net.items():
            total[account] += amount
        day += dt.timedelta(days=1)

    loan = Loan.objects.get(pk=loan.pk)
    assert total[LOANS.code] == loan.principal_outstanding
    assert total[MARGIN_DEPOSITS.code] == 0  # 100.00 deposited, 100.00 deducted
