"""Times the two settlement-account rules (FUNDS_DIVERTED, SETTLEMENT_FLOW_DROP) on a book of LOANS active loans.

The book is ``bench_warnings``'s (its farmers, limits, loans and second loans, without the trade records and
events no rule here reads). Generated in SQL beside it, deterministically: each first-loan borrower's
settlement account with, from November 2026 to 17 June 2027, one sale a month in (a meat plant) and one
feed payment a month out (to his programme's anchor's recorded account): about 16 transactions per borrower.
1 % of the borrowers' May sales fall to a fifth (SETTLEMENT_FLOW_DROP on 18 June) and 1 % of the loans pay
40 % of the drawdown elsewhere two days after it (FUNDS_DIVERTED).

With only these two rules enabled, it times ``warnings_run``:
  (a) on 18 June, whole (a first run: every loan and every farmer);
  (b) on 19 June, after a delivery of 1,000 borrowers' money out dated the 18th (100 of them diverting):
      the daily case, where both rules look only at what changed;
  (c) on 1 July: a new month, where SETTLEMENT_FLOW_DROP looks at every farmer again.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/scf_bench_accts \\
        .venv/bin/python bench/bench_settlement_rules.py [LOANS] [--keep-db | --reuse-db]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import time

from bench_warnings import DAY, NEXT_DAY, book_load, farmers_load, reviews_add, second_loans, world_create
from benchlib import database_recreate, database_settle, setup_django, sql, timed

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/scf_bench_accts"
RULES = ("FUNDS_DIVERTED", "SETTLEMENT_FLOW_DROP")


def borrowers() -> str:
    """Each borrower's first loan, his identity hash and his programme's anchor."""
    from origination.models import Loan
    from partners.models import Farmer, Program

    loan, farmer, program = (m._meta.db_table for m in (Loan, Farmer, Program))
    return (
        f"SELECT DISTINCT ON (l.farmer_id) l.farmer_id, l.id AS loan_id, l.disbursed_on, l.principal, pr.anchor_id, "
        f"f.id_hash FROM {loan} l JOIN {program} pr ON pr.id = l.program_id JOIN {farmer} f ON f.id = l.farmer_id "
        "ORDER BY l.farmer_id, l.id"
    )


def accounts_load() -> int:
    """The anchors' accounts, one delivery and the transactions: in SQL, from the loaded loans."""
    from core.files import stored_file_create
    from partners.models import Anchor, User
    from risk.models import AccountDelivery, AccountTransaction, AnchorSettlementAccount

    approver = User.objects.filter(role="risk_approver").first()
    for anchor in Anchor.objects.all():
        AnchorSettlementAccount.objects.create(
            anchor=anchor, account_no=f"4402{anchor.pk:010d}", added_on=dt.date(2026, 6, 1), added_by=approver
        )
    stored = stored_file_create(content=b"bench", name="bench.csv")
    delivery = AccountDelivery.objects.create(
        kind="transactions", file=stored, sha256=stored.sha256, business_date=dt.date(2026, 11, 1)
    )
    txn = AccountTransaction._meta.db_table
    columns = (
        "reference, account_no, id_hash, txn_date, amount, direction, counterparty_account, counterparty_name, purpose"
    )
    sql(f"CREATE TEMPORARY TABLE bench_borrower AS {borrowers()}")
    rows = sql(
        f"INSERT INTO {txn} ({columns}, delivery_id) "
        "SELECT 'I' || b.farmer_id || '-' || m, '62284800' || lpad(b.farmer_id::text, 11, '0'), b.id_hash, "
        "  (DATE '2026-11-01' + make_interval(months => m))::date + (hashint8(b.farmer_id * 16 + m) & 15)::int, "
        "  (20000 + (hashint8(b.farmer_id * 32 + m) & 16383)) "
        "    * CASE WHEN m = 6 AND b.farmer_id %% 100 = 7 THEN 0.2 ELSE 1 END, "
        "  'in', '510101000200654321', '某肉联厂', '生猪销售款', %(d)s "
        "FROM bench_borrower b CROSS JOIN generate_series(0, 7) m",
        {"d": delivery.pk},
    )
    rows += sql(
        f"INSERT INTO {txn} ({columns}, delivery_id) "
        "SELECT 'O' || b.farmer_id || '-' || m, '62284800' || lpad(b.farmer_id::text, 11, '0'), b.id_hash, "
        "  (DATE '2026-11-01' + make_interval(months => m))::date + (hashint8(b.farmer_id * 16 + m + 8) & 15)::int, "
        "  12000, 'out', '4402' || lpad(b.anchor_id::text, 10, '0'), '龙头企业', '购饲料', %(d)s "
        "FROM bench_borrower b CROSS JOIN generate_series(0, 7) m",
        {"d": delivery.pk},
    )
    rows += sql(
        f"INSERT INTO {txn} ({columns}, delivery_id) "
        "SELECT 'D' || b.loan_id, '62284800' || lpad(b.farmer_id::text, 11, '0'), b.id_hash, b.disbursed_on + 2, "
        "  round(b.principal * 0.4, 2), 'out', '622208000300777888', '某建材经营部', '货款', %(d)s "
        "FROM bench_borrower b WHERE b.loan_id %% 100 = 3 AND b.disbursed_on + 2 < %(day)s",
        {"d": delivery.pk, "day": DAY},
    )
    return rows


def row_ranges() -> None:
    """Each delivery's range of ids, as the import records it."""
    from risk.models import AccountDelivery, AccountTransaction

    sql(
        f"UPDATE {AccountDelivery._meta.db_table} d SET first_row = r.low, last_row = r.high "
        f"FROM (SELECT delivery_id, min(id) AS low, max(id) AS high FROM {AccountTransaction._meta.db_table} "
        "GROUP BY delivery_id) r WHERE r.delivery_id = d.id"
    )


def daily_delivery() -> int:
    """The core's delivery of the 18th: 1,000 borrowers' money out, a tenth of it elsewhere (40 % of the loan)."""
    from core.business_date import business_date_set
    from core.files import stored_file_create
    from risk.models import AccountDelivery, AccountTransaction

    business_date_set(new_date=NEXT_DAY, backwards_allowed=False)
    txn = AccountTransaction._meta.db_table
    earlier = list(AccountDelivery.objects.filter(business_date=DAY).values_list("pk", flat=True))
    if earlier:  # measured before (--reuse-db): delivered again
        sql(f"DELETE FROM {txn} WHERE delivery_id = ANY(%(ids)s)", {"ids": earlier})
        AccountDelivery.objects.filter(pk__in=earlier).delete()
    stored = stored_file_create(content=b"bench-day", name="bench-day.csv")
    delivery = AccountDelivery.objects.create(kind="transactions", file=stored, sha256=stored.sha256, business_date=DAY)
    rows = sql(
        f"INSERT INTO {txn} (reference, account_no, id_hash, txn_date, amount, direction, counterparty_account, "
        "counterparty_name, purpose, delivery_id) "
        "SELECT 'N' || b.farmer_id, '62284800' || lpad(b.farmer_id::text, 11, '0'), b.id_hash, %(day)s, "
        "  CASE WHEN b.farmer_id %% 10 = 0 THEN round(b.principal * 0.4, 2) ELSE 500 END, 'out', "
        "  CASE WHEN b.farmer_id %% 10 = 0 THEN '622208000300777888' ELSE '' END, '', '', %(d)s "
        f"FROM ({borrowers()} DESC LIMIT 1000) b",
        {"d": delivery.pk, "day": DAY},
    )
    row_ranges()
    return rows


def load(n: int) -> None:
    from django.core.management import call_command

    from core.business_date import business_date_set

    call_command("migrate", verbosity=0)
    world = world_create()
    extra = n // 200
    seconds, _ = timed(lambda: farmers_load(world, n - extra))
    print(f"{n - extra:,} farmers in {seconds:.1f} s")
    seconds, _ = timed(lambda: book_load(world, n - extra))
    print(f"limits and loans in {seconds:.1f} s")
    business_date_set(new_date=DAY, backwards_allowed=False)
    reviews_add(world.approver_id)
    second_loans(n - extra, extra)
    seconds, rows = timed(accounts_load)
    print(f"{rows:,} settlement-account transactions in {seconds:.1f} s")


def run(label: str, day: dt.date) -> None:
    from postloan.warning_run import warnings_run

    seconds, summary = timed(lambda: warnings_run(day))
    print(
        f"{label}: {seconds:.2f} s; raised {dict(summary.raised)}, cleared {dict(summary.cleared)}, "
        f"looked only at what changed: {summary.scoped}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("loans", nargs="?", type=int, default=1_000_000)
    parser.add_argument("--keep-db", action="store_true")
    parser.add_argument("--reuse-db", action="store_true")
    args = parser.parse_args()
    url = os.environ.setdefault("DATABASE_URL", DEFAULT_DATABASE_URL)
    print(f"load average at the start: {' '.join(f'{v:.1f}' for v in os.getloadavg())} ({os.cpu_count()} CPUs)")
    began = time.perf_counter()
    if not args.reuse_db:
        database_recreate(url)
    setup_django()
    try:
        from origination.models import Loan
        from postloan.models import RiskWarning, WarningRule
        from postloan.warning_run import rules_ensure
        from risk.models import AccountTransaction

        if not args.reuse_db:
            load(args.loans)
        else:
            from django.core.management import call_command

            call_command("migrate", verbosity=0)
        row_ranges()
        rules_ensure()
        WarningRule.objects.exclude(code__in=RULES).update(enabled=False)
        WarningRule.objects.update(evaluated_on=None, evaluated_parameters=None)
        RiskWarning.objects.filter(rule__code__in=RULES).delete()
        print(f"VACUUM ANALYZE + CHECKPOINT in {database_settle():.1f} s")
        active = Loan.objects.filter(status="active").count()
        print(f"{active:,} active loans, {AccountTransaction.objects.count():,} transactions")
        run("(a) 18 June, whole", DAY)
        print(f"(b) delivery of the 18th: {daily_delivery():,} transactions")
        run("(b) 19 June, what changed", NEXT_DAY)
        run("(c) 1 July, a new month", dt.date(2027, 7, 1))
    finally:
        if not (args.keep_db or args.reuse_db):
            from django.db import connections

            connections.close_all()
            database_recreate(url, drop_only=True)
    print(f"load average at the end: {' '.join(f'{v:.1f}' for v in os.getloadavg())}")
    print(f"whole run: {time.perf_counter() - began:.0f} s")
    sys.exit(0)


if __name__ == "__main__":
    main()
