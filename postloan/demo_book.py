"""The demo's credit and loan book: verified, approved, drawn and serviced over a few simulated months.

Two programmes: the feed group's (特驱) with ample margin (its farmers' lateness is compensated at
month end, so the bank sees little delinquency while the farmers' own record shows it), and a
smaller anchor whose margin runs out, so that loans become substandard and its circuit breaker trips.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import random
from decimal import Decimal
from typing import Any

from core.business_date import business_date_get
from corebank.apply import debit_owed
from corebank.debit_files import debit_file_import
from origination.models import Batch, BatchRow, CreditLimit, Loan
from origination.outbox import notifications_send_pending
from origination.schedule import SETTLEMENT_DAY
from origination.services.approval import Decision, batch_approve, batch_row_decide, batch_submit
from origination.services.drawdown import loan_disburse
from origination.tasks import batch_process_dispatch
from partners.models import Program, User
from postloan.cob import close_business_days
from postloan.demo_data import DemoFarmer, TradeList
from postloan.models import RiskWarning
from postloan.services import postdrawdown_check_record, warning_action_add, warning_close
from risk.services.deliveries import monitoring_events_import, trade_records_import
from servicing.services.repayments import loan_owed, repayment_record

DEMO_END = dt.date(2027, 7, 28)


def trades_csv(trades: TradeList) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["身份证号", "订单号", "订单日期", "订单金额"])
    writer.writerows((number, order_no, day.isoformat(), f"{amount:.2f}") for number, order_no, day, amount in trades)
    return buffer.getvalue().encode("utf-8-sig")


def verify_and_approve(batch: Batch, trades: TradeList, manager: User, approver: User, *, submitter: User) -> None:
    """Provider data in, cross-validation and limits, mismatches decided one by one, maker-checker approval.

    The list spans several outlets: it is submitted by someone who sees all its farmers (decision 21).
    """
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
    batch_submit(batch=Batch.objects.get(pk=batch.pk), actor=submitter)
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
        loan = loan_disburse(credit_limit=limit, amount=amount, term_months=months, actor=manager)
        loans.append(loan)
        # Most managers do their post-drawdown checks at once; a few forget (the rules will say so).
        for kind in ("trade_authenticity", "phone_callback"):
            if rng.random() < 0.9:
                postdrawdown_check_record(loan=loan, actor=manager, kind=kind, result="ok", note="已核实")
    return loans


def monthly_trades(farmers: list[DemoFarmer], month_start: dt.date, rng: random.Random, prefix: str) -> TradeList:
    """One month of orders after the start: most farmers steady, one in ten stops, one in ten halves."""
    trades: TradeList = []
    for index, farmer in enumerate(farmers):
        if not farmer.has_trades or index % 10 == 1:
            continue
        share = Decimal("0.3") if index % 10 == 2 else Decimal(1)
        for _ in range(2):
            day = month_start + dt.timedelta(days=rng.randrange(0, 27))
            amount = (Decimal(farmer.monthly_orders) * share * Decimal(rng.randrange(40, 61)) / 100).quantize(
                Decimal("0.01")
            )
            trades.append((farmer.id_number, f"{prefix}{month_start:%Y%m}{len(trades):06d}", day, amount))
    return trades


KINDS = ("good", "early", "partial", "stops", "never")
STEADY = (60, 10, 8, 14, 8)  # how often each kind of borrower occurs in a sound book
TROUBLED = (35, 5, 0, 20, 40)


def behaviours(loans: list[Loan], rng: random.Random, weights: tuple[int, ...]) -> dict[int, str]:
    return {loan.pk: rng.choices(KINDS, weights)[0] for loan in loans}


Feed = tuple[Any, list[DemoFarmer], str]


def service_book(
    loans: list[Loan],
    behaviour: dict[int, str],
    manager: User,
    rng: random.Random,
    until: dt.date,
    feeds: tuple[Feed, ...] = (),
) -> None:
    """Close day by day; on the 20th the core debits the interest of the farmers who pay (a debit file the
    close of the 20th applies, so that they are never overdue), others behave as their kind."""
    stops_after = {
        loan.pk: rng.choice((dt.date(2027, 5, 1), dt.date(2027, 6, 1), dt.date(2027, 7, 1))) for loan in loans
    }
    early_on = {loan.pk: dt.date(2027, rng.choice((4, 5, 6)), rng.randrange(2, 28)) for loan in loans}
    while (today := business_date_get()) < until:
        if (today + dt.timedelta(days=1)).day == 1 and feeds:
            # The provider's monthly delivery of the month's orders, on its last day.
            month = today.replace(day=1)
            for anchor, farmers, prefix in feeds:
                content = trades_csv(monthly_trades(farmers, month, rng, prefix))
                trade_records_import(
                    anchor=anchor, content=content, filename=f"交易数据{month:%Y%m}.csv", actor=manager
                )
        debits: list[tuple[int, Decimal]] = []
        for loan in Loan.objects.filter(pk__in=behaviour, status=Loan.Status.ACTIVE).order_by("id"):
            kind = behaviour[loan.pk]
            owed = loan_owed(loan, today)
            pays_interest = kind in {"good", "partial", "early"} or (kind == "stops" and today < stops_after[loan.pk])
            if kind == "early" and today == early_on[loan.pk]:
                repayment_record(loan=loan, amount=owed.total, actor=manager)
            elif kind == "partial" and today == early_on[loan.pk]:
                repayment_record(loan=loan, amount=(owed.total / 2).quantize(Decimal("0.01")), actor=manager)
            elif today == loan.maturity_on and kind != "never":
                repayment_record(loan=loan, amount=owed.total, actor=manager)
            elif today.day == SETTLEMENT_DAY and pays_interest:
                # What the loan will owe of penalty and interest once the close has charged today's interest.
                at_close = debit_owed(loan, today)
                amount = at_close.penalty + at_close.overdue_interest + at_close.current_interest
                if amount > 0:
                    debits.append((loan.pk, amount))
        if debits:
            core_debits_send(today, debits)
        handle_due_warnings(today)
        close_business_days(to=today + dt.timedelta(days=1))


def core_debits_send(today: dt.date, debits: list[tuple[int, Decimal]]) -> None:
    """The core system's debit file of the day, as its file drop delivers it (GBK CSV), received by operations."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(("贷款编号", "入账日期", "金额", "核心流水号"))
    for loan_id, amount in debits:
        writer.writerow((loan_id, today.isoformat(), f"{amount:.2f}", f"HX{today:%Y%m%d}{loan_id:08d}"))
    debit_file_import(
        content=out.getvalue().encode("gbk"),
        filename=f"核心扣款{today:%Y%m%d}.csv",
        actor=User.objects.get(username="admin"),
    )


# Days from raising to handling, picked by warning id: most within their deadline (3, 7 or 15 days by
# severity), some late, one in seven never (it stays open until its rule clears it or the demo's last day).
HANDLING_DELAYS = (1, 1, 2, 2, 3, 3, 4, 5, 6, 8, 11, 16, None, None)
HANDLING_NOTES = (
    ("callback", "电话回访：已联系借款人，了解经营和还款安排。"),
    ("visit", "实地走访：存栏和饲料库存正常。"),
    ("verification", "查询征信与流水，未见异常。"),
)


def handle_due_warnings(today: dt.date) -> None:
    """Each day the account managers work on the open warnings whose turn has come: one action, then a close."""
    for warning in RiskWarning.objects.filter(
        status=RiskWarning.Status.OPEN, assignee__isnull=False, raised_on__lt=today
    ).select_related("assignee"):
        delay = HANDLING_DELAYS[warning.pk % len(HANDLING_DELAYS)]
        manager = warning.assignee
        if delay is None or manager is None or (today - warning.raised_on).days != delay:
            continue
        kind, note = HANDLING_NOTES[warning.pk % len(HANDLING_NOTES)]
        warning_action_add(warning=warning, actor=manager, kind=kind, note=note)
        warning_close(
            warning=warning,
            actor=manager,
            resolution="confirmed_risk" if warning.pk % 3 == 0 else "false_alarm",
            reason="核实完毕，已记录处置情况。",
        )


def events_csv(rows: list[tuple[str, str, dt.date, str, str]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["主体证件号", "事件类型", "事件日期", "数值", "详情", "事件编号"])
    writer.writerows(
        (subject, kind, day.isoformat(), value, detail, f"EV{n:06d}")
        for n, (subject, kind, day, value, detail) in enumerate(rows)
    )
    return buffer.getvalue().encode("utf-8-sig")


def provider_monitoring(farmers: list[DemoFarmer], anchor_uscc: str, manager: User, rng: random.Random) -> None:
    """The provider's monthly monitoring push: litigation, enforcement, multi-lender, overdue elsewhere."""
    kinds = (
        ("litigation", ""),
        ("enforcement", ""),
        ("dishonest", ""),
        ("multi_lender", "4"),
        ("multi_lender", "2"),
        ("credit_overdue", ""),
    )
    rows = [
        (farmer.id_number, kind, dt.date(2027, rng.randrange(3, 7), rng.randrange(1, 28)), value, "三方监测推送")
        for farmer, (kind, value) in zip(rng.sample(farmers, 18), kinds * 3, strict=True)
    ]
    rows.append((anchor_uscc, "business_abnormal", dt.date(2027, 6, 2), "", "年报未按时公示"))
    monitoring_events_import(content=events_csv(rows), filename="三方监测数据.csv", actor=manager)


__all__ = ["DEMO_END", "DemoFarmer", "draw_loans", "service_book", "trades_csv", "verify_and_approve"]
