"""The demo's settlement accounts (结算账户): the core's files of the feed group's borrowers, and their two rules.

The feed group's settlement account is recorded, then one delivery of transactions (seven months of sales in
and feed out, ``samples/settlement_accounts.py``) and one of the last month's daily balances come in from the
core for the first borrowers of its programme. One borrower's sales collapse in the last full month
(``SETTLEMENT_FLOW_DROP``), and two days after a drawdown another pays half the loan to a building-materials
shop (``FUNDS_DIVERTED``). The two rules are then evaluated for the demo's business date, as the last close
did for the others, so the warning list shows both. Delivered once: a second run finds the delivery and
changes nothing.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from core.business_date import business_date_get
from origination.models import Loan
from partners.models import Program, User
from postloan.demo import demo_anchor_uscc
from postloan.models import WarningRule
from postloan.warning_run import rules_ensure, warnings_chunk
from risk.models_accounts import AccountDelivery
from risk.services.accounts import anchor_account_add, settlement_accounts_import
from samples.settlement_accounts import (
    ANCHOR_ACCOUNT,
    Holder,
    balances,
    balances_csv,
    transactions,
    transactions_csv,
)

TRANSACTIONS_FILE = "核心结算账户交易流水.csv"
BALANCES_FILE = "核心结算账户日终余额.csv"
HOLDERS = 40  # the first borrowers of the programme: a small delivery
RULES = ("FUNDS_DIVERTED", "SETTLEMENT_FLOW_DROP")


def demo_settlement_accounts_ensure() -> AccountDelivery | None:
    """The delivery of the feed group's borrowers' transactions; None before the demo's book exists."""
    program = Program.objects.filter(anchor__uscc=demo_anchor_uscc()).select_related("anchor").first()
    if program is None:
        return None
    existing = AccountDelivery.objects.filter(file__name=TRANSACTIONS_FILE).first()
    if existing is not None:
        return existing
    loans = list(
        Loan.objects.filter(program=program, status=Loan.Status.ACTIVE, principal_outstanding__gt=0)
        .select_related("farmer")
        .order_by("farmer_id", "id")
    )
    by_farmer = {loan.farmer_id: loan for loan in loans}  # each borrower's last loan
    chosen = sorted(by_farmer.values(), key=lambda loan: loan.farmer_id)[:HOLDERS]
    if len(chosen) < 3:
        return None
    today = business_date_get()
    holders = [Holder(loan.farmer_id, loan.farmer.id_number, 30_000 + loan.farmer_id % 5 * 10_000) for loan in chosen]
    diverted = chosen[1]
    diversions = {
        diverted.farmer_id: (
            diverted.disbursed_on + dt.timedelta(days=2),
            (diverted.principal / 2).quantize(Decimal("0.01")),
        )
    }
    made = list(
        transactions(holders, until=today, prefix="TQT", drops=frozenset({chosen[0].farmer_id}), diversions=diversions)
    )
    approver = User.objects.get(username="approver")
    anchor_account_add(anchor=program.anchor, account_no=ANCHOR_ACCOUNT, bank_name="本行成都分行", actor=approver)
    manager = User.objects.get(username="manager")
    settlement_accounts_import(
        kind="balances",
        content=balances_csv(balances(holders, made, until=today)),
        filename=BALANCES_FILE,
        actor=manager,
    )
    result = settlement_accounts_import(
        kind="transactions", content=transactions_csv(made), filename=TRANSACTIONS_FILE, actor=manager
    )
    # The close of yesterday evaluated the rules for today, before the core's files came: evaluated again.
    rules_ensure()
    for pk in WarningRule.objects.filter(code__in=RULES, enabled=True).values_list("pk", flat=True):
        warnings_chunk(today - dt.timedelta(days=1), pk, pk)
    return AccountDelivery.objects.get(pk=result.delivery_id)
