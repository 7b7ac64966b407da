"""Times the close of business (日终) on PostgreSQL over a book of 1,000,000 active loans (by default;
5,000,000 is the other size the targets name).

The world is built the way production builds it where rows are few (org
nodes, users, approved anchors, programmes and their margin, through the real
services) and loaded in bulk where they are many (farmers, their anchor
links, credit limits, loans, dues, ledger entries, demands, post-drawdown
checks and the provider's trade records: integers staged with ``COPY`` into
temporary tables, then plain SQL). The loaded book is what the services and
past closes would have left on the evening of 17 June 2027 (business date
18 June):

* loans disbursed on every day of the previous 11 months, terms 3–12 months,
  amounts 10,000–2,000,000 (log-uniform, whole thousands), ten programmes
  over five anchors at five rates; ids follow the disbursement date;
  ``accrued_through`` is the last 20th, or the day before disbursement;
* every past 20th was charged and the farmer paid it the next morning; the
  last such due is kept (settled), with no ledger entries: a charge and its
  repayment cancel out, and no step reads older months (so the ledger still
  reconciles: a disbursement entry per loan plus the charge of every due
  still unpaid);
* about 3 % of the loans, in the two programmes of a troubled anchor whose
  margin ran out, left one or more 20ths unpaid (February to May:
  ``oldest_due_date`` set, DPD 29–118, some non-performing), each a claim on
  the anchor; the programmes' status is what the breaker makes of it;
* about 2.5 % past maturity with principal and the last interest overdue
  (``penalty_through`` set): half matured in June in any programme (demand
  open), half earlier this year in the troubled programmes (claims);
* 0.1 % classified worse by a person; limits that expired are expired;
  each loan's trade-authenticity check and phone callback done within a
  week, a June order from the provider for 97 % of the farmers; the
  post-loan steps of the close (the warning run, escalation, dashboard
  aggregates) run once for 17 June, so that the first measured close meets their steady state.

Left out because no step reads them: ``Repayment`` rows, batches behind the
limits, and the paid history older than the last month. A sample of the
loaded loans is checked against the reference model
(``servicing.interest.ReferenceLoan``) and the ledger reconciliation.
The bulk load itself runs with foreign-key triggers off and builds indexes
and unique keys after the rows (benchmark only; nothing is measured then).

Then, in one run and on the same book, each case in a process of its own
(so that its peak RSS is its own), it measures:

  (a) ``postloan.cob.close_day`` of an ordinary day (18 June: not a 20th, not
      a month end) — the headline — and the next day too;
  (b) the close of the 20th: every active loan settles (an interest charge,
      an upserted due) and, unpaid at the close, falls overdue (demand,
      DPD 1, special mention) — the worst day. With ``--month-end``, the
      farmers then pay on the 21st (simulated in SQL: 98 % of those whose
      only overdue amount is the 20th's pay it), and every day is closed up
      to and including the month end: the 21st (every payer back to
      normal) and 30 June (compensation from the margin, which goes loan by
      loan through the services: minutes at this size, hence optional);
  (c) the baseline: one SQL pass reading every active loan's balances,
      fetched to the client — the "one pass" the ratios are taken against —
      and the same pass aggregated on the server; best of three each;
  (d) the naive way: a per-loan ORM loop (load the loan, compute with
      ``servicing.interest``, save it, create the entries) doing the same
      day's work on a 5,000-loan sample, in a transaction rolled back,
      scaled to the book — for the ordinary day and for the 20th.

Each close runs as ``close_business_day`` runs it: the chunks of each chunked
step (loan-id ranges; the warning step's rules) go through a Redis broker
(``BENCH_BROKER_URL``, by default database 12 of the local Redis, emptied
first) to two Celery worker processes started for the case, one per core;
``--workers 0`` runs them inline, one after the other, in the case's process.

Per-step times of a close come from ``DayCloseStep.finished_at``: each chunk
ends when its row is written, so a step's time runs from the end of the
step before (the start of the close for the first); a chunk's commit (and
its deferred foreign-key checks) counts in the step after it. The note under
each close splits its time between the servicing steps and the post-loan
steps (warnings, escalation, aggregates). Peak RSS is the case's process's (neither the
workers' nor the PostgreSQL backends' memory is in it). The load column is
the machine's 1-minute load average during the case: the two workers and
their backends keep both cores busy, so about 2 is the close itself; much
above that means other work shared the machine, and the seconds are longer
for it.

The build of the book (migrations, generation, the load, the rows of the
services, the post-loan steps of the 17th, VACUUM ANALYZE) is timed apart and
is no case; the disk it takes (``pg_database_size`` and the largest tables) is
printed after the build and again after the closes.

Checks (exit status 1 when one fails): the loaded book agrees with the
reference model and the ledger; the ordinary day's servicing steps, and the
whole ordinary close, within 3× the one pass (c); the 20th made every
performing loan's interest overdue; and the targets of issue 20 (``TARGETS``):
an ordinary day ≤ 3 s and the 20th ≤ 25 s at 1,000,000 loans, ≤ 15 s and
≤ 120 s at 5,000,000 — a book in between held to the line between the two,
a smaller one to the million's, a larger one to the five million's in
proportion.

The database named in ``DATABASE_URL`` is dropped and created again at the
start and dropped at the end (unless ``--keep-db``); its name must contain
"bench". Run from the repository root::

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/scf_bench_cob \
        .venv/bin/python bench/bench_cob.py [LOANS] [--workers N] [--month-end] [--keep-db] [--load-only | --reuse-db]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import time
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from benchlib import (
    DEFAULT_BROKER_URL,
    LendingWorld,
    best_of,
    bulk_load_mode,
    celery_workers,
    database_recreate,
    database_settle,
    lending_world_create,
    peak_rss_mb,
    setup_django,
    sql,
    timed,
)

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/scf_bench_cob"
PASSWORD = "Bench#2027-cob"  # noqa: S105 - users of a throw-away database
SEED = 20270618

BUILT_ON = dt.date(2026, 6, 1)  # anchors, programmes and margin exist before the first limit
ORDINARY = dt.date(2027, 6, 18)  # business date of the loaded book: (a) closes it
SETTLEMENT = dt.date(2027, 6, 20)  # (b)
PAID_ON = dt.date(2027, 6, 21)  # the farmers pay the 20th's interest the next morning
MONTH_END = dt.date(2027, 6, 30)
LAST_MONTH_END = dt.date(2027, 5, 31)
WINDOW_START = dt.date(2026, 7, 18)  # disbursements over the 11 months before ORDINARY
OLD_MATURITY_FROM = dt.date(2027, 1, 1)

NAIVE_SAMPLE = 5_000
RECONCILE_SAMPLE = 2_000
REFERENCE_SAMPLE = 150
SHARE_PRINCIPAL_OVERDUE = 0.025
SHARE_INTEREST_OVERDUE = 0.03
SHARE_TROUBLED = 0.20  # of the performing book, in the troubled anchor's two programmes
SHARE_MANUAL = 0.001
SHARE_PAYING = 98  # percent of the 20th's debtors who pay on the 21st
MARGIN_HEADROOM = Decimal("0.07")  # healthy programmes keep 7 % of outstanding (5 % required)

# How the closes run, as ``close_business_day`` runs them on this machine's two cores: each chunked
# step's chunks go to two Celery worker processes through the broker (``--workers 0``: inline, one
# chunk after the other in the measuring process).
WORKERS = 2
BROKER_URL = os.environ.get("BENCH_BROKER_URL", DEFAULT_BROKER_URL)

# Targets of the issue (20): the close of an ordinary day and of the 20th, in seconds, at a million and at
# five million loans. A book in between is held to the line between the two; a smaller one to the
# million's targets (a close has costs that do not shrink with the book), a larger one to the five
# million's in proportion.
TARGETS = {1_000_000: (3.0, 25.0), 5_000_000: (15.0, 120.0)}
TARGET_RATIO = 3.0  # the ordinary day's servicing steps, and the whole ordinary close, against the one pass


def targets(loans: int) -> tuple[float, float]:
    """(ordinary day, the 20th) in seconds for a book of ``loans``: see ``TARGETS``."""
    (low, (low_ordinary, low_twentieth)), (high, (high_ordinary, high_twentieth)) = sorted(TARGETS.items())
    if loans <= low:
        return low_ordinary, low_twentieth
    if loans >= high:
        return high_ordinary * loans / high, high_twentieth * loans / high
    share = (loans - low) / (high - low)
    return (
        low_ordinary + share * (high_ordinary - low_ordinary),
        low_twentieth + share * (high_twentieth - low_twentieth),
    )


def disk_usage(tables: int = 8) -> tuple[int, list[tuple[str, int, int]]]:
    """The database's size in bytes, and its ``tables`` largest tables: (name, with indexes, of which indexes)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_database_size(current_database())")
        total = int(cursor.fetchone()[0])
        cursor.execute(
            "SELECT c.relname, pg_total_relation_size(c.oid), pg_indexes_size(c.oid) FROM pg_class c "
            "JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE c.relkind = 'r' AND n.nspname = 'public' ORDER BY 2 DESC LIMIT %s",
            [tables],
        )
        return total, [(name, int(size), int(indexes)) for name, size, indexes in cursor.fetchall()]


def disk_print(label: str) -> int:
    total, biggest = disk_usage()
    print(f"disk {label}: {total / 2**30:.2f} GiB (pg_database_size); the largest tables, with their indexes:")
    for name, size, indexes in biggest:
        print(f"    {name:<34} {size / 2**20:>9,.0f} MiB  (indexes {indexes / 2**20:,.0f} MiB)")
    return total


CREATED = "2027-06-17 21:00:00+08"
D = np.datetime64
DAY = np.timedelta64(1, "D")


# -- the world: few rows, through the real services ---------------------------------------------------------


@dataclass
class World(LendingWorld):
    troubled: list[int]  # indexes into ``programs``


def world_create() -> World:
    from core.business_date import business_date_set

    business_date_set(new_date=BUILT_ON, backwards_allowed=True)
    world = lending_world_create("C", "cob", PASSWORD)
    return World(**vars(world), troubled=[8, 9])


def margin_fund(world: World, outstanding: dict[int, Decimal]) -> None:
    """Deposits through the service; the troubled anchor's margin was deducted to nothing by 31 May."""
    from core.business_date import business_date_set
    from partners.models import MarginEntry, Program, User
    from partners.services.margin import margin_deposit, margin_entry_post, margin_program_lock

    manager = User.objects.get(pk=world.managers[0])
    for index, program_id in enumerate(world.programs):
        amount = (outstanding.get(index, Decimal(0)) * MARGIN_HEADROOM).quantize(Decimal("1")) + 1
        margin_deposit(program=Program.objects.get(pk=program_id), amount=amount, actor=manager)
    business_date_set(new_date=LAST_MONTH_END, backwards_allowed=False)
    from django.db import transaction

    for index in world.troubled:
        with transaction.atomic():
            program = margin_program_lock(world.programs[index])
            amount = (outstanding.get(index, Decimal(0)) * MARGIN_HEADROOM).quantize(Decimal("1")) + 1
            margin_entry_post(
                program=program, kind=MarginEntry.Kind.DEDUCTION, amount=amount, actor=None, reference="bench"
            )


# -- the book: many rows, generated with numpy and loaded with COPY ------------------------------------------


def month_index(days: np.ndarray) -> np.ndarray:
    return days.astype("datetime64[M]").astype(np.int64)


def day_of_month(days: np.ndarray) -> np.ndarray:
    return (days - days.astype("datetime64[M]").astype("datetime64[D]")).astype(np.int64) + 1


def add_months(days: np.ndarray, months: np.ndarray) -> np.ndarray:
    """``origination.schedule.add_months`` over arrays: same calendar day, clamped to the month end."""
    target = days.astype("datetime64[M]") + months.astype("timedelta64[M]")
    start = target.astype("datetime64[D]")
    length = ((target + 1).astype("datetime64[D]") - start).astype(np.int64)
    return start + (np.minimum(day_of_month(days), length) - 1).astype("timedelta64[D]")


def twentieth(month: np.ndarray) -> np.ndarray:
    """The 20th of month index ``month`` (months since 1970-01)."""
    return month.astype("datetime64[M]").astype("datetime64[D]") + np.timedelta64(19, "D")


def charge_fen(principal_fen: np.ndarray, days: np.ndarray, rate_ppm: np.ndarray) -> np.ndarray:
    """``interest_charge`` in integers: principal × days × rate / 360, rounded half up to the fen."""
    numerator = principal_fen * days * rate_ppm
    denominator = 360 * 1_000_000
    return (2 * numerator + denominator) // (2 * denominator)


def epoch_days(days: np.ndarray) -> np.ndarray:
    """Dates as days since 1970-01-01 (the staging tables hold integers; SQL turns them into dates)."""
    return days.astype("datetime64[D]").astype(np.int64)


def nullable(values: np.ndarray, present: np.ndarray) -> np.ndarray:
    out = values.astype(object)
    out[~present] = None
    return out


@dataclass
class Book:
    """One row per loan (index = loan id − 1), the arrays every table is made from."""

    n: int
    program: np.ndarray  # index into World.programs
    principal_fen: np.ndarray
    rate_ppm: np.ndarray
    term: np.ndarray
    disbursed: np.ndarray
    maturity: np.ndarray
    approved: np.ndarray
    oldest_due: np.ndarray  # NaT when nothing is overdue
    matured: np.ndarray  # principal overdue
    manual: np.ndarray
    dues: pd.DataFrame = field(repr=False)  # loan_idx, kind, due_on, amount_fen, paid


def book_generate(n: int, world: World) -> Book:
    rng = np.random.default_rng(SEED)
    window = (ORDINARY - WINDOW_START).days  # disbursed from WINDOW_START to the day before ORDINARY
    n_matured = round(n * SHARE_PRINCIPAL_OVERDUE)
    n_performing = n - n_matured
    performing: list[tuple[np.ndarray, np.ndarray]] = []
    recent: list[tuple[np.ndarray, np.ndarray]] = []
    old: list[tuple[np.ndarray, np.ndarray]] = []
    have = [0, 0, 0]
    while have[0] < n_performing or have[1] < n_matured // 2 or have[2] < n_matured - n_matured // 2:
        size = max(n, 1000)
        disbursed = D(WINDOW_START) + rng.integers(0, window, size).astype("timedelta64[D]")
        term = rng.integers(3, 13, size)
        maturity = add_months(disbursed, term)
        for slot, mask in enumerate(
            (
                maturity >= D(ORDINARY),
                (maturity < D(ORDINARY)) & (maturity >= D(ORDINARY.replace(day=1))),
                (maturity < D(ORDINARY.replace(day=1))) & (maturity >= D(OLD_MATURITY_FROM)),
            )
        ):
            [performing, recent, old][slot].append((disbursed[mask], term[mask]))
            have[slot] += int(mask.sum())
    parts = [
        [np.concatenate([p[i] for p in group])[:count] for i in (0, 1)]
        for group, count in (
            (performing, n_performing),
            (recent, n_matured // 2),
            (old, n_matured - n_matured // 2),
        )
    ]
    disbursed = np.concatenate([p[0] for p in parts])
    term = np.concatenate([p[1] for p in parts])
    kind = np.concatenate([np.full(len(p[0]), k) for k, p in enumerate(parts)])  # 0 ok, 1 recent, 2 old
    # Ids follow the disbursement date, as they do when loans are drawn day by day.
    order = np.lexsort((rng.random(n), disbursed))
    disbursed, term, kind = disbursed[order], term[order], kind[order]
    maturity = add_months(disbursed, term)
    troubled = np.array(world.troubled)
    healthy = np.array([i for i in range(len(world.programs)) if i not in world.troubled])
    program = np.where(rng.random(n) < SHARE_TROUBLED, rng.choice(troubled, n), rng.choice(healthy, n))
    program[kind == 2] = rng.choice(troubled, int((kind == 2).sum()))
    rate_ppm = np.array([int(r * 1_000_000) for r in world.rates])[program]
    principal_fen = (np.round(np.exp(rng.uniform(np.log(10_000), np.log(2_000_000), n)) / 1000) * 1000).astype(
        np.int64
    ) * 100
    approved = disbursed - rng.integers(0, 31, n).astype("timedelta64[D]")

    # Overdue interest: troubled, performing loans that have a 20th from February to May behind them.
    first_twentieth_month = np.where(day_of_month(disbursed) <= 20, month_index(disbursed), month_index(disbursed) + 1)
    may = month_index(np.array([D(LAST_MONTH_END)]))[0]  # the last 20th before ORDINARY is 20 May
    candidates = np.flatnonzero((kind == 0) & np.isin(program, troubled) & (first_twentieth_month <= may))
    chosen = rng.choice(candidates, min(len(candidates), round(n * SHARE_INTEREST_OVERDUE)), replace=False)
    back = rng.choice(4, len(chosen), p=[0.4, 0.25, 0.2, 0.15])  # May, April, March, February
    oldest_month = np.maximum(may - back, first_twentieth_month[chosen])
    oldest_due = np.full(n, np.datetime64("NaT"), dtype="datetime64[D]")
    oldest_due[chosen] = twentieth(oldest_month)
    matured = kind > 0
    oldest_due[matured] = maturity[matured]
    manual = np.zeros(n, dtype=bool)
    manual[rng.choice(np.flatnonzero(kind == 0), max(1, round(n * SHARE_MANUAL)), replace=False)] = True

    # Every 20th on or after disbursement, before maturity and before ORDINARY is a settlement.
    end = np.minimum(maturity - DAY, D(ORDINARY) - DAY)
    last_month = np.where(day_of_month(end) >= 20, month_index(end), month_index(end) - 1)
    count = np.maximum(last_month - first_twentieth_month + 1, 0)
    loan_idx = np.repeat(np.arange(n), count)
    starts = np.cumsum(count) - count
    within = np.arange(len(loan_idx)) - np.repeat(starts, count)
    due_on = twentieth(first_twentieth_month[loan_idx] + within)
    # Charged through the 20th of the month before, or from the disbursement day for the first.
    through = np.where(within == 0, disbursed[loan_idx] - DAY, twentieth(first_twentieth_month[loan_idx] + within - 1))
    days = (due_on - through).astype(np.int64)
    amount = charge_fen(principal_fen[loan_idx], days, rate_ppm[loan_idx])
    unpaid = ~np.isnat(oldest_due[loan_idx]) & (due_on >= oldest_due[loan_idx]) & ~matured[loan_idx]
    dues = [
        pd.DataFrame(
            {
                "loan_idx": loan_idx,
                "kind": "interest",
                "due_on": due_on,
                "amount_fen": amount,
                "paid": ~unpaid,
            }
        )
    ]
    # At maturity the rest of the interest and the principal fall due; the matured loans left them unpaid.
    m = np.flatnonzero(matured)
    last_settled = np.where(count[m] > 0, twentieth(first_twentieth_month[m] + count[m] - 1), disbursed[m] - DAY)
    days_m = (maturity[m] - last_settled).astype(np.int64)
    dues.append(
        pd.DataFrame(
            {
                "loan_idx": m,
                "kind": "interest",
                "due_on": maturity[m],
                "amount_fen": charge_fen(principal_fen[m], days_m, rate_ppm[m]),
                "paid": False,
            }
        )
    )
    dues.append(
        pd.DataFrame(
            {
                "loan_idx": m,
                "kind": "principal",
                "due_on": maturity[m],
                "amount_fen": principal_fen[m],
                "paid": False,
            }
        )
    )
    frame = pd.concat(dues, ignore_index=True)
    frame = frame[frame["amount_fen"] > 0].sort_values(["loan_idx", "due_on", "kind"], kind="stable")
    return Book(
        n=n,
        program=program,
        principal_fen=principal_fen,
        rate_ppm=rate_ppm,
        term=term,
        disbursed=disbursed,
        maturity=maturity,
        approved=approved,
        oldest_due=oldest_due,
        matured=matured,
        manual=manual,
        dues=frame.reset_index(drop=True),
    )


def classification_of(dpd: np.ndarray) -> np.ndarray:
    from risk.classification import DPD_BANDS, LoanClass

    result = np.full(len(dpd), LoanClass.LOSS.value, dtype=object)
    for upper, loan_class in reversed(DPD_BANDS):
        result[dpd <= upper] = loan_class.value
    return result


REGIONS = np.array(
    ["510104", "510105", "510106", "510107", "510108", "510112", "510113", "510114", "510115", "510116",
     "510117", "510118", "510121", "510129", "510131", "510181", "510182", "510183", "510184", "511521"]
)  # fmt: skip
ID_WEIGHTS = np.array([7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2])
ID_CHECKS = np.array(list("10X98765432"))


def id_numbers(n: int) -> np.ndarray:
    """Distinct, well-formed resident ID numbers (GB 11643 check character), one per farmer."""
    i = np.arange(n)
    born = D("1962-01-01") + ((i // len(REGIONS)) % 13_000).astype("timedelta64[D]")
    birth = np.char.replace(np.datetime_as_string(born, unit="D"), "-", "")
    sequence = np.char.zfill((100 + (i // (len(REGIONS) * 13_000)) * 2 + i % 2).astype(str), 3)
    body = np.char.add(np.char.add(REGIONS[i % len(REGIONS)], birth), sequence)
    digits = np.frombuffer(body.astype("S17").tobytes(), dtype=np.uint8).reshape(n, 17) - ord("0")
    return np.char.add(body, ID_CHECKS[(digits @ ID_WEIGHTS) % 11])


def book_load(book: Book, world: World) -> dict[str, float]:
    """Stage the generated book as integers, then write every table from it in SQL."""
    from origination.models import CompensationDemand, CreditLimit, Loan, LoanDue, LoanEntry
    from partners.models import AnchorFarmer, Farmer
    from postloan.models import PostDrawdownCheck
    from risk.models import TradeRecord

    models = (
        Farmer,
        AnchorFarmer,
        CreditLimit,
        Loan,
        LoanDue,
        LoanEntry,
        CompensationDemand,
        PostDrawdownCheck,
        TradeRecord,
    )
    timings: dict[str, float] = {}
    with bulk_load_mode([model._meta.db_table for model in models]):
        _book_stage(book, world, timings)
        _book_write(book, world, timings)
        start = time.perf_counter()
    for model in models:
        table = model._meta.db_table
        sql(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT MAX(id) FROM {table}))")
    timings["indexes"] = time.perf_counter() - start
    return timings


def stage(table: str, frame: pd.DataFrame) -> None:
    """COPY a frame of integers (nullable ones as pandas ``Int64``) and plain text into a temporary table.

    pandas writes the CSV in compiled code, several times faster than ``core.bulk.copy_frame``'s
    general path for millions of integer rows; an empty field is NULL.
    """
    import io

    from django.db import connection

    buffer = io.StringIO()
    frame.to_csv(buffer, header=False, index=False)
    buffer.seek(0)
    with connection.cursor() as cursor:
        cursor.copy_expert(f"COPY {table} ({', '.join(frame.columns)}) FROM STDIN WITH (FORMAT csv)", buffer)


def _book_stage(book: Book, world: World, timings: dict[str, float]) -> None:
    """Temporary tables (no WAL) of integers: one row per loan (= farmer = limit), one per due kept."""
    from core.masking import pii_hash

    start = time.perf_counter()
    n = book.n
    rng = np.random.default_rng(SEED + 1)
    ids = np.arange(1, n + 1)
    numbers = id_numbers(n)
    sql("CREATE TEMPORARY TABLE bench_farmer (id bigint, id_number text, id_hash text)")
    stage("bench_farmer", pd.DataFrame({"id": ids, "id_number": numbers, "id_hash": [pii_hash(v) for v in numbers]}))
    timings["stage farmers"] = time.perf_counter() - start

    start = time.perf_counter()
    dues = book.dues
    idx = dues["loan_idx"].to_numpy()
    interest = (dues["kind"] == "interest").to_numpy()
    unpaid = ~dues["paid"].to_numpy()
    due_on = epoch_days(dues["due_on"].to_numpy())
    amount = dues["amount_fen"].to_numpy()
    interest_overdue = np.zeros(n, dtype=np.int64)
    np.add.at(interest_overdue, idx[interest & unpaid], amount[interest & unpaid])
    last_due = np.full(n, -1, dtype=np.int64)
    np.maximum.at(last_due, idx[interest], due_on[interest])
    accrued_through = np.where(last_due >= 0, last_due, epoch_days(book.disbursed) - 1)
    accrued_through[book.matured] = epoch_days(book.maturity)[book.matured]
    overdue = ~np.isnat(book.oldest_due)
    dpd = np.where(overdue, (D(ORDINARY) - book.oldest_due).astype(np.int64), 0)
    classification = classification_of(dpd)
    classification[book.manual & (classification == "normal")] = "special_mention"
    outlet = ids % len(world.outlets)
    # A limit of up to 1.5 times the drawdown, in whole 10,000s, within the per-farmer cap.
    headroom = (book.principal_fen * rng.uniform(1.0, 1.5, n)).astype(np.int64)
    approved = epoch_days(book.approved)
    sql(
        "CREATE TEMPORARY TABLE bench_loan (id bigint, program_id bigint, anchor_id bigint, org_node_id bigint, "
        "account_manager_id bigint, principal_fen bigint, rate_ppm bigint, term integer, disbursed integer, "
        "maturity integer, approved integer, expires integer, limit_fen bigint, accrued_through integer, "
        "interest_overdue_fen bigint, oldest_due integer, matured boolean, manual boolean, classification text)"
    )
    stage(
        "bench_loan",
        pd.DataFrame(
            {
                "id": ids,
                "program_id": np.array(world.programs)[book.program],
                "anchor_id": np.array(world.anchors_of_program)[book.program],
                "org_node_id": np.array(world.outlets)[outlet],
                "account_manager_id": np.array(world.managers)[outlet],
                "principal_fen": book.principal_fen,
                "rate_ppm": book.rate_ppm,
                "term": book.term,
                "disbursed": epoch_days(book.disbursed),
                "maturity": epoch_days(book.maturity),
                "approved": approved,
                "expires": epoch_days(add_months(book.approved, np.full(n, 12))),
                "limit_fen": np.minimum(-(-headroom // 1_000_000) * 1_000_000, 200_000_000),
                "accrued_through": accrued_through,
                "interest_overdue_fen": interest_overdue,
                "oldest_due": pd.array(nullable(epoch_days(book.oldest_due), overdue), dtype="Int64"),
                "matured": book.matured,
                "manual": book.manual,
                "classification": classification,
            }
        ),
    )
    # Of the settled months only the last paid due is kept (what a repayment or a settlement upsert
    # meets); unpaid dues are all kept. No step reads the older ones, and the ledger keeps no entries
    # for them either: each was a charge and its repayment, which cancel out.
    paid_rows = np.flatnonzero(~unpaid & interest)
    keep = unpaid.copy()
    keep[paid_rows[np.append(idx[paid_rows][1:] != idx[paid_rows][:-1], True)]] = True
    sql(
        "CREATE TEMPORARY TABLE bench_due (loan_id bigint, principal boolean, due_on integer, amount_fen bigint, "
        "paid boolean)"
    )
    stage(
        "bench_due",
        pd.DataFrame(
            {
                "loan_id": idx[keep] + 1,
                "principal": ~interest[keep],
                "due_on": due_on[keep],
                "amount_fen": amount[keep],
                "paid": ~unpaid[keep],
            }
        ),
    )
    sql("ANALYZE bench_farmer")
    sql("ANALYZE bench_loan")
    sql("ANALYZE bench_due")
    timings["stage loans, dues"] = time.perf_counter() - start


def _book_write(book: Book, world: World, timings: dict[str, float]) -> None:
    from origination.models import CompensationDemand, CreditLimit, Loan, LoanDue, LoanEntry
    from partners.models import AnchorFarmer, Farmer
    from postloan.models import PostDrawdownCheck
    from risk.models import DataProvider, ProviderDelivery, TradeRecord

    day0 = "DATE '1970-01-01' + "
    yuan = "::numeric / 100"
    created = {"created": CREATED}

    start = time.perf_counter()
    surnames, given = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗", "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华"
    sql(
        f"INSERT INTO {Farmer._meta.db_table} (id, name, id_number, id_hash, id_masked, birth_date, phone, "
        "region_code, breed, org_node_id, account_manager_id, created_at, updated_at) "
        f"SELECT f.id, substr('{surnames}', 1 + (f.id * 7 %% {len(surnames)})::int, 1) "
        f"|| substr('{given}', 1 + (f.id * 13 %% {len(given)})::int, 1), "
        "f.id_number, f.id_hash, left(f.id_number, 4) || '**********' || right(f.id_number, 4), "
        "to_date(substr(f.id_number, 7, 8), 'YYYYMMDD'), '13' || lpad((f.id * 7919 %% 1000000000)::text, 9, '0'), "
        "left(f.id_number, 6), '生猪', l.org_node_id, l.account_manager_id, %(created)s, %(created)s "
        "FROM bench_farmer f JOIN bench_loan l ON l.id = f.id ORDER BY f.id",
        created,
    )
    sql(
        f"INSERT INTO {AnchorFarmer._meta.db_table} (anchor_id, farmer_id, first_recommended_on) "
        f"SELECT anchor_id, id, {day0} approved FROM bench_loan ORDER BY id"
    )
    sql(
        f"INSERT INTO {CreditLimit._meta.db_table} (id, farmer_id, org_node_id, program_id, amount, approved_on, "
        "expires_on, approved_by_id, status, created_at, updated_at) "
        f"SELECT id, id, org_node_id, program_id, limit_fen{yuan}, {day0} approved, {day0} expires, %(approver)s, "
        "CASE WHEN expires <= %(today)s THEN 'expired' ELSE 'active' END, %(created)s, %(created)s "
        "FROM bench_loan ORDER BY id",
        {**created, "approver": world.approver_id, "today": int(epoch_days(np.array([D(ORDINARY)]))[0])},
    )
    timings["farmers, limits"] = time.perf_counter() - start

    start = time.perf_counter()
    sql(
        f"INSERT INTO {Loan._meta.db_table} (id, credit_limit_id, farmer_id, program_id, org_node_id, "
        "account_manager_id, principal, annual_rate, penalty_markup, term_months, disbursed_on, maturity_on, "
        "status, principal_outstanding, principal_overdue, interest_base, accrued_through, penalty_base, "
        "penalty_through, interest_due, interest_overdue, penalty_due, compensated, oldest_due_date, "
        "shadow_oldest_due_date, classification, manual_classification, created_at, updated_at) "
        f"SELECT id, id, id, program_id, org_node_id, account_manager_id, principal_fen{yuan}, "
        f"rate_ppm::numeric / 1000000, 0.5, term, {day0} disbursed, {day0} maturity, 'active', "
        f"principal_fen{yuan}, CASE WHEN matured THEN principal_fen{yuan} ELSE 0 END, 0, "
        f"{day0} accrued_through, 0, CASE WHEN matured THEN {day0} maturity END, 0, "
        f"interest_overdue_fen{yuan}, 0, 0, {day0} oldest_due, {day0} oldest_due, classification, "
        "CASE WHEN manual THEN 'special_mention' ELSE '' END, %(created)s, %(created)s "
        "FROM bench_loan ORDER BY id",
        created,
    )
    timings["loans"] = time.perf_counter() - start

    start = time.perf_counter()
    due, entry, demand = LoanDue._meta.db_table, LoanEntry._meta.db_table, CompensationDemand._meta.db_table
    sql(
        f"INSERT INTO {due} (loan_id, kind, due_on, amount, paid, compensated, settled_on) "
        f"SELECT loan_id, CASE WHEN principal THEN 'principal' ELSE 'interest' END, {day0} due_on, "
        f"amount_fen{yuan}, CASE WHEN paid THEN amount_fen{yuan} ELSE 0 END, 0, "
        f"CASE WHEN paid THEN {day0} due_on + 1 END FROM bench_due ORDER BY loan_id, due_on, principal"
    )
    timings["dues"] = time.perf_counter() - start

    start = time.perf_counter()
    sql(
        f"INSERT INTO {entry} (loan_id, business_date, kind, amount, created_at) "
        "SELECT loan_id, business_date, kind, amount, %(created)s FROM ("
        f"  SELECT id AS loan_id, {day0} disbursed AS business_date, 'disbursement' AS kind, "
        f"  principal_fen{yuan} AS amount FROM bench_loan "
        f"  UNION ALL SELECT loan_id, {day0} due_on, 'interest_charge', amount_fen{yuan} FROM bench_due "
        "   WHERE NOT principal AND NOT paid) e ORDER BY business_date, loan_id",
        created,
    )
    # Each close raised a demand for what fell due unpaid; a month end with no margin left it a claim
    # (those the farmers paid, marked paid at their month end, are left out with their dues).
    sql(
        f"INSERT INTO {demand} (loan_id, program_id, raised_on, amount, compensated, unrecovered, status) "
        f"SELECT d.loan_id, l.program_id, {day0} d.due_on, SUM(d.amount_fen){yuan}, 0, "
        f"CASE WHEN d.due_on > %(month_end)s THEN 0 ELSE SUM(d.amount_fen){yuan} END, "
        "CASE WHEN d.due_on > %(month_end)s THEN 'open' ELSE 'claim' END "
        "FROM bench_due d JOIN bench_loan l ON l.id = d.loan_id WHERE NOT d.paid "
        "GROUP BY d.loan_id, l.program_id, d.due_on ORDER BY d.due_on, d.loan_id",
        {"month_end": int(epoch_days(np.array([D(LAST_MONTH_END)]))[0])},
    )
    timings["entries, demands"] = time.perf_counter() - start

    # The account manager checked the trade records and called the farmer back within a week; the
    # provider delivered each farmer's June order (most farmers; some stopped ordering).
    start = time.perf_counter()
    sql(
        f"INSERT INTO {PostDrawdownCheck._meta.db_table} (loan_id, kind, result, note, done_on, actor_id, "
        "created_at) "
        f"SELECT l.id, k.kind, 'ok', '', {day0} (l.disbursed + 1 + (l.id + k.shift) %% 6)::int, l.account_manager_id, "
        "%(created)s FROM bench_loan l "
        "CROSS JOIN (VALUES ('trade_authenticity', 0), ('phone_callback', 3)) k(kind, shift) "
        "WHERE l.disbursed + 1 + (l.id + k.shift) %% 6 < %(today)s ORDER BY 5, 1",
        {**created, "today": int(epoch_days(np.array([D(ORDINARY)]))[0])},
    )
    provider = DataProvider.objects.create(code="bench", name="基准数据商", secret="b" * 64)
    deliveries = {
        anchor_id: ProviderDelivery.objects.create(
            provider=provider,
            kind="trades",
            channel="api",
            anchor_id=anchor_id,
            sha256=f"{anchor_id:064d}",
            business_date=ORDINARY - dt.timedelta(days=1),
        ).pk
        for anchor_id in sorted(set(world.anchors_of_program))
    }
    delivery_of = " ".join(f"WHEN {anchor} THEN {delivery}" for anchor, delivery in deliveries.items())
    sql(
        f"INSERT INTO {TradeRecord._meta.db_table} (anchor_id, id_hash, order_no, order_date, amount, delivery_id) "
        f"SELECT l.anchor_id, f.id_hash, 'B' || l.id, make_date(2027, 6, 1 + (l.id * 31 %% 17)::int), "
        f"(l.principal_fen * 3 / 1000){yuan}, CASE l.anchor_id {delivery_of} END "
        "FROM bench_loan l JOIN bench_farmer f ON f.id = l.id WHERE l.id %% 100 >= 3 ORDER BY 4, 1",
    )
    sql("DROP TABLE bench_farmer")
    sql("DROP TABLE bench_loan")
    sql("DROP TABLE bench_due")
    timings["checks, trades"] = time.perf_counter() - start


OWN_STEPS = {"accrual", "settlement", "compensation", "classification", "limits", "breaker"}


def postloan_steps_prime() -> None:
    """The close's post-loan steps (the warning run above all) as the close of the day before left them.

    Without it the first measured close would raise at once every warning the loaded book holds.
    """
    from django.db import transaction

    from postloan.cob import STEPS, step_chunks
    from postloan.warning_run import WARNING_PARTS_STEP

    last_closed = ORDINARY - dt.timedelta(days=1)
    for step in STEPS:
        # Outside a close no plan has parts, so the warning step evaluates the split rules whole: their parts
        # would evaluate them a second time.
        if step.name in OWN_STEPS or step.name == WARNING_PARTS_STEP:
            continue
        start = time.perf_counter()
        rows = 0
        for _chunk, first_id, last_id in step_chunks(step, last_closed) if step.chunked else [(0, 0, 0)]:
            with transaction.atomic():
                rows += step.run(last_closed, first_id, last_id) if step.chunked else step.run(last_closed)
        print(f"post-loan step {step.name!r} run for {last_closed}: {rows} rows in {time.perf_counter() - start:.1f} s")


def book_check(book: Book) -> list[str]:
    """The loaded book is what the services would have left: reference model and ledger agree."""
    from origination.models import Loan, LoanDue
    from servicing.interest import ReferenceLoan
    from servicing.reconcile import loans_reconcile

    problems: list[str] = []
    rng = np.random.default_rng(SEED + 2)
    sample = [int(v) for v in rng.choice(np.arange(1, book.n + 1), min(book.n, RECONCILE_SAMPLE), replace=False)]
    problems += [f"reconcile: {m}" for m in loans_reconcile(sample)]
    for loan in Loan.objects.filter(pk__in=sample[:REFERENCE_SAMPLE]):
        reference = ReferenceLoan()
        reference.disburse(loan.principal, loan.disbursed_on, loan.term_months, loan.annual_rate, loan.penalty_markup)
        while reference.business_day < ORDINARY:
            reference.close_day(reference.business_day)
        charges = {c.on: c.amount for c in reference.charges if c.kind == "interest" and c.amount > 0}
        # The dues kept (the last paid one and every unpaid one, see _book_stage) are the model's charges.
        got = list(LoanDue.objects.filter(loan=loan, kind=LoanDue.Kind.INTEREST).values_list("due_on", "amount"))
        wanted = [(on, charges.get(on)) for on, _amount in got]
        if (not got and charges) or got != wanted:
            problems.append(f"loan {loan.pk}: charges {got} != reference {wanted}")
        reference_days = reference.principal_days
        stored_days = loan.interest_base + loan.principal_outstanding * max(
            0, (min(ORDINARY - dt.timedelta(days=1), loan.maturity_on) - loan.accrued_through).days
        )
        if reference_days != stored_days:
            problems.append(f"loan {loan.pk}: principal-days {stored_days} != reference {reference_days}")
        dues = LoanDue.objects.filter(loan=loan, settled_on__isnull=True, due_on__lt=ORDINARY)
        oldest = dues.order_by("due_on").values_list("due_on", flat=True).first()
        if oldest != loan.oldest_due_date:
            problems.append(f"loan {loan.pk}: oldest due {loan.oldest_due_date} / {oldest}")
    return problems


# -- the cases ---------------------------------------------------------------------------------------------


@dataclass
class Case:
    label: str
    loans: int
    seconds: float
    note: str = ""
    steps: list[tuple[str, float, int]] = field(default_factory=list)
    rss_mb: float = 0.0
    load: float = 0.0  # the machine's 1-minute load average while it ran (2 cores: above 2, others ran too)
    own_seconds: float = 0.0  # the servicing steps' share (the rest is the post-loan steps')


BALANCES = (
    "SELECT id, principal_outstanding, interest_due, interest_overdue, penalty_due, oldest_due_date, "
    "classification FROM origination_loan WHERE status = 'active'"
)
BALANCES_AGGREGATE = (
    "SELECT COUNT(*), SUM(principal_outstanding), SUM(interest_due), SUM(interest_overdue), "
    "SUM(penalty_due), MIN(oldest_due_date), COUNT(*) FILTER (WHERE classification <> 'normal') "
    "FROM origination_loan WHERE status = 'active'"
)


def baseline_fetch() -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(BALANCES)
        return len(cursor.fetchall())


def baseline_aggregate() -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(BALANCES_AGGREGATE)
        return int(cursor.fetchone()[0])


def close_measure(day: dt.date) -> dict[str, Any]:
    """Close ``day`` the way ``close_business_day`` does: chunks dispatched to the Celery workers (or inline)."""
    from django.db.models import Sum

    from postloan.cob import close_day
    from postloan.models import DayCloseStep
    from postloan.models_close import DayCloseStepRun
    from postloan.tasks import dispatch_to_workers

    loans = active_count()
    workers = int(os.environ.get("BENCH_WORKERS", "0"))
    if workers:
        with celery_workers(workers, os.environ["CELERY_BROKER_URL"]):
            seconds, record = timed(lambda: close_day(day, dispatch=dispatch_to_workers))
    else:
        seconds, record = timed(lambda: close_day(day))
    # Each step from its start to its last chunk; the steps of one stage run side by side, so they overlap.
    rows_by_step = dict(
        DayCloseStep.objects.filter(day=day).values("step").annotate(rows=Sum("rows")).values_list("step", "rows")
    )
    rows = [
        [run.step, (run.finished_at - run.started_at).total_seconds(), int(rows_by_step.get(run.step) or 0)]
        for run in DayCloseStepRun.objects.filter(close__day=day).order_by("started_at", "id")
    ]
    last = max(run.finished_at for run in DayCloseStepRun.objects.filter(close__day=day))
    rows.append(["(move the date)", (record.finished_at - last).total_seconds(), 0])
    return {"loans": loans, "seconds": seconds, "steps": rows}


def baseline_measure() -> dict[str, Any]:
    baseline_fetch()  # warm the cache the way the closes find it
    fetch_seconds, fetched = best_of(3, baseline_fetch)
    aggregate_seconds, _ = best_of(3, baseline_aggregate)
    return {"loans": fetched, "fetch": fetch_seconds, "aggregate": aggregate_seconds}


def naive_measure(day: dt.date) -> dict[str, Any]:
    from origination.models import Loan

    ids = np.array(Loan.objects.filter(status=Loan.Status.ACTIVE).values_list("id", flat=True))
    rng = np.random.default_rng(SEED + 3)
    sample = sorted(int(v) for v in rng.choice(ids, min(len(ids), NAIVE_SAMPLE), replace=False))
    seconds, _ = timed(lambda: naive_day(day, sample))
    return {"loans": len(ids), "sample": len(sample), "seconds": seconds}


def child(case: str, argument: str) -> None:
    """One measured case in a process of its own, so that its peak RSS is its own; prints a JSON line."""
    import json

    setup_django()
    load = os.getloadavg()[0]
    if case == "close":
        result = close_measure(dt.date.fromisoformat(argument))
    elif case == "baseline":
        result = baseline_measure()
    else:
        result = naive_measure(dt.date.fromisoformat(argument))
    result["rss_mb"] = peak_rss_mb()
    result["load"] = (load + os.getloadavg()[0]) / 2
    print("RESULT " + json.dumps(result))


def in_child(case: str, argument: str = "", env: dict[str, str] | None = None) -> dict[str, Any]:
    import json
    import subprocess

    done = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), "--child", case, argument],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, **(env or {})},
    )
    results = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
    if done.returncode or not results:
        print(done.stdout, done.stderr, sep="\n")
        raise SystemExit(f"the {case} {argument} case failed")
    return dict(json.loads(results[-1][len("RESULT ") :]))


def close_case(day: dt.date, label: str, workers: int) -> Case:
    env = {"BENCH_WORKERS": str(workers), "CELERY_BROKER_URL": BROKER_URL} if workers else {}
    result = in_child("close", day.isoformat(), env)
    case = Case(label, result["loans"], result["seconds"], rss_mb=result["rss_mb"], load=result["load"])
    case.steps = [(name, seconds, rows) for name, seconds, rows in result["steps"]]
    own = sum(seconds for name, seconds, _rows in case.steps if name in OWN_STEPS or name.startswith("("))
    case.own_seconds = own
    case.note = f"servicing steps {own:.1f} s, post-loan steps {case.seconds - own:.1f} s"
    print(f"{label}: {case.seconds:.1f} s (load {case.load:.1f})")
    return case


def active_count() -> int:
    from origination.models import Loan

    return Loan.objects.filter(status=Loan.Status.ACTIVE).count()


def naive_day(day: dt.date, ids: list[int]) -> None:
    """The same day's work one loan at a time with the ORM, in a transaction that is rolled back.

    Accrual written daily (a naive book has no base-plus-date trick), the settlement and maturity
    charges with their entry and due, the overdue transition with its demand, the classification.
    """
    from django.db import transaction

    from origination.models import CompensationDemand, Loan, LoanDue, LoanEntry
    from origination.schedule import SETTLEMENT_DAY
    from risk.classification import LoanClass, classify_by_dpd, effective_class
    from servicing.interest import interest_charge
    from servicing.services.repayments import interest_days_through, loan_dpd

    next_day = day + dt.timedelta(days=1)
    with transaction.atomic():
        for pk in ids:
            loan = Loan.objects.get(pk=pk)
            principal_days = interest_days_through(loan, day)
            settles = loan.maturity_on == day or (day.day == SETTLEMENT_DAY and loan.maturity_on > day)
            if settles and loan.disbursed_on <= day:
                charge = interest_charge(principal_days, loan.annual_rate)
                loan.interest_base = Decimal(0)
                if charge > 0:
                    LoanEntry.objects.create(
                        loan=loan, business_date=day, kind=LoanEntry.Kind.INTEREST_CHARGE, amount=charge
                    )
                    LoanDue.objects.create(loan=loan, kind=LoanDue.Kind.INTEREST, due_on=day, amount=charge)
                    # Unpaid at the close: overdue, and a demand on the anchor.
                    loan.interest_overdue += charge
                    loan.oldest_due_date = loan.oldest_due_date or day
                    loan.shadow_oldest_due_date = loan.shadow_oldest_due_date or day
                    CompensationDemand.objects.create(
                        loan=loan, program_id=loan.program_id, raised_on=day, amount=charge
                    )
            else:
                loan.interest_base = principal_days
            loan.accrued_through = max(loan.accrued_through, min(day, loan.maturity_on))
            manual = LoanClass(loan.manual_classification) if loan.manual_classification else None
            loan.classification = effective_class(classify_by_dpd(loan_dpd(loan, next_day)), manual).value
            loan.save()
        transaction.set_rollback(True)


def month_end_prepare() -> int:
    """The 21st's morning: 98 % of those whose only overdue amount is the 20th's interest pay it.

    What ``repayment_record`` writes for such a payment (nothing accrued since the close, the waterfall
    takes it all to overdue interest), set-based: the due settled, a repayment entry, the loan's
    overdue interest and delinquency cleared.
    """
    from origination.models import Loan, LoanDue, LoanEntry

    loan, due, entry = Loan._meta.db_table, LoanDue._meta.db_table, LoanEntry._meta.db_table
    sql("DROP TABLE IF EXISTS bench_payers")
    sql(
        "CREATE TEMPORARY TABLE bench_payers AS "
        f"SELECT d.id AS due_id, d.loan_id, d.amount FROM {loan} l JOIN {due} d ON d.loan_id = l.id "
        "WHERE l.status = 'active' AND l.oldest_due_date = %s AND l.principal_overdue = 0 "
        "AND d.kind = 'interest' AND d.due_on = %s AND d.settled_on IS NULL AND (l.id * 7919) %% 100 < %s",
        [SETTLEMENT, SETTLEMENT, SHARE_PAYING],
    )
    sql(
        f"UPDATE {due} SET paid = {due}.amount, settled_on = %s FROM bench_payers p WHERE {due}.id = p.due_id",
        [PAID_ON],
    )
    sql(
        f"INSERT INTO {entry} (loan_id, business_date, kind, amount, created_at) "
        "SELECT loan_id, %s, 'repaid_interest', amount, now() FROM bench_payers ORDER BY loan_id",
        [PAID_ON],
    )
    paid = sql(
        f"UPDATE {loan} SET interest_overdue = interest_overdue - p.amount, oldest_due_date = NULL, "
        f"shadow_oldest_due_date = NULL, updated_at = now() FROM bench_payers p WHERE {loan}.id = p.loan_id"
    )
    sql("DROP TABLE bench_payers")
    return paid


# -- the report --------------------------------------------------------------------------------------------


def report(cases: list[Case], baseline: float, checks: list[tuple[str, bool]]) -> None:
    print()
    print(f"{'case':<58} {'loans':>10} {'seconds':>9} {'× (c)':>7} {'peak RSS MB':>12} {'load':>5}")
    print("-" * 106)
    for case in cases:
        ratio = f"{case.seconds / baseline:.2f}" if baseline else "-"
        rss = f"{case.rss_mb:,.0f}" if case.rss_mb else ""
        load = f"{case.load:.1f}" if case.load else ""
        print(f"{case.label:<58} {case.loans:>10,} {case.seconds:>9.2f} {ratio:>7} {rss:>12} {load:>5}")
        if case.note:
            print(f"    {case.note}")
    for case in cases:
        if not case.steps:
            continue
        print()
        print(f"steps of {case.label} (from DayCloseStep.finished_at):")
        for name, seconds, rows in case.steps:
            print(f"    {name:<22} {seconds:>8.2f} s  {rows:>10,} rows")
    print()
    for label, ok in checks:
        print(f"{'PASS' if ok else 'FAIL'}  {label}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("loans", nargs="?", type=int, default=1_000_000)
    parser.add_argument(
        "--month-end",
        action="store_true",
        help="also simulate the 21st's payments and close every day to the month end (slow: see the note)",
    )
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    parser.add_argument(
        "--workers",
        type=int,
        default=WORKERS,
        help=f"Celery worker processes the closes dispatch their chunks to (0: inline; default {WORKERS})",
    )
    parser.add_argument("--keep-db", action="store_true", help="leave the benchmark database behind")
    parser.add_argument("--load-only", action="store_true", help="build and keep the book, measure nothing")
    parser.add_argument(
        "--reuse-db",
        action="store_true",
        help="measure the book an earlier --load-only run built and kept (no close run on it yet); LOANS is ignored",
    )
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return
    url = os.environ.setdefault("DATABASE_URL", DEFAULT_DATABASE_URL)
    if not url.startswith(("postgres://", "postgresql://")):
        raise SystemExit("DATABASE_URL must name a PostgreSQL database")
    began = time.perf_counter()
    if not args.reuse_db:
        database_recreate(url)
    try:
        setup_django()
        ok = run(
            args.loans, month_end=args.month_end, load_only=args.load_only, workers=args.workers, reuse=args.reuse_db
        )
    finally:
        if not (args.keep_db or args.load_only):
            from django.db import connections

            connections.close_all()
            database_recreate(url, drop_only=True)
    print(f"\nwhole run: {time.perf_counter() - began:.0f} s")
    sys.exit(0 if ok else 1)


def run(n: int, *, month_end: bool, load_only: bool = False, workers: int = WORKERS, reuse: bool = False) -> bool:
    from origination.models import LoanDue

    if reuse:
        n = active_count()
        print(f"reusing the book of {n:,} loans built by an earlier --load-only run (its build time is in its output)")
        build_seconds, book_dues = 0.0, LoanDue.objects.count()
        disk_built = disk_print("before the closes")
        checks: list[tuple[str, bool]] = []
    else:
        build_seconds, disk_built, book_dues, checks = build(n)
        if load_only:
            return all(ok for _label, ok in checks)
    return measure(n, build_seconds, disk_built, book_dues, checks, month_end=month_end, workers=workers)


def build(n: int) -> tuple[float, int, int, list[tuple[str, bool]]]:
    """Build the book of ``n`` loans and check it: (seconds, disk bytes after, dues loaded, checks)."""
    from django.core.management import call_command

    from core.business_date import business_date_set
    from servicing.breaker import programs_breaker

    built = time.perf_counter()
    seconds, _ = timed(lambda: call_command("migrate", verbosity=0))
    print(f"migrated in {seconds:.1f} s")
    world = world_create()
    seconds, book = timed(lambda: book_generate(n, world))
    print(f"book generated in {seconds:.1f} s: {n:,} loans, {len(book.dues):,} dues")
    start = time.perf_counter()
    timings = book_load(book, world)
    seconds = time.perf_counter() - start
    print(f"book loaded in {seconds:.1f} s: " + ", ".join(f"{k} {v:.1f} s" for k, v in timings.items()))
    outstanding: dict[int, Decimal] = {}
    for index, total in pd.Series(book.principal_fen).groupby(book.program).sum().items():
        outstanding[int(index)] = Decimal(int(total)) / 100
    margin_fund(world, outstanding)
    business_date_set(new_date=ORDINARY, backwards_allowed=False)
    moves = programs_breaker(ORDINARY - dt.timedelta(days=1))  # the status the last close left
    print(f"programme statuses: {[(m.program_id, m.to_status, f'{m.npl_ratio:.2%}') for m in moves]}")
    postloan_steps_prime()
    seconds = database_settle()
    print(f"VACUUM ANALYZE + CHECKPOINT in {seconds:.1f} s")
    build_seconds = time.perf_counter() - built
    print(f"book built in {build_seconds:.0f} s (migrate, generate, load, the services' rows, post-loan steps, vacuum)")
    disk_built = disk_print("after the build")
    problems = book_check(book)
    for problem in problems[:10]:
        print("  ", problem)
    checks = [
        (
            f"loaded book agrees with the reference model and the ledger ({len(problems)} problems)",
            not problems,
        )
    ]
    return build_seconds, disk_built, len(book.dues), checks


def measure(
    n: int,
    build_seconds: float,
    disk_built: int,
    book_dues: int,
    checks: list[tuple[str, bool]],
    *,
    month_end: bool,
    workers: int,
) -> bool:
    from django.db import connections

    from origination.models import Loan

    connections.close_all()  # the cases run in processes of their own
    cases: list[Case] = []
    result = in_child("baseline")
    fetch_seconds = result["fetch"]
    baseline = Case(
        "(c) one pass: fetch every active loan's balances",
        result["loans"],
        fetch_seconds,
        note="best of 3 after a warm-up; the baseline of the ratios",
        rss_mb=result["rss_mb"],
        load=result["load"],
    )
    aggregate = Case("(c') the same pass aggregated on the server", result["loans"], result["aggregate"])
    print(f"(c) {fetch_seconds:.1f} s")
    naive = []
    for day, label in ((ORDINARY, "ordinary day"), (SETTLEMENT, "the 20th")):
        result = in_child("naive", day.isoformat())
        scale = result["loans"] / result["sample"]
        naive.append(
            Case(
                f"(d) naive ORM loop, {label} ({result['sample']:,} × {scale:.0f})",
                result["loans"],
                result["seconds"] * scale,
                note=f"measured {result['seconds']:.1f} s on {result['sample']:,} loans, rolled back",
                rss_mb=result["rss_mb"],
                load=result["load"],
            )
        )
        print(f"{naive[-1].label}: {naive[-1].seconds:.0f} s")

    ordinary = close_case(ORDINARY, f"(a) close an ordinary day ({ORDINARY})", workers)
    nineteenth = ORDINARY + dt.timedelta(days=1)
    cases.append(ordinary)
    cases.append(close_case(nineteenth, f"(a) close the next ordinary day ({nineteenth})", workers))
    twentieth_case = close_case(SETTLEMENT, f"(b) close the 20th ({SETTLEMENT})", workers)
    cases.append(twentieth_case)
    settled = Loan.objects.filter(status=Loan.Status.ACTIVE, oldest_due_date=SETTLEMENT).count()
    checks.append((f"the 20th made every performing loan's interest overdue ({settled:,} loans)", settled > 0.9 * n))
    if month_end:
        seconds, paid = timed(month_end_prepare)
        print(f"the 21st's payments simulated in {seconds:.1f} s ({paid:,} loans)")
        connections.close_all()
        day = PAID_ON
        others: list[float] = []
        while day <= MONTH_END:
            if day == PAID_ON:
                cases.append(close_case(day, f"(b) close the 21st ({paid:,} payers back to normal)", workers))
            elif day == MONTH_END:
                cases.append(close_case(day, f"(b) close the month end ({day})", workers))
            else:
                others.append(close_case(day, f"close {day}", workers).seconds)
            day += dt.timedelta(days=1)
        cases.append(
            Case(
                f"    ordinary days 22–29 June (mean of {len(others)})",
                active_count(),
                sum(others) / len(others),
                note=f"min {min(others):.1f} s, max {max(others):.1f} s",
            )
        )
    naive_ordinary, naive_twentieth = naive
    cases += [baseline, aggregate, naive_ordinary, naive_twentieth]
    print(f"\n{n:,} loans loaded with {book_dues:,} dues")
    disk_end = disk_print("at the end (after the closes)")
    ordinary_target, twentieth_target = targets(n)
    checks += [
        (f"(a) ordinary day ≤ {ordinary_target:.1f} s", ordinary.seconds <= ordinary_target),
        (
            f"(a) ordinary day's servicing steps within {TARGET_RATIO:.0f}× the one pass (c)",
            ordinary.own_seconds <= TARGET_RATIO * fetch_seconds,
        ),
        (
            f"(a) ordinary day, with the warning run and the aggregates, within {TARGET_RATIO:.0f}× the one pass (c)",
            ordinary.seconds <= TARGET_RATIO * fetch_seconds,
        ),
        (f"(b) the 20th ≤ {twentieth_target:.1f} s", twentieth_case.seconds <= twentieth_target),
    ]
    report(cases, fetch_seconds, checks)
    built = f"{build_seconds:.0f} s" if build_seconds else "by an earlier --load-only run"
    print(
        f"\nbuild (not timed as a case): {built}; disk {disk_built / 2**30:.2f} GiB before the closes, "
        f"{disk_end / 2**30:.2f} GiB after them"
    )
    print(
        "targets of the issue: "
        + "; ".join(
            f"{loans:,} loans: ordinary day ≤ {o:.0f} s, the 20th ≤ {t:.0f} s" for loans, (o, t) in TARGETS.items()
        )
        + f" (this book, {n:,} loans: {ordinary_target:.1f} s and {twentieth_target:.1f} s)"
    )
    return all(ok for _label, ok in checks)


if __name__ == "__main__":
    main()
