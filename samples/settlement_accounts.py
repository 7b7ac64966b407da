"""Sample settlement-account files of the core system (结算账户数据): daily balances and transactions.

The shapes are those of ``docs/core-files.md`` (settlement accounts). Each holder has one account; in each
month he sells his animals twice (money in from a meat plant) and buys feed from his anchor once (money out to
the anchor's account, ``ANCHOR_ACCOUNT``), and now and then takes cash out. Two kinds of holders break the
pattern, so that the warning rules have something to find:

* ``drops``: the last full month before ``until`` brings in only a fifth of the usual (``SETTLEMENT_FLOW_DROP``);
* ``diversions``: on a given date, a given amount leaves for a building-materials shop (``FUNDS_DIVERTED``
  when it falls within a week of a drawdown and is large enough).

Transaction references are ``prefix`` + holder + a counter, so that files of several worlds (the tests'
samples ``SMPT…``, the demo ``TQT…``) go into one database. The same arguments give the same bytes.

From the command line (repository root, the project's Python)::

    python samples/settlement_accounts.py OUT_DIR N [--seed SEED]

writes ``account_transactions.csv`` (Chinese headers) and ``account_balances.csv`` (English headers) for the
first N farmers of ``samples/make_samples.py``, dated up to the day before its ``SUBMISSION``.
"""

from __future__ import annotations

import argparse
import csv
import random
import sys
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

if __package__ in (None, ""):  # run as a script: the repository root is the import root
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from samples.make_samples import DEFAULT_SEED, SUBMISSION, farmers

ANCHOR_ACCOUNT = "440201000100123456"  # the sample anchor's settlement account (feed is paid into it)
MEAT_PLANT_ACCOUNT = "510101000200654321"
DIVERTED_TO = ("622208000300777888", "某建材经营部")
TRANSACTION_HEADERS = (
    "账号",
    "身份证号",
    "交易日期",
    "交易金额",
    "收付方向",
    "对方账号",
    "对方户名",
    "交易流水号",
    "用途",
)
BALANCE_HEADERS = ("account_no", "id_number", "balance_date", "balance")
BALANCE_DAYS = 31  # balances of the last days before ``until``: one row per account and day


@dataclass(frozen=True)
class Holder:
    """A borrower with a settlement account: his identity number and his usual monthly sales in yuan."""

    index: int
    id_number: str
    monthly: int


@dataclass(frozen=True)
class Transaction:
    account_no: str
    id_number: str
    txn_date: date
    amount: Decimal
    direction: str  # "in" or "out"
    counterparty_account: str
    counterparty_name: str
    reference: str
    purpose: str


@dataclass(frozen=True)
class Balance:
    account_no: str
    id_number: str
    balance_date: date
    balance: Decimal


def account_no(holder: Holder) -> str:
    """A 19-digit account number per holder (a bank card's length)."""
    return f"6228480{holder.index:012d}"


def _month_start(day: date, months_before: int) -> date:
    index = day.year * 12 + day.month - 1 - months_before
    return date(index // 12, index % 12 + 1, 1)


def transactions(
    holders: Iterable[Holder],
    *,
    until: date,
    months: int = 7,
    seed: int = DEFAULT_SEED,
    prefix: str = "SMPT",
    anchor_account: str = ANCHOR_ACCOUNT,
    drops: frozenset[int] = frozenset(),
    diversions: Mapping[int, tuple[date, Decimal]] | None = None,
) -> Iterator[Transaction]:
    """Each holder's transactions of the ``months`` full months before ``until``'s month and of that month
    up to the day before ``until``, in date order per holder."""
    diversions = diversions or {}
    for holder in holders:
        rng = random.Random(f"{seed}:accounts:{holder.index}")
        account = account_no(holder)
        made: list[tuple[date, Decimal, str, str, str, str]] = []
        for back in range(months, -1, -1):
            start = _month_start(until, back)
            share = Decimal("0.2") if back == 1 and holder.index in drops else Decimal(1)
            for offset in (3 + rng.randrange(10), 15 + rng.randrange(12)):
                amount = (Decimal(holder.monthly) / 2 * share * Decimal(rng.randrange(80, 121)) / 100).quantize(
                    Decimal("0.01")
                )
                made.append(
                    (start + timedelta(days=offset), amount, "in", MEAT_PLANT_ACCOUNT, "某肉联厂", "生猪销售款")
                )
            feed = (Decimal(holder.monthly) * Decimal("0.6")).quantize(Decimal("0.01"))
            made.append(
                (start + timedelta(days=rng.randrange(1, 27)), feed, "out", anchor_account, "龙头企业", "购饲料")
            )
            if rng.random() < 0.3:
                cash = Decimal(rng.randrange(5, 30) * 100)
                made.append((start + timedelta(days=rng.randrange(27)), cash, "out", "", "", "取现"))
        if holder.index in diversions:
            day, amount = diversions[holder.index]
            made.append((day, amount, "out", DIVERTED_TO[0], DIVERTED_TO[1], "货款"))
        made.sort(key=lambda row: row[0])
        for number, (day, amount, direction, other, name, purpose) in enumerate(made):
            if day < until:
                yield Transaction(
                    account,
                    holder.id_number,
                    day,
                    amount,
                    direction,
                    other,
                    name,
                    f"{prefix}{holder.index:06d}{number:04d}",
                    purpose,
                )


def balances(holders: Iterable[Holder], made: Iterable[Transaction], *, until: date) -> Iterator[Balance]:
    """Each account's end-of-day balance for the ``BALANCE_DAYS`` days before ``until``: an opening balance of
    three months' sales, moved by the transactions."""
    flows: dict[str, list[Transaction]] = {}
    for txn in made:
        flows.setdefault(txn.account_no, []).append(txn)
    first = until - timedelta(days=BALANCE_DAYS)
    for holder in holders:
        account = account_no(holder)
        balance = Decimal(holder.monthly * 3)
        own = sorted(flows.get(account, []), key=lambda t: t.txn_date)
        position = 0
        day = min([first, *(t.txn_date for t in own)])
        while day < until:
            while position < len(own) and own[position].txn_date == day:
                txn = own[position]
                balance += txn.amount if txn.direction == "in" else -txn.amount
                position += 1
            if day >= first:
                yield Balance(account, holder.id_number, day, max(balance, Decimal(0)))
            day += timedelta(days=1)


def transactions_csv(made: Iterable[Transaction]) -> bytes:
    """Transactions as the core writes them: UTF-8 CSV with Chinese headers, directions 收/付."""
    rows = (
        (
            t.account_no,
            t.id_number,
            t.txn_date.isoformat(),
            f"{t.amount:.2f}",
            "收" if t.direction == "in" else "付",
            t.counterparty_account,
            t.counterparty_name,
            t.reference,
            t.purpose,
        )
        for t in made
    )
    return _csv([TRANSACTION_HEADERS, *rows])


def balances_csv(made: Iterable[Balance]) -> bytes:
    """Balances as UTF-8 CSV with English headers."""
    rows = ((b.account_no, b.id_number, b.balance_date.isoformat(), f"{b.balance:.2f}") for b in made)
    return _csv([BALANCE_HEADERS, *rows])


def _csv(rows: Iterable[Iterable[object]]) -> bytes:
    lines: list[str] = []

    class _Sink:
        def write(self, text: str) -> None:
            lines.append(text)

    csv.writer(_Sink(), lineterminator="\n").writerows(rows)
    return "".join(lines).encode()


def sample_holders(size: int, seed: int = DEFAULT_SEED) -> list[Holder]:
    """The first ``size`` farmers of ``samples/make_samples.py`` as account holders (sales of their monthly orders)."""
    return [Holder(f.index, f.id_number, f.monthly_orders) for f in farmers(size, seed)]


def write_settlement_samples(out: Path, size: int, seed: int = DEFAULT_SEED) -> dict[str, Path]:
    """Both files for the first ``size`` sample farmers, up to the day before ``SUBMISSION``: every tenth
    farmer's inflows drop in the last full month, every twentieth pays 40,000 elsewhere ten days before it."""
    out.mkdir(parents=True, exist_ok=True)
    holders = sample_holders(size, seed)
    drops = frozenset(h.index for h in holders if h.index % 10 == 3)
    diversions = {h.index: (SUBMISSION - timedelta(days=10), Decimal("40000.00")) for h in holders if h.index % 20 == 7}
    made = list(transactions(holders, until=SUBMISSION, seed=seed, drops=drops, diversions=diversions))
    paths = {
        "account_transactions.csv": out / "account_transactions.csv",
        "account_balances.csv": out / "account_balances.csv",
    }
    paths["account_transactions.csv"].write_bytes(transactions_csv(made))
    paths["account_balances.csv"].write_bytes(balances_csv(balances(holders, made, until=SUBMISSION)))
    return paths


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Write sample settlement-account files of N made-up farmers.")
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("size", type=int, help="number of farmers")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="the same seed gives the same files")
    args = parser.parse_args(argv)
    if args.size < 1:
        parser.error("N must be at least 1")
    for path in write_settlement_samples(args.out_dir, args.size, args.seed).values():
        print(f"{path} ({path.stat().st_size:,} bytes)")


if __name__ == "__main__":
    main()
