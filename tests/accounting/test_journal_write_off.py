"""The journal of a write-off and of money recovered after it: the loan-loss reserve against the receivables."""

import csv
import datetime as dt
import io
from collections import defaultdict
from decimal import Decimal

import pytest

from accounting.chart import INTEREST_RECEIVABLE, LOAN_LOSS_RESERVE, LOANS
from accounting.journal import journal_file_generate
from origination.services.drawdown import loan_disburse
from postloan.cob import close_business_days
from servicing.services.repayments import loan_classify, repayment_record
from servicing.write_off import write_off_approve, write_off_propose
from tests.factories import make_lending_world

D = dt.date
pytestmark = pytest.mark.django_db


def _net(day, actor):
    record = journal_file_generate(day=day, actor=actor)
    assert record.total_debit == record.total_credit
    lines = list(csv.DictReader(io.StringIO(record.stored_file.content.open("rb").read().decode("utf-8-sig"))))
    net: dict[str, Decimal] = defaultdict(Decimal)
    for line in lines:
        net[line["科目代码"]] += Decimal(line["借方金额"]) - Decimal(line["贷方金额"])
    return net


def test_a_write_off_is_charged_to_the_reserve_and_a_recovery_goes_back_to_it(users):
    _program, _farmer, limit = make_lending_world(users, on=D(2027, 3, 5), margin=None, margin_ratio=Decimal("0"))
    loan = loan_disburse(credit_limit=limit, amount=Decimal("100000.00"), term_months=6, actor=users["manager"])
    close_business_days(to=D(2027, 3, 22))
    loan_classify(loan=loan, classification="loss", reason="养殖场倒闭，借款人失联", actor=users["approver"])
    proposal = write_off_propose(loan=loan, reason="失联，担保代偿不足", actor=users["approver"])
    write_off_approve(write_off=proposal, actor=users["approver2"])
    write_off_approve(write_off=proposal, actor=users["leader"])
    close_business_days(to=D(2027, 3, 23))

    net = _net(D(2027, 3, 22), users["admin"])
    # Principal 100,000.00 and interest 205.41 (the 20th's 193.33 and two days accrued) off the books.
    assert net[LOANS.code] == Decimal("-100000.00")
    assert net[INTEREST_RECEIVABLE.code] == Decimal("-193.33")  # the 12.08 accrued was charged the same day
    assert net[LOAN_LOSS_RESERVE.code] == Decimal("100205.41")

    repayment_record(loan=loan, amount=Decimal("5000.00"), actor=users["manager"])
    close_business_days(to=D(2027, 3, 24))
    assert _net(D(2027, 3, 23), users["admin"])[LOAN_LOSS_RESERVE.code] == Decimal("-5000.00")
