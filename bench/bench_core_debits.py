"""Times the core system's debit file (核心扣款文件): its import, and the close's settlement step applying it.

The book is ``bench_cob.py``'s (its builders, the same loans, dues and programmes), 200,000 loans by
default (``1000000`` for the issue's size), closed by the real close up to the 20th of June 2027. Then
the core's debit file of the 20th is written: one line per active loan, the interest the close of the
20th will leave it owing (and any overdue interest and penalty), so that the whole book pays by debit.
The database is copied (``CREATE DATABASE … TEMPLATE``) before anything of the file exists, and on the
same book, each case in a process of its own (its peak RSS is its own):

  (i) the import: ``debit_file_import`` of the file (CSV, UTF-8), read in slices and checked, staged and
      kept — time and peak RSS;
  (ii) the settlement step of the 20th on the book with the debits: every chunk through
      ``postloan.cob.run_chunk`` one after the other in the case's process (the interest charged, the
      debits applied, what is left unpaid moved to overdue);
  (iii) the same step on the copy, without the debits (every loan falls overdue: the step's heaviest day).

Checks (exit status 1 when one fails): applying the file within 2× the step without it ((ii) ≤ 2 × (iii));
every debit applied; no loan with a debit overdue after the step, save those it could not cover; the
ledger of a sample of loans reconciles. The load column is the machine's 1-minute load average during the
case: 1 is the case itself on one core; much above that means other work shared the machine.

The database named in ``DATABASE_URL`` (its name must contain "bench") is dropped and built again, and
dropped at the end with its copy (unless ``--keep-db``). Run from the repository root::

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/scf_bench_debits \\
        .venv/bin/python bench/bench_core_debits.py [LOANS] [--keep-db]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from benchlib import database_recreate, peak_rss_mb, setup_django, timed

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/scf_bench_debits"
DEFAULT_LOANS = 200_000
RATIO = 2.0  # applying the file: at most twice the settlement step without it
RECONCILE_SAMPLE = 2_000
PASSWORD = "Bench#2027-debits"  # noqa: S105 - a user of a throw-away database


def copy_url(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=parts.path + "_plain"))


def database_copy(url: str) -> None:
    """The book as it stands, copied to ``<name>_plain`` (no session may be connected to it)."""
    import psycopg2
    from psycopg2 import sql as pgsql

    parts = urlsplit(url)
    source = parts.path.lstrip("/")
    admin = psycopg2.connect(host=parts.hostname, port=parts.port or 5432, user=parts.username, dbname="postgres")
    admin.autocommit = True
    try:
        with admin.cursor() as cursor:
            target = pgsql.Identifier(source + "_plain")
            cursor.execute(pgsql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(target))
            cursor.execute(pgsql.SQL("CREATE DATABASE {} TEMPLATE {}").format(target, pgsql.Identifier(source)))
    finally:
        admin.close()


DEBIT_LINES = (
    # What the close of the day leaves each loan owing of interest: the charge it makes (the settlement's
    # own formula) plus the interest charged before, overdue interest and penalty.
    "SELECT id, {charge} + interest_due + interest_overdue + penalty_due AS amount FROM origination_loan "
    "WHERE status = 'active' ORDER BY id"
)


def debit_file_write(day: dt.date, path: Path) -> int:
    """One line per active loan (whose amount is above zero) for ``day``; returns the lines written."""
    from django.db import connection

    from servicing.settlement import charge_sql

    days = "GREATEST(LEAST(%(day)s, maturity_on) - accrued_through, 0)"
    charge = charge_sql(f"interest_base + principal_outstanding * {days}", "annual_rate")
    lines = 0
    with connection.cursor() as cursor, path.open("w", encoding="utf-8") as out:
        cursor.execute(DEBIT_LINES.format(charge=charge), {"day": day})
        out.write("贷款编号,入账日期,金额,核心流水号\n")
        while rows := cursor.fetchmany(50_000):
            for loan_id, amount in rows:
                if amount > 0:
                    out.write(f"{loan_id},{day.isoformat()},{amount:.2f},HX{day:%Y%m%d}{loan_id:010d}\n")
                    lines += 1
    return lines


def settlement_measure(day: dt.date) -> dict[str, Any]:
    """The settlement step of ``day``, chunk after chunk through the close's own chunk runner."""
    from postloan.cob import loan_chunks, run_chunk

    chunks = loan_chunks()

    def step() -> int:
        return sum(run_chunk(day, "settlement", number, first, last) for number, first, last in chunks)

    seconds, rows = timed(step)
    return {"seconds": seconds, "rows": rows, "chunks": len(chunks)}


def import_measure(path: str) -> dict[str, Any]:
    from core.roles import Role
    from corebank.debit_files import debit_file_import
    from partners.models import OrgNode
    from partners.services.org import user_create

    root = OrgNode.objects.filter(kind=OrgNode.Kind.BRANCH).order_by("id").first()
    actor = user_create(username="bench_ops", password=PASSWORD, role=Role.ADMINISTRATOR, org_node=root)
    with open(path, "rb") as handle:
        seconds, result = timed(lambda: debit_file_import(content=handle, filename=Path(path).name, actor=actor))
    return {"seconds": seconds, **result.as_dict()}


def outcome_check(day: dt.date) -> dict[str, Any]:
    """What the step with the debits left: debits still pending, debited loans overdue, reconciliation."""
    from django.db import connection

    from servicing.reconcile import loans_reconcile

    with connection.cursor() as cursor:
        cursor.execute("SELECT state, COUNT(*), SUM(refund) FROM corebank_debit GROUP BY state")
        states = {state: [count, str(refund)] for state, count, refund in cursor.fetchall()}
        cursor.execute(
            "SELECT COUNT(*) FROM corebank_debit d JOIN origination_loan l ON l.id = d.loan_id "
            "WHERE l.oldest_due_date = %s AND l.principal_overdue = 0",
            [day],
        )
        overdue = int(cursor.fetchone()[0])
        cursor.execute(f"SELECT id FROM origination_loan ORDER BY random() LIMIT {RECONCILE_SAMPLE}")
        sample = [row[0] for row in cursor.fetchall()]
    return {"states": states, "overdue_with_debit": overdue, "mismatches": len(loans_reconcile(sample))}


def child(case: str, argument: str) -> None:
    setup_django()
    load = os.getloadavg()[0]
    day = dt.date(2027, 6, 20)
    if case == "close_to":
        from postloan.cob import close_business_days

        seconds, _ = timed(lambda: close_business_days(to=dt.date.fromisoformat(argument)))
        result: dict[str, Any] = {"seconds": seconds}
    elif case == "write":
        seconds, lines = timed(lambda: debit_file_write(day, Path(argument)))
        result = {"seconds": seconds, "lines": lines}
    elif case == "import":
        result = import_measure(argument)
    elif case == "settle":
        result = settlement_measure(day)
    else:
        result = outcome_check(day)
    result["rss_mb"] = peak_rss_mb()
    result["load"] = (load + os.getloadavg()[0]) / 2
    print("RESULT " + json.dumps(result))


def in_child(case: str, argument: str = "", url: str | None = None) -> dict[str, Any]:
    env = {**os.environ, **({"DATABASE_URL": url} if url else {})}
    done = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), "--child", case, argument],
        capture_output=True,
        text=True,
        check=False,
        env=env,
    )
    results = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
    if done.returncode or not results:
        print(done.stdout, done.stderr, sep="\n")
        raise SystemExit(f"the {case} case failed")
    return dict(json.loads(results[-1][len("RESULT ") :]))


def run(n: int, url: str) -> bool:
    import bench_cob
    from django.db import connections

    _seconds, _disk, _dues, checks = bench_cob.build(n)
    connections.close_all()
    closed = in_child("close_to", bench_cob.SETTLEMENT.isoformat())
    print(f"closed the 18th and the 19th in {closed['seconds']:.1f} s: business date {bench_cob.SETTLEMENT}")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"核心扣款{bench_cob.SETTLEMENT:%Y%m%d}.csv"
        written = in_child("write", str(path))
        size = path.stat().st_size
        print(
            f"debit file: {written['lines']:,} lines, {size / 1_048_576:.1f} MB, written in {written['seconds']:.1f} s"
        )
        database_copy(url)  # the book before the file: the step without the debits runs on the copy
        imported = in_child("import", str(path))
    print(
        f"(i) import: {imported['seconds']:.1f} s, {imported['accepted']:,} accepted, peak {imported['rss_mb']:.0f} MB"
    )
    with_debits = in_child("settle")
    print(f"(ii) settlement with the debits: {with_debits['seconds']:.1f} s")
    without = in_child("settle", url=copy_url(url))
    print(f"(iii) settlement without them: {without['seconds']:.1f} s")
    outcome = in_child("outcome")
    ratio = with_debits["seconds"] / without["seconds"]
    checks += [
        (f"applying the file ≤ {RATIO:.0f}× the settlement step ({ratio:.2f}×)", ratio <= RATIO),
        (f"every debit applied ({outcome['states']})", "pending" not in outcome["states"]),
        (f"no debited loan overdue on interest ({outcome['overdue_with_debit']})", outcome["overdue_with_debit"] == 0),
        (
            f"a sample of {RECONCILE_SAMPLE:,} loans reconciles ({outcome['mismatches']} mismatches)",
            not outcome["mismatches"],
        ),
    ]
    report(n, size, written["lines"], imported, with_debits, without, checks)
    return all(ok for _label, ok in checks)


def report(
    n: int,
    size: int,
    lines: int,
    imported: dict[str, Any],
    with_debits: dict[str, Any],
    without: dict[str, Any],
    checks: list[tuple[str, bool]],
) -> None:
    print(f"\nCore debit file on a book of {n:,} loans ({lines:,} debits, {size / 1_048_576:.1f} MB)\n")
    print(f"| {'case':<52} | {'seconds':>8} | {'peak RSS MB':>11} | {'load':>5} |")
    print(f"|{'-' * 54}|{'-' * 10}|{'-' * 13}|{'-' * 7}|")
    for label, case in (
        ("(i) import the file (read, check, stage, keep)", imported),
        ("(ii) settlement step of the 20th, with the debits", with_debits),
        ("(iii) settlement step of the 20th, without them", without),
    ):
        print(f"| {label:<52} | {case['seconds']:>8.1f} | {case['rss_mb']:>11.0f} | {case['load']:>5.1f} |")
    print()
    for label, ok in checks:
        print(f"{'PASS' if ok else 'FAIL'}  {label}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("loans", nargs="?", type=int, default=DEFAULT_LOANS)
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    parser.add_argument("--keep-db", action="store_true", help="leave the benchmark database and its copy behind")
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return
    url = os.environ.setdefault("DATABASE_URL", DEFAULT_DATABASE_URL)
    began = time.perf_counter()
    database_recreate(url)
    try:
        setup_django()
        ok = run(args.loans, url)
    finally:
        if not args.keep_db:
            from django.db import connections

            connections.close_all()
            database_recreate(url, drop_only=True)
            database_recreate(copy_url(url), drop_only=True)
    print(f"\nwhole run: {time.perf_counter() - began:.0f} s")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
