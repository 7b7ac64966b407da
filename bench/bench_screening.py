"""Times batch processing with the screening (准入筛查) against the same processing without it, in one run.

World: ``bench_processing``'s (100,000 recommended farmers in one batch and 2,400,000 provider trade records
of their anchor, 24 orders each) and 1,000,000 provider monitoring events dated across the two years up to
the business date: most on other subjects (people and enterprises the bank does not lend to), 5 % on the
batch's farmers, in a mix of types (litigation, enforcement, dishonest, multi-lender with 1–6 lenders,
overdue elsewhere, abnormal business). The events are loaded with ``COPY`` and their index built after, as a
database that has lived a while would hold them.

Both cases run every chunk of the batch through ``batch_chunk_process`` and finish with
``batch_process_finish``, in this process, one after the other and alternating, ``--repeat`` times each
(3), keeping the fastest:

  (a) baseline: ``screening=False``, cross-validation and limits only, as processing was before screening;
  (b) with screening: the same, plus one query over the events per chunk and the screening rule per row.

It prints both, their ratio against the target (≤ 1.3) and the screening's outcome counts, and exits with
status 1 when the ratio is above the target. Run from the repository root against a database of its own
whose name contains "bench" (dropped and created again, and dropped at the end unless ``--keep-db``):

  SECRET_KEY=... DATABASE_URL=postgres://postgres@127.0.0.1:5432/scf_bench_screening \\
      .venv/bin/python bench/bench_screening.py [FARMERS] [--events N] [--repeat N] [--keep-db]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import benchlib

TARGET_RATIO = 1.3
SUBMISSION = dt.date(2027, 3, 1)  # the samples' submission date, and the business date of processing
SHARE_ON_FARMERS = 0.05  # of the events, those on the batch's farmers
# (type, weight, subject kind): what a provider's monitoring feed carries, roughly.
EVENT_MIX = (
    ("litigation", 25, "person"),
    ("enforcement", 12, "person"),
    ("dishonest", 5, "person"),
    ("multi_lender", 35, "person"),
    ("credit_overdue", 13, "person"),
    ("business_abnormal", 10, "enterprise"),
)


def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("farmers", nargs="?", type=int, default=100_000)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--keep-db", action="store_true")
    return parser.parse_args()


def database_ready(url: str) -> None:
    benchlib.database_recreate(url)
    os.environ.setdefault("MEDIA_ROOT", tempfile.mkdtemp(prefix="bench-screening-media-"))
    benchlib.setup_django()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def load_events(count: int, farmer_hashes: list[str]) -> dict[str, int]:
    """``count`` events straight into the table with COPY, in the mix above; returns how many per type."""
    from core.bulk import copy_rows
    from risk.models import DataProvider, MonitoringEvent, ProviderDelivery

    provider = DataProvider.objects.get(code="bench")
    delivery = ProviderDelivery.objects.create(
        provider=provider, kind="events", channel="file", sha256="1" * 64, business_date=SUBMISSION
    )
    rng = random.Random(20270301)
    kinds = [kind for kind, weight, _subject in EVENT_MIX for _ in range(weight)]
    subject_of = {kind: subject for kind, _weight, subject in EVENT_MIX}
    first_day = SUBMISSION - dt.timedelta(days=730)
    per_type: dict[str, int] = {}
    rows = []
    for number in range(count):
        kind = rng.choice(kinds)
        on_farmer = subject_of[kind] == "person" and rng.random() < SHARE_ON_FARMERS / 0.9
        subject = rng.choice(farmer_hashes) if on_farmer else f"{rng.getrandbits(256):064x}"
        value = (
            rng.randint(1, 6)
            if kind == "multi_lender"
            else (rng.randint(1, 500) * 1000 if rng.random() < 0.5 else None)
        )
        day = first_day + dt.timedelta(days=rng.randrange(731))
        rows.append((provider.pk, f"EV{number:09d}", subject, subject_of[kind], kind, day, value, "", delivery.pk))
        per_type[kind] = per_type.get(kind, 0) + 1
    columns = (
        "provider_id",
        "event_id",
        "subject_hash",
        "subject_kind",
        "event_type",
        "event_date",
        "value",
        "detail",
        "delivery_id",
    )
    table = MonitoringEvent._meta.db_table
    with benchlib.bulk_load_mode([table]):
        copy_rows(table, columns, rows)
    return per_type


def process(batch_id: int, manager_id: int, *, screening: bool) -> float:
    """Every chunk of the batch, then the finishing step, in this process; seconds."""
    from origination.models import Batch
    from origination.services.processing import batch_chunk_process, batch_process_finish, batch_process_start
    from partners.models import User

    manager = User.objects.get(pk=manager_id)
    # Each run starts from a vacuumed row table, as a batch's first processing does: the runs before it
    # left a dead version of every row, which would slow the later runs whatever they compute.
    benchlib.database_settle(checkpoint=True)
    began = time.perf_counter()
    for chunk in batch_process_start(batch=Batch.objects.get(pk=batch_id), actor=manager):
        batch_chunk_process(chunk, screening=screening)
    batch_process_finish(batch_id=batch_id, actor=manager)
    return time.perf_counter() - began


def screening_queries_alone(batch_id: int) -> float:
    """The event queries of every chunk, without the rest of processing (where the extra time goes)."""
    from django.db.models import Max, Min

    from core.business_date import business_date_get
    from origination.models import Batch, BatchRow
    from origination.screening import chunk_event_hits, screening_window
    from origination.services.processing import CHUNK_ROWS

    batch = Batch.objects.select_related("program").get(pk=batch_id)
    bounds = BatchRow.objects.filter(batch=batch).aggregate(low=Min("id"), high=Max("id"))
    window = screening_window(business_date_get(), batch.program.screening_lookback_days)
    began = time.perf_counter()
    for low in range(bounds["low"], bounds["high"] + 1, CHUNK_ROWS):
        chunk_event_hits(
            batch_id=batch_id,
            first_row_id=low,
            last_row_id=min(low + CHUNK_ROWS - 1, bounds["high"]),
            window=window,
            review_count=batch.program.multi_lender_review_count,
        )
    return time.perf_counter() - began


def main() -> None:
    args = parse()
    url = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/scf_bench_screening")
    os.environ["DATABASE_URL"] = url
    database_ready(url)
    import bench_processing  # its world and trade loader: the same batch it times

    out = Path(tempfile.mkdtemp(prefix="bench-screening-"))
    subprocess.run(
        [sys.executable, str(bench_processing.MAKE_SAMPLES), str(out), str(args.farmers)],
        check=True,
        capture_output=True,
    )
    load_began = time.perf_counter()
    anchor, batch, manager = bench_processing.world(args.farmers, out)
    trades = bench_processing.load_trades(anchor.pk, out / "provider_trades.csv")
    from django.db.models import Count

    from origination.models import BatchRow

    hashes = list(BatchRow.objects.filter(batch=batch).values_list("id_hash", flat=True))
    per_type = load_events(args.events, hashes)
    benchlib.database_settle()
    print(f"loaded in {time.perf_counter() - load_began:.0f} s", flush=True)

    process(batch.pk, manager.pk, screening=True)  # warm-up: caches, plans, the first processing's status change
    baseline, screened = [], []
    for _ in range(args.repeat):
        baseline.append(process(batch.pk, manager.pk, screening=False))
        screened.append(process(batch.pk, manager.pk, screening=True))
    queries = min(screening_queries_alone(batch.pk) for _ in range(args.repeat))
    outcome = dict(BatchRow.objects.filter(batch=batch).values_list("screening").annotate(n=Count("id")).order_by())
    rows = batch.rows_valid
    best_base, best_screened = min(baseline), min(screened)
    ratio = best_screened / best_base
    print(
        f"\nbatch processing with screening on PostgreSQL: {rows:,} farmers, {trades:,} trade records, "
        f"{args.events:,} monitoring events {dict(sorted(per_type.items()))}"
    )
    print(f"screening outcomes: {outcome}; best of {args.repeat}, alternating")
    print(f"{'case':<44}{'seconds':>10}{'farmers/s':>12}{'ratio':>8}")
    print(f"{'(a) processing without screening (baseline)':<44}{best_base:>10.2f}{rows / best_base:>12,.0f}{1:>8.2f}")
    print(f"{'(b) processing with screening':<44}{best_screened:>10.2f}{rows / best_screened:>12,.0f}{ratio:>8.2f}")
    print(f"{'    of which the event queries alone':<44}{queries:>10.2f}")
    verdict = "PASS" if ratio <= TARGET_RATIO else "FAIL"
    print(f"target: (b) within {TARGET_RATIO}× (a): {verdict} ({ratio:.2f}×)")
    print(f"all runs, s: baseline {[round(s, 2) for s in baseline]}, screening {[round(s, 2) for s in screened]}")
    print(f"peak memory {benchlib.peak_rss_mb():,.0f} MB")
    if not args.keep_db:
        from django.db import connections

        connections.close_all()
        benchlib.database_recreate(url, drop_only=True)
    if verdict == "FAIL":
        sys.exit(1)


if __name__ == "__main__":
    main()
