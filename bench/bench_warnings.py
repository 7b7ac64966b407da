"""Times the daily warning run (每日预警, all 21 rules) on PostgreSQL over 1,000,000 active loans.

The book of loans is ``bench_cob``'s (imported, not copied): org nodes, users,
five approved anchors and ten programmes through the real services; farmers,
their anchor links, credit limits, loans, dues, ledger entries, compensation
demands and post-drawdown checks loaded with ``COPY`` and plain SQL, as the
services and past closes would have left them on the evening of 17 June 2027
(about 3 % of the loans with overdue interest, 2.5 % past maturity, two
programmes of a troubled anchor with claims and no margin left). On top of it
this benchmark loads what the warning rules read and the close of business
does not:

* ``LOANS // 200`` second loans, so that some farmers have two (``LOANS``
  loans in all, of ``LOANS − LOANS // 200`` farmers, one limit each);
* provider trade records of every borrower with the anchor of his programme:
  one order in each 15-day slot from 5 October 2026 to 16 June 2027 (17
  slots, 1 in 20 skipped: ~16 per farmer, about 16 million rows), amounts
  around an eighth of the principal; 1 % of the farmers' orders fall to a
  fifth from May (ORDERS_DROP), 1 % stop trading 61–100 days ago
  (ORDERS_STOPPED), and the slot jitter leaves others just on either side;
* monitoring events on 2 % of the farmers (litigation, enforcement,
  dishonest, multi-lender with 1–6 lenders, credit overdue; dated over the
  last 400 days), 100,000 events on people who are not customers, and a few
  on the anchors;
* four outbreaks (two in the farmers' regions within 90 days, one of them
  exactly 90 days before the 18th so that it clears the next day; one older;
  one in a region without farmers);
* post-drawdown checks removed for about 10 % of the loans (both kinds) and
  the phone callback for another 2 %;
* a quarterly review of four anchors in Q1 2027 (one with a falling
  capacity); the fifth has none.

Then ``ANALYZE`` (with ``VACUUM`` and a checkpoint), and in one run:

  (a) ``postloan.warnings.warnings_run(18 June)`` on an empty warning table
      (cold: it raises everything the book holds);
  (b) the same day again: the idempotent re-run (raises and clears nothing);
  (c) the next day, 19 June (a few raised, a few cleared);
  (d) the baseline: one plain SQL scan of the loans table, aggregated on the
      server (``count(*), sum(principal_outstanding)``) and fetched in full
      to the client (the columns the rules read); best of three each.

Per-rule times come from wrapping ``postloan.warnings._run_rule``; the time
of each of its statements is taken with ``connection.execute_wrapper`` and
split into the rule's query (the ``CREATE TEMPORARY TABLE … AS`` of the
fired set), the insert of new warnings and the update that resolves cleared
ones. What the run does outside the rules (the rule table, any shared
preparation, escalation) is shown as its own row. Peak RSS is this process's;
PostgreSQL's temporary-file bytes (work_mem spills) are shown per run.

The database named in ``DATABASE_URL`` is dropped and created again at the
start and dropped at the end (unless ``--keep-db``); its name must contain
"bench". ``--reuse-db`` measures a database kept by an earlier run (migrated
again, warnings emptied) without loading it again. Run from the repository
root::

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/scf_bench_warn \\
        .venv/bin/python bench/bench_warnings.py [LOANS] [--keep-db | --reuse-db]
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
cob = importlib.import_module("bench_cob")  # the book loader of the close-of-business benchmark

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/scf_bench_warn"
DAY = cob.ORDINARY  # 18 June 2027: the business date of the loaded book
NEXT_DAY = DAY + dt.timedelta(days=1)
TRADE_FROM = dt.date(2026, 10, 5)  # first 15-day slot of the trade history
TRADE_SLOTS = 17  # through 16 June 2027
NOISE_EVENTS = 100_000
TARGET_SECONDS = 60.0

timed = cob.timed
sql = cob.sql


# -- what the warning rules read on top of the close-of-business book -----------------------------------------


def second_loans(n_farmers: int, extra: int) -> int:
    """``extra`` farmers in good standing drew a second loan a month after the first, on the same limit."""
    from origination.models import Loan
    from postloan.models import PostDrawdownCheck

    loan, check = Loan._meta.db_table, PostDrawdownCheck._meta.db_table
    columns = [
        f.column
        for f in Loan._meta.concrete_fields
        if f.column
        not in {"id", "principal", "principal_outstanding", "disbursed_on", "maturity_on", "accrued_through"}
    ]
    listed = ", ".join(columns)
    rows = sql(
        f"INSERT INTO {loan} (id, principal, principal_outstanding, disbursed_on, maturity_on, accrued_through, "
        f"{listed}) "
        "SELECT %s + ROW_NUMBER() OVER (ORDER BY l.id), half, half, d, "
        "(d + make_interval(months => l.term_months))::date, d - 1, "
        + ", ".join(f"l.{c}" for c in columns)
        + f" FROM (SELECT l.*, GREATEST(ROUND(l.principal / 2, -3), 1000) AS half, "
        "LEAST(l.disbursed_on + 30, %s::date - 1) AS d "
        f"FROM {loan} l WHERE l.principal_overdue = 0 AND l.oldest_due_date IS NULL "
        "ORDER BY (l.id * 7919) %% %s, l.id LIMIT %s) l",
        [n_farmers, DAY, n_farmers, extra],
    )
    sql(
        f"INSERT INTO {check} (loan_id, kind, result, note, done_on, actor_id, created_at) "
        "SELECT l.id, k.kind, 'ok', '', l.disbursed_on + 2, l.account_manager_id, now() "
        f"FROM {loan} l CROSS JOIN (VALUES ('trade_authenticity'), ('phone_callback')) k(kind) "
        "WHERE l.id > %s AND l.disbursed_on + 2 < %s",
        [n_farmers, DAY],
    )
    sql(f"SELECT setval(pg_get_serial_sequence('{loan}', 'id'), (SELECT MAX(id) FROM {loan}))")
    return rows


def checks_thin() -> int:
    """About 10 % of the loans have neither check on file, another 2 % no phone callback."""
    from postloan.models import PostDrawdownCheck

    check = PostDrawdownCheck._meta.db_table
    removed = sql(f"DELETE FROM {check} WHERE (loan_id * 7) % 10 = 3")
    removed += sql(f"DELETE FROM {check} WHERE kind = 'phone_callback' AND loan_id % 50 = 1")
    return removed


def provider_create() -> tuple[int, dict[int, int], int]:
    """The provider, a trade delivery per anchor and one delivery of events."""
    from partners.models import Anchor
    from risk.models import DataProvider, ProviderDelivery

    provider = DataProvider.objects.create(code="bench", name="基准数据商", secret="b" * 64, is_default=True)
    deliveries = {
        anchor_id: ProviderDelivery.objects.create(
            provider=provider, kind="trades", channel="file", anchor_id=anchor_id, sha256="0" * 64, business_date=DAY
        ).pk
        for anchor_id in Anchor.objects.values_list("id", flat=True)
    }
    events = ProviderDelivery.objects.create(
        provider=provider, kind="events", channel="api", sha256="1" * 64, business_date=DAY
    )
    return provider.pk, deliveries, events.pk


@contextmanager
def unique_constraint_dropped(table: str) -> Iterator[None]:
    """Benchmark only: the unique constraints of ``table`` are added back (and checked) after the load."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = %s::regclass "
            "AND contype = 'u'",
            [table],
        )
        constraints = cursor.fetchall()
        for name, _definition in constraints:
            cursor.execute(f"ALTER TABLE {table} DROP CONSTRAINT {name}")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SET maintenance_work_mem = '1GB'")
            for name, definition in constraints:
                cursor.execute(f"ALTER TABLE {table} ADD CONSTRAINT {name} {definition}")
            cursor.execute("RESET maintenance_work_mem")


def trades_load(n_farmers: int, deliveries: dict[int, int]) -> int:
    """~16 orders per borrower over 8 months with his programme's anchor, generated in SQL.

    One statement per 15-day slot, so that the rows lie in the table roughly by date, the way
    the monthly deliveries write them.
    """
    from origination.models import Loan
    from partners.models import Farmer, Program
    from risk.models import TradeRecord

    trade = TradeRecord._meta.db_table
    cases = " ".join(f"WHEN {anchor} THEN {delivery}" for anchor, delivery in deliveries.items())
    rows = 0
    with cob.bulk_load_mode([trade]), unique_constraint_dropped(trade):
        for slot in range(TRADE_SLOTS):
            rows += sql(
                f"INSERT INTO {trade} (anchor_id, id_hash, order_no, order_date, amount, delivery_id) "
                "SELECT anchor_id, id_hash, order_no, order_date, "
                "  CASE WHEN is_drop AND order_date >= %(may)s THEN ROUND(amount / 5, 2) ELSE amount END, "
                f"  CASE anchor_id {cases} END "
                "FROM (SELECT p.anchor_id, f.id_hash, "
                "    'B' || lpad(f.id::text, 8, '0') || '-' || lpad(%(k)s::text, 2, '0') AS order_no, "
                "    %(start)s::date + CAST(15 * %(k)s + (f.id * 7 + %(k)s * 13) %% 15 AS integer) AS order_date, "
                "    ROUND(l.principal / 8 * (70 + (f.id * 13 + %(k)s * 7) %% 61) / 100, 2) AS amount, "
                "    f.id %% 100 = 7 AS is_drop, f.id %% 100 = 13 AS is_stopped, f.id "
                f"  FROM {Loan._meta.db_table} l JOIN {Farmer._meta.db_table} f ON f.id = l.farmer_id "
                f"  JOIN {Program._meta.db_table} p ON p.id = l.program_id "
                "  WHERE l.id <= %(farmers)s AND (f.id * 31 + %(k)s * 17) %% 20 <> 0) o "
                "WHERE NOT (is_stopped AND order_date > %(today)s::date - CAST(61 + id %% 40 AS integer))",
                {"may": dt.date(2027, 5, 1), "start": TRADE_FROM, "k": slot, "farmers": n_farmers, "today": DAY},
            )
    return rows


def events_load(provider_id: int, delivery_id: int) -> int:
    """2 % of the farmers with an event, noise on non-customers, and a few on the anchors."""
    from core.masking import pii_hash
    from partners.models import Anchor, Farmer
    from risk.models import MonitoringEvent

    event = MonitoringEvent._meta.db_table
    columns = "provider_id, event_id, subject_hash, subject_kind, event_type, event_date, value, detail, delivery_id"
    rows = sql(
        f"INSERT INTO {event} ({columns}) "
        "SELECT %(provider)s, 'EF' || lpad(f.id::text, 9, '0'), f.id_hash, 'person', t.type, "
        "  %(today)s::date - CAST((f.id * 37) %% 400 AS integer), "
        "  CASE WHEN t.type = 'multi_lender' THEN 1 + (f.id / 250) %% 6 END, '', %(delivery)s "
        f"FROM {Farmer._meta.db_table} f CROSS JOIN LATERAL (SELECT (ARRAY['litigation', 'enforcement', "
        "  'dishonest', 'multi_lender', 'credit_overdue'])[1 + (f.id / 50) %% 5] AS type) t "
        "WHERE f.id %% 50 = 1",
        {"provider": provider_id, "today": DAY, "delivery": delivery_id},
    )
    rows += sql(
        f"INSERT INTO {event} ({columns}) "
        "SELECT %(provider)s, 'EN' || lpad(i::text, 9, '0'), md5(i::text) || md5((-i)::text), 'person', "
        "  (ARRAY['litigation', 'enforcement', 'dishonest', 'multi_lender', 'credit_overdue'])[1 + i %% 5], "
        "  %(today)s::date - (i * 37) %% 400, CASE WHEN i %% 5 = 3 THEN 1 + i %% 6 END, '', %(delivery)s "
        "FROM generate_series(1, %(noise)s) i",
        {"provider": provider_id, "today": DAY, "delivery": delivery_id, "noise": NOISE_EVENTS},
    )
    anchors = list(Anchor.objects.order_by("id").values_list("uscc", flat=True))
    for number, (index, event_type, days) in enumerate(
        [(1, "business_abnormal", 20), (3, "litigation", 400), (3, "multi_lender", 10)]
    ):
        rows += sql(
            f"INSERT INTO {event} ({columns}) VALUES (%s, %s, %s, 'enterprise', %s, %s, NULL, '', %s)",
            [
                provider_id,
                f"EA{number}",
                pii_hash(anchors[index]),
                event_type,
                DAY - dt.timedelta(days=days),
                delivery_id,
            ],
        )
    return rows


def outbreaks_load(actor_id: int) -> int:
    from risk.models import Outbreak

    declared = [("510104", 20), ("510112", 90), ("510117", 200), ("420101", 5)]
    Outbreak.objects.bulk_create(
        Outbreak(
            region_code=region, disease="非洲猪瘟", declared_on=DAY - dt.timedelta(days=days), created_by_id=actor_id
        )
        for region, days in declared
    )
    return len(declared)


def reviews_add(approver_id: int) -> None:
    """Q1 2027 reviews of four anchors, the fourth at 70 % of its declared capacity; none for the fifth."""
    from partners.models import Anchor, User
    from partners.services.anchors import assessment_add

    approver = User.objects.get(pk=approver_id)
    for number, anchor in enumerate(Anchor.objects.order_by("id")[:4]):
        capacity = Decimal("3500000000") if number == 3 else Decimal("5000000000")
        assessment_add(anchor=anchor, actor=approver, assessed_on=dt.date(2027, 3, 31), guarantee_capacity=capacity)


def book_build(n: int) -> dict[str, int]:
    from core.business_date import business_date_set

    counts: dict[str, int] = {}
    world = cob.world_create()
    extra = n // 200
    n_farmers = n - extra
    seconds, book = timed(lambda: cob.book_generate(n_farmers, world))
    print(f"book generated in {seconds:.1f} s: {n_farmers:,} loans, {len(book.dues):,} dues")
    start = time.perf_counter()
    timings = cob.book_load(book, world)
    seconds = time.perf_counter() - start
    print(
        f"book loaded in {seconds:.1f} s (bench_cob.book_load): "
        + ", ".join(f"{k} {v:.1f} s" for k, v in timings.items())
    )
    outstanding: dict[int, Decimal] = {}
    for index, total in pd.Series(book.principal_fen).groupby(book.program).sum().items():
        outstanding[int(index)] = Decimal(int(total)) / 100
    del book
    cob.margin_fund(world, outstanding)
    business_date_set(new_date=DAY, backwards_allowed=False)
    reviews_add(world.approver_id)

    seconds, counts["second loans"] = timed(lambda: second_loans(n_farmers, extra))
    print(f"{counts['second loans']:,} second loans in {seconds:.1f} s")
    seconds, counts["checks removed"] = timed(checks_thin)
    print(f"{counts['checks removed']:,} post-drawdown checks removed in {seconds:.1f} s")
    provider_id, deliveries, events_delivery = provider_create()
    seconds, counts["trade records"] = timed(lambda: trades_load(n_farmers, deliveries))
    print(f"{counts['trade records']:,} trade records loaded (and indexed) in {seconds:.1f} s")
    seconds, counts["monitoring events"] = timed(lambda: events_load(provider_id, events_delivery))
    print(f"{counts['monitoring events']:,} monitoring events in {seconds:.1f} s")
    counts["outbreaks"] = outbreaks_load(world.approver_id)
    counts["farmers"] = n_farmers
    return counts


# -- measuring a run ------------------------------------------------------------------------------------------


@dataclass
class RuleTime:
    seconds: float = 0.0
    query: float = 0.0
    insert: float = 0.0
    resolve: float = 0.0
    fired: int = 0


@dataclass
class Run:
    label: str
    day: dt.date
    seconds: float = 0.0
    rules: dict[str, RuleTime] = field(default_factory=dict)
    shared_sets: float = 0.0  # the temporary tables of postloan.rules.SHARED_SETS, where the engine has them
    escalation: float = 0.0
    rest: float = 0.0  # the rule table, the commit (with any deferred foreign-key checks of the new warnings)
    raised: dict[str, int] = field(default_factory=dict)
    cleared: dict[str, int] = field(default_factory=dict)
    escalated: int = 0
    temp_mb: float = 0.0
    rss_mb: float = 0.0


class Probe:
    """Times ``_run_rule`` per rule and each of its statements (query, insert, resolve), and the rest."""

    def __init__(self, run: Run) -> None:
        self.run = run
        self.current: RuleTime | None = None

    def statement(self, execute: Callable[..., Any], sql_text: str, params: Any, many: bool, context: Any) -> Any:
        start = time.perf_counter()
        result = execute(sql_text, params, many, context)
        elapsed = time.perf_counter() - start
        head = " ".join(sql_text.split()[:5]).upper()
        rule = self.current
        if rule is None:
            if head.startswith(
                ("CREATE TEMPORARY TABLE", "INSERT INTO WARNING_", "TRUNCATE", "DELETE FROM", "ANALYZE")
            ):
                self.run.shared_sets += elapsed
        elif head.startswith(("CREATE TEMPORARY TABLE WARNING_FIRED AS", "INSERT INTO WARNING_FIRED")):
            rule.query += elapsed  # the rule's query, its fired set written to the temporary table
            rule.fired = int(context["cursor"].rowcount)
        elif head.startswith("INSERT INTO POSTLOAN_WARNING "):
            rule.insert += elapsed
        elif head.startswith("UPDATE POSTLOAN_WARNING "):
            rule.resolve += elapsed
        return result

    @contextmanager
    def installed(self) -> Iterator[None]:
        from django.db import connection

        from postloan import warnings

        run_rule, escalate = warnings._run_rule, warnings.escalate

        def run_rule_timed(rule: Any, today: dt.date, summary: Any) -> None:
            self.current = current = self.run.rules.setdefault(rule.code, RuleTime())
            start = time.perf_counter()
            try:
                run_rule(rule, today, summary)
            finally:
                current.seconds += time.perf_counter() - start
                self.current = None

        def escalate_timed(today: dt.date) -> int:
            seconds, count = timed(lambda: escalate(today))
            self.run.escalation += seconds
            return int(count)

        warnings._run_rule, warnings.escalate = run_rule_timed, escalate_timed  # type: ignore[assignment]
        try:
            with connection.execute_wrapper(self.statement):
                yield
        finally:
            warnings._run_rule, warnings.escalate = run_rule, escalate  # type: ignore[assignment]


def temp_bytes() -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_force_next_flush()")
        cursor.execute("SELECT temp_bytes FROM pg_stat_database WHERE datname = current_database()")
        return int(cursor.fetchone()[0])


def warnings_timed(label: str, day: dt.date) -> Run:
    from postloan.warnings import warnings_run

    run = Run(label, day)
    before = temp_bytes()
    with Probe(run).installed():
        run.seconds, summary = timed(lambda: warnings_run(day))
    time.sleep(0.6)  # let the statistics see the backend's temporary files
    run.temp_mb = (temp_bytes() - before) / 2**20
    run.rest = run.seconds - sum(r.seconds for r in run.rules.values()) - run.shared_sets - run.escalation
    run.raised, run.cleared, run.escalated = summary.raised, summary.cleared, summary.escalated
    run.rss_mb = cob.peak_rss_mb()
    return run


SCAN = "SELECT count(*), sum(principal_outstanding) FROM origination_loan"
FETCH = (
    "SELECT id, farmer_id, program_id, org_node_id, account_manager_id, status, principal_outstanding, "
    "principal_overdue, interest_overdue, disbursed_on, maturity_on, classification FROM origination_loan"
)


def scan() -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(SCAN)
        return int(cursor.fetchone()[0])


def fetch() -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(FETCH)
        return len(cursor.fetchall())


# -- the report -----------------------------------------------------------------------------------------------


def report(runs: list[Run], scan_seconds: float, fetch_seconds: float, loans: int) -> None:
    from postloan.rules import RULES

    a, b, c = runs
    print()
    print("per rule: seconds of _run_rule; of which the query (fired set into a temporary table), the insert")
    print("of new warnings and the update resolving cleared ones; rows fired, raised and cleared")
    header = (
        f"{'rule':<26} {'(a) s':>7} {'query':>7} {'insert':>7} {'resolve':>7} {'fired':>8} {'raised':>8} "
        f"| {'(b) s':>6} | {'(c) s':>6} {'raised':>7} {'cleared':>7}"
    )
    print(header)
    print("-" * len(header))

    def line(label: str, ta: RuleTime, tb: float, tc: float, raised_a: int, raised_c: int, cleared_c: int) -> str:
        return (
            f"{label:<26} {ta.seconds:>7.2f} {ta.query:>7.2f} {ta.insert:>7.2f} {ta.resolve:>7.2f} {ta.fired:>8,} "
            f"{raised_a:>8,} | {tb:>6.2f} | {tc:>6.2f} {raised_c:>7,} {cleared_c:>7,}"
        )

    for rule in RULES:
        code = rule.code
        print(
            line(
                code,
                a.rules.get(code, RuleTime()),
                b.rules.get(code, RuleTime()).seconds,
                c.rules.get(code, RuleTime()).seconds,
                a.raised.get(code, 0),
                c.raised.get(code, 0),
                c.cleared.get(code, 0),
            )
        )
    for name, attribute in [
        ("(shared sets)", "shared_sets"),
        ("(escalation)", "escalation"),
        ("(rule table, commit)", "rest"),
    ]:
        values = [getattr(run, attribute) for run in runs]
        print(f"{name:<26} {values[0]:>7.2f} {'':>41} | {values[1]:>6.2f} | {values[2]:>6.2f}")
    total = RuleTime(
        a.seconds,
        sum(r.query for r in a.rules.values()),
        sum(r.insert for r in a.rules.values()),
        sum(r.resolve for r in a.rules.values()),
        sum(r.fired for r in a.rules.values()),
    )
    print("-" * len(header))
    print(
        line(
            "total",
            total,
            b.seconds,
            c.seconds,
            sum(a.raised.values()),
            sum(c.raised.values()),
            sum(c.cleared.values()),
        )
    )

    print()
    print(
        f"{'case':<66} {'seconds':>8} {'x scan':>7} {'x fetch':>8} {'raised':>8} {'cleared':>8} {'temp MB':>8} "
        f"{'RSS MB':>7}"
    )
    print("-" * 127)
    for run in runs:
        print(
            f"{run.label:<66} {run.seconds:>8.2f} {run.seconds / scan_seconds:>7.1f} "
            f"{run.seconds / fetch_seconds:>8.1f} {sum(run.raised.values()):>8,} {sum(run.cleared.values()):>8,} "
            f"{run.temp_mb:>8.0f} {run.rss_mb:>7.0f}"
        )
    print(f"{'(d) one plain SQL scan of the loans table: count, sum (best of 3)':<66} {scan_seconds:>8.2f} {1:>7.1f}")
    print(
        f"{'(d) the same table fetched to the client, 12 columns (best of 3)':<66} {fetch_seconds:>8.2f} "
        f"{fetch_seconds / scan_seconds:>7.1f} {1:>8.1f}"
    )
    print(f"    {loans:,} active loans; peak RSS is this process's (PostgreSQL's backend is not in it)")


def measure(counts: dict[str, int]) -> bool:
    from origination.models import Loan

    loans = Loan.objects.filter(status=Loan.Status.ACTIVE).count()
    scan()  # warm the cache the way the run finds it

    runs = []
    for label, day in [
        (f"(a) warnings_run({DAY}), cold: empty warning table", DAY),
        (f"(b) warnings_run({DAY}) again: the idempotent re-run", DAY),
        (f"(c) warnings_run({NEXT_DAY}): the next day", NEXT_DAY),
    ]:
        run = warnings_timed(label, day)
        print(
            f"{label}: {run.seconds:.1f} s, raised {sum(run.raised.values()):,}, cleared {sum(run.cleared.values()):,}"
        )
        runs.append(run)
    scan_seconds, _ = cob.best_of(3, scan)
    fetch_seconds, fetched = cob.best_of(3, fetch)
    print(f"(d) scan {scan_seconds:.2f} s, fetch {fetch_seconds:.2f} s ({fetched:,} rows)")
    report(runs, scan_seconds, fetch_seconds, loans)

    a, b, c = runs
    checks = [
        (f"(a) ≤ {TARGET_SECONDS:.0f} s ({a.seconds:.1f} s)", a.seconds <= TARGET_SECONDS),
        (f"(c) ≤ {TARGET_SECONDS:.0f} s ({c.seconds:.1f} s)", c.seconds <= TARGET_SECONDS),
        ("(b) re-run raised and cleared nothing", not any(b.raised.values()) and not any(b.cleared.values())),
        (
            "(a) every rule fired for some subject: "
            + (", ".join(code for code, rule in a.rules.items() if not rule.fired) or "all did"),
            all(rule.fired for rule in a.rules.values()),
        ),
        ("(c) the next day raised and cleared some", any(c.raised.values()) and any(c.cleared.values())),
    ]
    print()
    print("data: " + ", ".join(f"{k} {v:,}" for k, v in counts.items()))
    for label, ok in checks:
        print(f"{'PASS' if ok else 'FAIL'}  {label}")
    return all(ok for _label, ok in checks[:3])


def counts_read() -> dict[str, int]:
    from origination.models import Loan
    from partners.models import Farmer
    from risk.models import MonitoringEvent, TradeRecord

    return {
        "loans": Loan.objects.count(),
        "farmers": Farmer.objects.count(),
        "trade records": TradeRecord.objects.count(),
        "monitoring events": MonitoringEvent.objects.count(),
    }


def load(n: int) -> None:
    """Create, migrate and fill the database (in a child process: see ``main``)."""
    from django.core.management import call_command

    seconds, _ = timed(lambda: call_command("migrate", verbosity=0))
    print(f"migrated in {seconds:.1f} s")
    seconds, counts = timed(lambda: book_build(n))
    print("data: " + ", ".join(f"{k} {v:,}" for k, v in counts.items()))
    print(f"data built in {seconds:.0f} s, peak RSS of the loader {cob.peak_rss_mb():,.0f} MB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("loans", nargs="?", type=int, default=1_000_000)
    reuse = parser.add_mutually_exclusive_group()
    reuse.add_argument("--keep-db", action="store_true", help="leave the benchmark database behind")
    reuse.add_argument("--reuse-db", action="store_true", help="measure a database kept by --keep-db (no load)")
    reuse.add_argument("--load-only", action="store_true", help=argparse.SUPPRESS)  # the loading child
    args = parser.parse_args()
    url = os.environ.setdefault("DATABASE_URL", DEFAULT_DATABASE_URL)
    if not url.startswith(("postgres://", "postgresql://")):
        raise SystemExit("DATABASE_URL must name a PostgreSQL database")
    if args.load_only:
        cob.database_recreate(url)
        cob.setup_django()
        load(args.loans)
        return
    began = time.perf_counter()
    print(f"load average at the start: {' '.join(f'{v:.1f}' for v in os.getloadavg())} ({os.cpu_count()} CPUs)")
    ok = False
    try:
        if not args.reuse_db:
            # The loader (numpy, pandas: gigabytes) runs in a child process, so that the peak RSS
            # shown below is the warning run's.
            subprocess.run([sys.executable, __file__, str(args.loans), "--load-only"], check=True)
        cob.setup_django()
        from django.core.management import call_command

        from postloan.models import Warning, WarningAction

        seconds, _ = timed(lambda: call_command("migrate", verbosity=0))
        print(f"migrations checked in {seconds:.1f} s")
        sql(f"TRUNCATE {WarningAction._meta.db_table}, {Warning._meta.db_table}")
        counts = counts_read()
        seconds = cob.database_settle()
        print(f"VACUUM ANALYZE + CHECKPOINT in {seconds:.1f} s")
        ok = measure(counts)
    finally:
        if not (args.keep_db or args.reuse_db):
            from django.db import connections

            connections.close_all()
            cob.database_recreate(url, drop_only=True)
    print(f"load average at the end: {' '.join(f'{v:.1f}' for v in os.getloadavg())}")
    print(f"\nwhole run: {time.perf_counter() - began:.0f} s")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
