"""The demo's credit and loan book: verified, approved, drawn and serviced over a few simulated months.

Two programmes: the seed's feed group with ample margin (its farmers' lateness is compensated at
month end, so the bank sees little delinquency while the farmers' own record shows it), and a
smaller anchor whose margin runs out, so that loans become substandard and its circuit breaker trips.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import random
from decimal import Decimal

from core.business_date import business_date_get
from origination.models import Batch, BatchRow, CreditLimit, Loan
from origination.outbox import notifications_send_pending
from origination.services.approval import Decision, batch_approve, batch_row_decide, batch_submit
from origination.services.loans import loan_disburse, loan_owed, repayment_record
from origination.tasks import batch_process_dispatch
from partners.models import Program, User
from postloan.cob import close_business_days
from postloan.demo_data import DemoFarmer, TradeList
from risk.services.deliveries import trade_records_import

DEMO_END = dt.date(2027, 7, 28)


def trades_csv(trades: TradeList) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["身份证号", "订单号", "订单日期", "订单金额"])
    writer.writerows((number, order_no, day.isoformat(), f"{amount:.2f}") for number, order_no, day, amount in trades)
    return buffer.getvalue().encode("utf-8-sig")


def verify_and_approve(batch: Batch, trades: TradeList, manager: User, approver: User) -> None:
    """Provider data in, cross-validation and limits, mismatches decided one by one, maker-checker approval."""
    program = batch.program
    trade_records_import(anchor=program.anchor, content=trades_csv(trades), filename="三方交易数据.csv", actor=manager)
    batch_process_dispatch(batch, manager)
    mismatches = BatchRow.objects.filter(batch=batch, validation=BatchRow.Validation.MISMATCH).order_by("row")
    for index, row in enumerate(mismatches):
        if index % 2 == 0 and row.computed_limit:
            amount = (row.computed_limit * Decimal("0.8")).quantize(Decimal("1000"))
            decision = Decision(row=row.row, approve=True, amount=max(amount, Decimal(1000)), reason="核实后按八成核定")
        else:
            decision = Decision(row=row.row, approve=False, reason="申报订单额与三方数据差异过大")
        batch_row_decide(batch=Batch.objects.get(pk=batch.pk), actor=manager, decision=decision)
    batch_submit(batch=Batch.objects.get(pk=batch.pk), actor=manager)
    batch_approve(batch=Batch.objects.get(pk=batch.pk), actor=approver)
    notifications_send_pending()


def draw_loans(program: Program, manager: User, rng: random.Random, share: float) -> list[Loan]:
    loans = []
    today = business_date_get()
    for limit in CreditLimit.objects.filter(program=program, status=CreditLimit.Status.ACTIVE).order_by("id"):
        if rng.random() > share:
            continue
        amount = (limit.amount * Decimal(rng.choice((5, 7, 10))) / 10).quantize(Decimal("1000"))
        months = rng.choice((3, 6, 6, 9, 12))
        if (
            dt.date(today.year + (today.month + months - 1) // 12, (today.month + months - 1) % 12 + 1, 1)
            > limit.expires_on
        ):
            months = 6
        loans.append(loan_disburse(credit_limit=limit, amount=amount, term_months=months, actor=manager))
    return loans


KINDS = ("good", "early", "partial", "stops", "never")
STEADY = (60, 10, 8, 14, 8)  # how often each kind of borrower occurs in a sound book
TROUBLED = (35, 5, 0, 20, 40)


def behaviours(loans: list[Loan], rng: random.Random, weights: tuple[int, ...]) -> dict[int, str]:
    return {loan.pk: rng.choices(KINDS, weights)[0] for loan in loans}


def service_book(
    loans: list[Loan], behaviour: dict[int, str], manager: User, rng: random.Random, until: dt.date
) -> None:
    """Close day by day; on the 21st the good payers pay their interest, others behave as their kind."""
    stops_after = {
        loan.pk: rng.choice((dt.date(2027, 5, 1), dt.date(2027, 6, 1), dt.date(2027, 7, 1))) for loan in loans
    }
    early_on = {loan.pk: dt.date(2027, rng.choice((4, 5, 6)), rng.randrange(2, 28)) for loan in loans}
    while (today := business_date_get()) < until:
        for loan in Loan.objects.filter(pk__in=behaviour, status=Loan.Status.ACTIVE):
            kind = behaviour[loan.pk]
            owed = loan_owed(loan, today)
            pays_interest = kind in {"good", "partial", "early"} or (kind == "stops" and today < stops_after[loan.pk])
            if kind == "early" and today == early_on[loan.pk]:
                repayment_record(loan=loan, amount=owed.total, actor=manager)
            elif kind == "partial" and today == early_on[loan.pk]:
                repayment_record(loan=loan, amount=(owed.total / 2).quantize(Decimal("0.01")), actor=manager)
            elif today == loan.maturity_on and kind != "never":
                repayment_record(loan=loan, amount=owed.total, actor=manager)
            elif today.day == 21 and pays_interest and owed.penalty + owed.overdue_interest > 0:
                repayment_record(loan=loan, amount=owed.penalty + owed.overdue_interest, actor=manager)
        close_business_days(to=today + dt.timedelta(days=1))


__all__ = ["DEMO_END", "DemoFarmer", "draw_loans", "service_book", "trades_csv", "verify_and_approve"]
