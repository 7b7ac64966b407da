"""Times the daily warning run (每日预警, all 21 rules) on PostgreSQL over 1,000,000 active loans.

The book is built the way production builds it where rows are few (org nodes,
users, five approved anchors and ten programmes through the real services,
margin entries and quarterly reviews) and generated in SQL where they are many,
deterministically (``hashint8`` of the row id). What it holds on the evening of
17 June 2027 (business date 18 June):

* ``LOANS − LOANS // 200`` farmers (well-formed resident ID numbers, keyed
  hash as the application computes it, 20 regions), each with one credit
  limit (1–1.5 × the drawdown, 12 months; those past their expiry expired)
  and one loan disbursed in the previous 11 months (10,000–2,000,000,
  log-uniform; 3–12 months), ten programmes over five anchors, 20 % of the
  loans in the two programmes of a troubled anchor;
* ``LOANS // 200`` second loans a month after the first, on the same limit, so
  that some farmers have two (``LOANS`` active loans in all);
* about 3 % of the loans (troubled programmes) with interest unpaid since a
  20th from February to May, 2.5 % past maturity with principal and interest
  overdue (half this June, half earlier this year in the troubled
  programmes), classified by days past due (some non-performing); a
  compensation demand for each (a claim when raised before the last month
  end); the troubled anchor's margin deducted to nothing;
* post-drawdown checks for about 90 % of the loans (both kinds missing for
  ~10 %, the phone callback for another ~2 %, none yet for the last days);
* provider trade records of every first-loan borrower with the anchor of his
  programme: one order in each 15-day slot from 5 October 2026 to 16 June
  2027 (17 slots, 1 in 20 skipped: ~16 per farmer, about 16 million rows,
  written slot by slot as monthly deliveries would), amounts around an eighth
  of the principal; 1 % of the farmers' orders fall to a fifth from May
  (ORDERS_DROP), 1 % stopped 61–100 days ago (ORDERS_STOPPED), and the slot
  dates leave others on either side of the lines;
* monitoring events on 2 % of the farmers (litigation, enforcement,
  dishonest, multi-lender with 1–6 lenders, credit overdue; dated over the
  last 400 days), 100,000 on people who are not customers, three on anchors;
* four outbreaks: two in the farmers' regions within 90 days (one exactly 90
  days before the 18th, so it clears on the 19th), one older, one in a
  region without farmers;
* a Q1 2027 review of four anchors (one with a falling capacity).

Left out because no rule reads them: the loans' ledger entries and amounts
due (the balance columns are set directly), repayments, anchor-farmer links.
The loader runs in a child process (numpy, gigabytes of it), so that the peak
RSS shown is the measuring process's. Then ``VACUUM ANALYZE`` and a
checkpoint, and in one run:

  (a) ``postloan.warning_run.warnings_run(18 June)`` on an empty warning table
      (cold: it raises everything the book holds);
  (b) the same day again: the idempotent re-run (raises and clears nothing;
      a date run again is looked at whole);
  (c) the next day, 19 June (a few raised, a few cleared): the daily case,
      where the rules with ``changed_subjects`` look only at what changed;
  (d) the baseline: one plain SQL scan of the loans table, aggregated on the
      server (``count(*), sum(principal_outstanding)``) and fetched in full
      to the client (the columns the rules read); best of three each.

Per-rule times come from wrapping ``postloan.warning_run._rule_evaluate``; each of its
statements is timed with ``connection.execute_wrapper`` and split into the
rule's query (its scope, where it has one, and its fired set written to the
temporary table), the insert of
new warnings and the update that resolves cleared ones. Outside the rules: the
shared sets the engine computes once per run (if it has them), escalation, and
the rest (the rule table, the commit). PostgreSQL's temporary-file bytes
(sorts and hashes spilled past ``work_mem``) are shown per run; peak RSS is
this process's (PostgreSQL's backend is not in it).

The database named in ``DATABASE_URL`` is dropped and created again at the
start and dropped at the end (unless ``--keep-db``); its name must contain
"bench". ``--reuse-db`` measures a database kept by an earlier run (migrated
again, warnings emptied) without loading it. Run from the repository root::

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/scf_bench_warn \\
        .venv/bin/python bench/bench_warnings.py [LOANS] [--keep-db | --reuse-db]
"""

from __future__ import annotations

import argparse
import datetime as dt
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

import numpy as np
import pandas as pd
from benchlib import (
    LendingWorld,
    best_of,
    bulk_load_mode,
    database_recreate,
    database_settle,
    lending_world_create,
    peak_rss_mb,
    setup_django,
    sql,
    timed,
)

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/scf_bench_warn"
PASSWORD = "Bench#2027-warnings"  # noqa: S105 - users of a throw-away database

BUILT_ON = dt.date(2026, 6, 1)  # anchors, programmes and margin exist before the first limit
DAY = dt.date(2027, 6, 18)  # the business date of the loaded book: (a) and (b)
NEXT_DAY = DAY + dt.timedelta(days=1)  # (c)
WINDOW_DAYS = 334  # loans disbursed over the 11 months before DAY
LAST_MONTH_END = dt.date(2027, 5, 31)  # demands raised by then found no margin: claims
TRADE_FROM = dt.date(2026, 10, 5)  # first 15-day slot of the trade history
TRADE_SLOTS = 17  # through 16 June 2027
NOISE_EVENTS = 100_000
TARGET_SECONDS = 60.0

SHARE_TROUBLED = 0.20  # of the loans, in the troubled anchor's two programmes
SHARE_MATURED = 0.025  # past maturity, principal overdue
SHARE_INTEREST_OVERDUE = 0.03
MARGIN_HEADROOM = Decimal("0.07")  # healthy programmes keep 7 % of outstanding (5 % required)
REGIONS = np.array(
    ["510104", "510105", "510106", "510107", "510108", "510112", "510113", "510114", "510115", "510116",
     "510117", "510118", "510121", "510129", "510131", "510181", "510182", "510183", "510184", "511521"]
)  # fmt: skip
ID_WEIGHTS = np.array([7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2])
ID_CHECKS = np.array(list("10X98765432"))


# -- the world: few rows, through the real services -----------------------------------------------------------


@dataclass
class World(LendingWorld):
    troubled: list[int]  # the troubled anchor's programmes (ids)


def world_create() -> World:
    from core.business_date import business_date_set

    business_date_set(new_date=BUILT_ON, backwards_allowed=True)
    world = lending_world_create("W", "warn", PASSWORD, leader=True)
    return World(**vars(world), troubled=world.programs[8:])


# -- the book: many rows, generated in SQL ---------------------------------------------------------------------


def id_numbers(n: int) -> np.ndarray:
    """Distinct, well-formed resident ID numbers (GB 11643 check character), born 1962–1997."""
    i = np.arange(n)
    born = np.datetime64("1962-01-01") + ((i // len(REGIONS)) % 13_000).astype("timedelta64[D]")
    birth = np.char.replace(np.datetime_as_string(born, unit="D"), "-", "")
    sequence = np.char.zfill((100 + (i // (len(REGIONS) * 13_000)) * 2 + i % 2).astype(str), 3)
    body = np.char.add(np.char.add(REGIONS[i % len(REGIONS)], birth), sequence)
    digits = np.frombuffer(body.astype("S17").tobytes(), dtype=np.uint8).reshape(n, 17) - ord("0")
    return np.char.add(body, ID_CHECKS[(digits @ ID_WEIGHTS) % 11])


def u(salt: int, column: str = "id") -> str:
    """SQL for a deterministic uniform number in [0, 1) per row."""
    return f"((hashint8({column} * 64 + {salt})::bigint & 2147483647) / 2147483648.0)"


def farmers_load(world: World, n: int) -> None:
    """Identity numbers and their keyed hashes come from Python; everything else is derived in SQL."""
    from core.bulk import copy_frame
    from core.masking import pii_hash
    from partners.models import Farmer

    numbers = id_numbers(n)
    sql("CREATE TEMPORARY TABLE bench_identity (id bigint, id_number varchar(18), id_hash varchar(64))")
    frame = pd.DataFrame(
        {"id": np.arange(1, n + 1), "id_number": numbers.astype(object), "id_hash": [pii_hash(v) for v in numbers]}
    )
    copy_frame("bench_identity", frame)
    del frame, numbers
    outlets = "ARRAY[" + ", ".join(map(str, world.outlets)) + "]"
    managers = "ARRAY[" + ", ".join(map(str, world.managers)) + "]"
    sql(
        f"INSERT INTO {Farmer._meta.db_table} (id, name, id_number, id_hash, id_masked, birth_date, phone, "
        "region_code, breed, org_node_id, account_manager_id, created_at, updated_at) "
        "SELECT id, (ARRAY['王', '李', '张', '刘', '陈', '杨', '黄', '赵', '吴', '周'])[1 + id %% 10] "
        "  || (ARRAY['伟', '芳', '娜', '敏', '静', '强', '磊', '军', '洋', '勇', '艳', '杰'])[1 + (id / 10) %% 12], "
        "  id_number, id_hash, left(id_number, 4) || repeat('*', 10) || right(id_number, 4), "
        "  to_date(substr(id_number, 7, 8), 'YYYYMMDD'), '13' || lpad((hashint8(id) & 999999999)::text, 9, '0'), "
        f"  left(id_number, 6), '生猪', ({outlets})[1 + id %% 4], ({managers})[1 + id %% 4], now(), now() "
        "FROM bench_identity ORDER BY id"
    )
    sql("DROP TABLE bench_identity")


def loans_stage(world: World, n: int) -> None:
    """One row per first loan (id = farmer = limit): its programme, amounts and dates, in a temporary table."""
    programs = "ARRAY[" + ", ".join(map(str, world.programs)) + "]"
    healthy = len(world.programs) - len(world.troubled)
    half = SHARE_MATURED / 2
    sql(
        "CREATE TEMPORARY TABLE bench_loan AS "
        "SELECT id, program_id, principal, term, kind, disbursed, maturity FROM ("
        "  SELECT id, principal, term, kind, "
        f"   ({programs})[CASE WHEN kind = 3 OR {u(1)} < %(troubled)s THEN {healthy + 1} + id %% 2 "
        f"     ELSE 1 + floor({u(2)} * {healthy})::int END] AS program_id, "
        "    CASE kind WHEN 0 THEN %(day)s::date - 1 - floor(u6 * LEAST(28 * term, %(window)s))::int "
        "      ELSE (maturity - make_interval(months => term))::date END AS disbursed, maturity "
        "  FROM (SELECT id, term, kind, u6, "
        f"      CAST(ROUND(exp(ln(10000) + {u(3)} * ln(200)) / 1000) * 1000 AS numeric(18, 2)) AS principal, "
        "      CASE kind WHEN 2 THEN %(day)s::date - 1 - floor(u6 * 17)::int "
        "        WHEN 3 THEN DATE '2027-01-01' + floor(u6 * 151)::int END AS maturity "
        f"    FROM (SELECT id, 3 + floor({u(4)} * 10)::int AS term, {u(6)} AS u6, "
        f"        CASE WHEN {u(5)} < %(half)s THEN 2 WHEN {u(5)} < %(matured)s THEN 3 ELSE 0 END AS kind "
        "      FROM generate_series(1, %(n)s) id) g) p) q",
        {"troubled": SHARE_TROUBLED, "day": DAY, "window": WINDOW_DAYS, "half": half, "matured": SHARE_MATURED, "n": n},
    )
    # Performing loans mature after DAY (28 days a month is always short of a month).
    sql("UPDATE bench_loan SET maturity = (disbursed + make_interval(months => term))::date WHERE kind = 0")
    # Unpaid interest since a 20th from February to May: troubled programmes, disbursed before that 20th.
    troubled = ", ".join(map(str, world.troubled))
    share = SHARE_INTEREST_OVERDUE / (SHARE_TROUBLED * (1 - SHARE_MATURED))
    sql(
        "ALTER TABLE bench_loan ADD COLUMN oldest_due date; "
        "UPDATE bench_loan SET kind = 1, oldest_due = due FROM (SELECT id AS due_id, "
        f"  (ARRAY[DATE '2027-05-20', DATE '2027-04-20', DATE '2027-03-20', DATE '2027-02-20'])"
        f"  [CASE WHEN {u(8)} < 0.4 THEN 1 WHEN {u(8)} < 0.65 THEN 2 WHEN {u(8)} < 0.85 THEN 3 ELSE 4 END] AS due "
        f"  FROM bench_loan WHERE kind = 0 AND program_id IN ({troubled}) AND {u(7)} < %(share)s) d "
        "WHERE id = due_id AND disbursed < due; "
        "UPDATE bench_loan SET oldest_due = maturity WHERE kind IN (2, 3)",
        {"share": share},
    )
    sql("ALTER TABLE bench_loan ADD PRIMARY KEY (id)")


def book_load(world: World, n: int) -> dict[str, float]:
    """Limits, loans, demands, checks from the staged loans; the margin through the ORM."""
    from django.db.models import Sum

    from origination.models import CompensationDemand, CreditLimit, Loan
    from partners.models import Farmer, MarginEntry, Program
    from postloan.models import PostDrawdownCheck

    timings: dict[str, float] = {}
    start = time.perf_counter()
    loans_stage(world, n)
    timings["stage"] = time.perf_counter() - start
    tables = [model._meta.db_table for model in (CreditLimit, Loan, CompensationDemand, PostDrawdownCheck)]
    with bulk_load_mode(tables):
        start = time.perf_counter()
        sql(
            f"INSERT INTO {CreditLimit._meta.db_table} (id, farmer_id, org_node_id, program_id, amount, approved_on, "
            "expires_on, approved_by_id, status, created_at, updated_at) "
            f"SELECT id, id, (SELECT f.org_node_id FROM {Farmer._meta.db_table} f WHERE f.id = b.id), "
            "program_id, LEAST(CEIL(principal * (1 + 0.5 * "
            f"{u(9)}) / 10000) * 10000, 2000000), approved, expires, %(approver)s, "
            "CASE WHEN expires <= %(day)s THEN 'expired' ELSE 'active' END, now(), now() "
            f"FROM (SELECT *, (approved + interval '12 months')::date AS expires FROM (SELECT *, "
            f"  disbursed - floor({u(10)} * 31)::int AS approved FROM bench_loan) a) b ORDER BY id",
            {"approver": world.approver_id, "day": DAY},
        )
        timings["limits"] = time.perf_counter() - start
        start = time.perf_counter()
        outlets = "ARRAY[" + ", ".join(map(str, world.outlets)) + "]"
        managers = "ARRAY[" + ", ".join(map(str, world.managers)) + "]"
        # Days past due → class (risk.classification.DPD_BANDS); 0.1 % lowered by a person.
        sql(
            f"INSERT INTO {Loan._meta.db_table} (id, credit_limit_id, farmer_id, program_id, org_node_id, "
            "account_manager_id, principal, annual_rate, penalty_markup, term_months, disbursed_on, maturity_on, "
            "status, principal_outstanding, principal_overdue, interest_base, accrued_through, penalty_base, "
            "penalty_through, interest_due, interest_overdue, penalty_due, compensated, oldest_due_date, "
            "shadow_oldest_due_date, classification, manual_classification, created_at, updated_at) "
            f"SELECT l.id, l.id, l.id, l.program_id, ({outlets})[1 + l.id %% 4], ({managers})[1 + l.id %% 4], "
            "l.principal, p.annual_rate, 0.5, l.term, l.disbursed, l.maturity, 'active', l.principal, "
            "CASE WHEN l.kind >= 2 THEN l.principal ELSE 0 END, 0, "
            "LEAST(l.maturity, GREATEST(l.disbursed - 1, DATE '2027-05-20')), 0, "
            "CASE WHEN l.kind >= 2 THEN l.maturity END, 0, "
            "CASE WHEN l.oldest_due IS NULL THEN 0 "
            "  ELSE ROUND(l.principal * p.annual_rate * GREATEST(%(day)s::date - l.oldest_due, 30) / 360, 2) END, "
            "0, 0, l.oldest_due, l.oldest_due, "
            "CASE WHEN l.oldest_due IS NULL THEN (CASE WHEN l.id %% 1000 = 7 THEN 'special_mention' ELSE 'normal' END) "
            "  WHEN %(day)s::date - l.oldest_due <= 90 THEN 'special_mention' "
            "  WHEN %(day)s::date - l.oldest_due <= 270 THEN 'substandard' "
            "  WHEN %(day)s::date - l.oldest_due <= 360 THEN 'doubtful' ELSE 'loss' END, "
            "CASE WHEN l.oldest_due IS NULL AND l.id %% 1000 = 7 THEN 'special_mention' ELSE '' END, now(), now() "
            f"FROM bench_loan l JOIN {Program._meta.db_table} p ON p.id = l.program_id ORDER BY l.id",
            {"day": DAY},
        )
        timings["loans"] = time.perf_counter() - start
        start = time.perf_counter()
        # Each unpaid amount raised a demand; raised by the last month end, no margin was left: a claim.
        sql(
            f"INSERT INTO {CompensationDemand._meta.db_table} (loan_id, program_id, raised_on, amount, compensated, "
            "unrecovered, status, settled_on) "
            "SELECT id, program_id, oldest_due_date, interest_overdue + principal_overdue, 0, "
            "CASE WHEN oldest_due_date <= %(month_end)s THEN interest_overdue + principal_overdue ELSE 0 END, "
            "CASE WHEN oldest_due_date <= %(month_end)s THEN 'claim' ELSE 'open' END, NULL "
            f"FROM {Loan._meta.db_table} WHERE oldest_due_date IS NOT NULL ORDER BY id",
            {"month_end": LAST_MONTH_END},
        )
        timings["demands"] = time.perf_counter() - start
        start = time.perf_counter()
        # The account manager checked the trade records and called back within a week — except for
        # ~10 % of the loans (neither) and another ~2 % (no callback).
        sql(
            f"INSERT INTO {PostDrawdownCheck._meta.db_table} (loan_id, kind, result, note, done_on, actor_id, "
            "created_at) "
            "SELECT l.id, k.kind, 'ok', '', l.disbursed_on + 1 + CAST((l.id + k.shift) %% 6 AS integer), "
            f"l.account_manager_id, now() FROM {Loan._meta.db_table} l "
            "CROSS JOIN (VALUES ('trade_authenticity', 0), ('phone_callback', 3)) k(kind, shift) "
            "WHERE l.disbursed_on + 1 + CAST((l.id + k.shift) %% 6 AS integer) < %(day)s "
            "AND (l.id * 7) %% 10 <> 3 AND NOT (k.kind = 'phone_callback' AND l.id %% 50 = 1) ORDER BY 5, 1",
            {"day": DAY},
        )
        timings["checks"] = time.perf_counter() - start
        start = time.perf_counter()
    for model in (CreditLimit, Loan, CompensationDemand, PostDrawdownCheck):
        table = model._meta.db_table
        sql(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT MAX(id) FROM {table}))")
    sql("DROP TABLE bench_loan")
    timings["indexes"] = time.perf_counter() - start

    # Margin: 7 % of the outstanding deposited; the troubled anchor's deducted to nothing by 31 May.
    outstanding = dict(Loan.objects.values_list("program_id").annotate(total=Sum("principal_outstanding")).order_by())
    entries = []
    for program_id in world.programs:
        amount = (outstanding.get(program_id, Decimal(0)) * MARGIN_HEADROOM).quantize(Decimal("1")) + 1
        entries.append(
            MarginEntry(program_id=program_id, kind="deposit", status="posted", amount=amount, business_date=BUILT_ON)
        )
        if program_id in world.troubled:
            entries.append(
                MarginEntry(
                    program_id=program_id,
                    kind="deduction",
                    status="posted",
                    amount=amount,
                    business_date=LAST_MONTH_END,
                )
            )
    MarginEntry.objects.bulk_create(entries)
    return timings


def second_loans(n_farmers: int, extra: int) -> int:
    """``extra`` farmers in good standing drew a second loan a month after the first, on the same limit."""
    from origination.models import Loan
    from postloan.models import PostDrawdownCheck

    loan, check = Loan._meta.db_table, PostDrawdownCheck._meta.db_table
    derived = {"id", "principal", "principal_outstanding", "disbursed_on", "maturity_on", "accrued_through"}
    columns = [f.column for f in Loan._meta.concrete_fields if f.column not in derived]
    rows = sql(
        f"INSERT INTO {loan} (id, principal, principal_outstanding, disbursed_on, maturity_on, accrued_through, "
        f"{', '.join(columns)}) "
        "SELECT %(after)s + ROW_NUMBER() OVER (ORDER BY l.id), half, half, d, "
        "(d + make_interval(months => l.term_months))::date, d - 1, "
        + ", ".join(f"l.{c}" for c in columns)
        + " FROM (SELECT l.*, GREATEST(ROUND(l.principal / 2, -3), 1000) AS half, "
        "LEAST(l.disbursed_on + 30, %(day)s::date - 1) AS d "
        f"FROM {loan} l WHERE l.principal_overdue = 0 AND l.oldest_due_date IS NULL "
        "ORDER BY hashint8(l.id), l.id LIMIT %(extra)s) l",
        {"after": n_farmers, "day": DAY, "extra": extra},
    )
    sql(
        f"INSERT INTO {check} (loan_id, kind, result, note, done_on, actor_id, created_at) "
        "SELECT l.id, k.kind, 'ok', '', l.disbursed_on + 2, l.account_manager_id, now() "
        f"FROM {loan} l CROSS JOIN (VALUES ('trade_authenticity'), ('phone_callback')) k(kind) "
        "WHERE l.id > %(after)s AND l.disbursed_on + 2 < %(day)s",
        {"after": n_farmers, "day": DAY},
    )
    sql(f"SELECT setval(pg_get_serial_sequence('{loan}', 'id'), (SELECT MAX(id) FROM {loan}))")
    return rows


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


def trades_load(n_farmers: int, deliveries: dict[int, int]) -> int:
    """~16 orders per first-loan borrower over 8 months with his programme's anchor, generated in SQL.

    One statement per 15-day slot, so that the rows lie in the table roughly by date, the way
    the monthly deliveries write them.
    """
    from origination.models import Loan
    from partners.models import Farmer, Program
    from risk.models import TradeRecord

    trade = TradeRecord._meta.db_table
    cases = " ".join(f"WHEN {anchor} THEN {delivery}" for anchor, delivery in deliveries.items())
    rows = 0
    with bulk_load_mode([trade]):
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
    types = "ARRAY['litigation', 'enforcement', 'dishonest', 'multi_lender', 'credit_overdue']"
    params = {"provider": provider_id, "today": DAY, "delivery": delivery_id, "noise": NOISE_EVENTS}
    rows = sql(
        f"INSERT INTO {event} ({columns}) "
        "SELECT %(provider)s, 'EF' || lpad(f.id::text, 9, '0'), f.id_hash, 'person', t.type, "
        "  %(today)s::date - CAST((f.id * 37) %% 400 AS integer), "
        "  CASE WHEN t.type = 'multi_lender' THEN 1 + (f.id / 250) %% 6 END, '', %(delivery)s "
        f"FROM {Farmer._meta.db_table} f CROSS JOIN LATERAL (SELECT ({types})[1 + (f.id / 50) %% 5] AS type) t "
        "WHERE f.id %% 50 = 1",
        params,
    )
    rows += sql(
        f"INSERT INTO {event} ({columns}) "
        "SELECT %(provider)s, 'EN' || lpad(i::text, 9, '0'), md5(i::text) || md5((-i)::text), 'person', "
        f"  ({types})[1 + i %% 5], %(today)s::date - (i * 37) %% 400, "
        "  CASE WHEN i %% 5 = 3 THEN 1 + i %% 6 END, '', %(delivery)s "
        "FROM generate_series(1, %(noise)s) i",
        params,
    )
    anchors = list(Anchor.objects.order_by("id").values_list("uscc", flat=True))
    for number, (index, event_type, days) in enumerate(
        [(1, "business_abnormal", 20), (3, "litigation", 400), (3, "multi_lender", 10)]
    ):
        on = DAY - dt.timedelta(days=days)
        rows += sql(
            f"INSERT INTO {event} ({columns}) VALUES (%s, %s, %s, 'enterprise', %s, %s, NULL, '', %s)",
            [provider_id, f"EA{number}", pii_hash(anchors[index]), event_type, on, delivery_id],
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
    world = world_create()
    extra = n // 200
    n_farmers = n - extra
    seconds, _ = timed(lambda: farmers_load(world, n_farmers))
    print(f"{n_farmers:,} farmers in {seconds:.1f} s")
    seconds, timings = timed(lambda: book_load(world, n_farmers))
    print(
        f"limits, loans, demands, checks in {seconds:.1f} s: " + ", ".join(f"{k} {v:.1f} s" for k, v in timings.items())
    )
    business_date_set(new_date=DAY, backwards_allowed=False)
    reviews_add(world.approver_id)
    seconds, counts["second loans"] = timed(lambda: second_loans(n_farmers, extra))
    print(f"{counts['second loans']:,} second loans in {seconds:.1f} s")
    provider_id, deliveries, events_delivery = provider_create()
    seconds, counts["trade records"] = timed(lambda: trades_load(n_farmers, deliveries))
    print(f"{counts['trade records']:,} trade records loaded and indexed in {seconds:.1f} s")
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
    """Times ``_rule_evaluate`` per rule and each of its statements (query, insert, resolve), and the rest."""

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
        elif head.startswith("INSERT INTO WARNING_SCOPE"):
            rule.query += elapsed  # what the rule looks at, on a day it looks only at what changed
        elif head.startswith("INSERT INTO POSTLOAN_WARNING "):
            rule.insert += elapsed
        elif head.startswith("UPDATE POSTLOAN_WARNING "):
            rule.resolve += elapsed
        return result

    @contextmanager
    def installed(self) -> Iterator[None]:
        from django.db import connection

        from postloan import warning_run

        run_rule, escalate = warning_run._rule_evaluate, warning_run.escalate

        def run_rule_timed(rule: Any, today: dt.date, summary: Any, *, full: bool) -> None:
            self.current = current = self.run.rules.setdefault(rule.code, RuleTime())
            start = time.perf_counter()
            try:
                run_rule(rule, today, summary, full=full)
            finally:
                current.seconds += time.perf_counter() - start
                self.current = None

        def escalate_timed(today: dt.date) -> int:
            seconds, count = timed(lambda: escalate(today))
            self.run.escalation += seconds
            return int(count)

        warning_run._rule_evaluate, warning_run.escalate = run_rule_timed, escalate_timed  # type: ignore[assignment]
        try:
            with connection.execute_wrapper(self.statement):
                yield
        finally:
            warning_run._rule_evaluate, warning_run.escalate = run_rule, escalate  # type: ignore[assignment]


def temp_bytes() -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_force_next_flush()")
        cursor.execute("SELECT temp_bytes FROM pg_stat_database WHERE datname = current_database()")
        return int(cursor.fetchone()[0])


def warnings_timed(label: str, day: dt.date) -> Run:
    from postloan.warning_run import warnings_run

    run = Run(label, day)
    before = temp_bytes()
    with Probe(run).installed():
        run.seconds, summary = timed(lambda: warnings_run(day))
    time.sleep(0.6)  # let the statistics see the backend's temporary files
    run.temp_mb = (temp_bytes() - before) / 2**20
    run.rest = run.seconds - sum(r.seconds for r in run.rules.values()) - run.shared_sets - run.escalation
    run.raised, run.cleared, run.escalated = summary.raised, summary.cleared, summary.escalated
    run.rss_mb = peak_rss_mb()
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
    print("per rule: seconds of _rule_evaluate; of which the query (fired set into a temporary table), the insert")
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
    scan_seconds, _ = best_of(3, scan)
    fetch_seconds, fetched = best_of(3, fetch)
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
    print(f"data built in {seconds:.0f} s, peak RSS of the loader {peak_rss_mb():,.0f} MB")


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
        database_recreate(url)
        setup_django()
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
        setup_django()
        from django.core.management import call_command

        from postloan.models import RiskWarning, WarningAction

        seconds, _ = timed(lambda: call_command("migrate", verbosity=0))
        print(f"migrations checked in {seconds:.1f} s")
        sql(f"TRUNCATE {WarningAction._meta.db_table}, {RiskWarning._meta.db_table}")
        counts = counts_read()
        seconds = database_settle()
        print(f"VACUUM ANALYZE + CHECKPOINT in {seconds:.1f} s")
        ok = measure(counts)
    finally:
        if not (args.keep_db or args.reuse_db):
            from django.conf import settings

            if settings.configured:
                from django.db import connections

                connections.close_all()
            database_recreate(url, drop_only=True)
    print(f"load average at the end: {' '.join(f'{v:.1f}' for v in os.getloadavg())}")
    print(f"\nwhole run: {time.perf_counter() - began:.0f} s")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
