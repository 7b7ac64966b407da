"""Times batch processing (cross-validation and limits) on PostgreSQL against a naive per-farmer loop.

World: 100,000 recommended farmers (one batch) and 2,400,000 provider trade records of their
anchor (24 orders each: the samples' 12 a year, and 12 more two weeks apart, all inside the
12-month window). In the same run:

  (a) ``batch_process_dispatch``: the chunked, set-based processing (one aggregate query and one
      bulk update per chunk of 20,000 rows), end to end, then once more (re-running is safe);
  (b) the naive way: per farmer, an ORM query summing his orders, the pure limit functions and a
      ``save()`` of the row, timed on a 2,000-row sample and scaled to the batch.

Run from the repository root against a database of its own (dropped and created again):

  DATABASE_URL=postgres://postgres@127.0.0.1:5432/scf_bench_proc .venv/bin/python bench/bench_processing.py [FARMERS]
"""

from __future__ import annotations

import csv
import datetime as dt
import os
import resource
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MAKE_SAMPLES = ROOT / "samples" / "make_samples.py"
SAMPLE_ROWS = 2_000
TARGET_SECONDS = 30.0
SUBMISSION = dt.date(2027, 3, 1)  # the samples' submission date


def setup_django() -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("MEDIA_ROOT", tempfile.mkdtemp(prefix="bench-proc-media-"))
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        sys.exit("Set DATABASE_URL to a PostgreSQL database of its own (it is dropped and created).")
    import psycopg2

    name = url.rsplit("/", 1)[1]
    admin = psycopg2.connect(url.rsplit("/", 1)[0] + "/postgres")
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')
        cursor.execute(f'CREATE DATABASE "{name}"')
    admin.close()
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def world(farmers: int, out: Path):  # type: ignore[no-untyped-def]
    from core.business_date import business_date_set
    from core.roles import Role
    from origination.services.intake import Upload, batch_upload
    from partners.models import OrgNode
    from partners.services.anchors import anchor_approve, anchor_create
    from partners.services.org import org_node_create, user_create
    from partners.services.programs import program_create

    business_date_set(new_date=SUBMISSION, backwards_allowed=True)
    branch = org_node_create(code="B", name="分行", kind=OrgNode.Kind.BRANCH)
    manager = user_create(username="m", password="x", role=Role.ACCOUNT_MANAGER, org_node=branch)  # noqa: S106
    approver = user_create(username="a", password="x", role=Role.RISK_APPROVER, org_node=branch)  # noqa: S106
    from stdnum.cn import uscc

    anchor = anchor_create(
        actor=manager,
        name="特驱",
        uscc="91510100MA6CX0001" + uscc.calc_check_digit("91510100MA6CX0001"),
        guarantee_capacity=Decimal("1e10"),
        org_node=branch,
    )
    anchor_approve(anchor=anchor, actor=approver)
    program = program_create(actor=approver, anchor=anchor, name="bench", annual_rate=Decimal("0.0435"))
    from django.conf import settings

    settings.UPLOAD_MAX_ROWS = max(settings.UPLOAD_MAX_ROWS, farmers + 10)
    settings.UPLOAD_MAX_BYTES = max(settings.UPLOAD_MAX_BYTES, 200 * 1024 * 1024)
    content = (out / "farmer_list_gbk.csv").read_bytes()
    batch = batch_upload(program=program, actor=manager, farmer_list=Upload(content, "farmers.csv"))
    return anchor, batch, manager


def load_trades(anchor_id: int, path: Path) -> int:
    """The samples' orders as 2 records each, straight into the table with COPY (the import is another bench)."""
    from core.bulk import copy_rows
    from core.masking import pii_hash
    from risk.models import DataProvider, ProviderDelivery, TradeRecord

    provider = DataProvider.objects.create(code="bench", name="bench", secret="s" * 64, is_default=True)
    delivery = ProviderDelivery.objects.create(
        provider=provider, kind="trades", channel="file", anchor_id=anchor_id, sha256="0" * 64, business_date=SUBMISSION
    )
    hashes: dict[str, str] = {}
    rows = []
    with path.open(encoding="utf-8-sig") as handle:
        reader = csv.reader(handle)
        next(reader)
        for number, order_no, day, amount in reader:
            # Each order delivered as two part-deliveries two weeks apart: 24 records a farmer, same total.
            digest = hashes.get(number) or hashes.setdefault(number, pii_hash(number))
            first = (Decimal(amount) / 2).quantize(Decimal("0.01"))
            earlier = dt.date.fromisoformat(day) - dt.timedelta(days=14)
            second_day = earlier.isoformat() if earlier >= dt.date(2026, 3, 1) else day
            rows.append((anchor_id, digest, order_no, day, first, delivery.pk))
            rows.append((anchor_id, digest, order_no + "B", second_day, Decimal(amount) - first, delivery.pk))
    columns = ("anchor_id", "id_hash", "order_no", "order_date", "amount", "delivery_id")
    copy_rows(TradeRecord._meta.db_table, columns, rows)
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return len(rows)


def naive(batch, sample: int) -> float:  # type: ignore[no-untyped-def]
    """Per farmer: sum his orders with the ORM, compute with the pure functions, save the row."""
    from django.db.models import Sum

    from origination.models import BatchRow
    from risk.limits import compute_limit, cross_validate, lookback_window
    from risk.models import TradeRecord

    program = batch.program
    start, end = lookback_window(batch.submitted_on, program.lookback_months)
    rows = list(BatchRow.objects.filter(batch=batch).order_by("id")[:sample])
    began = time.perf_counter()
    for row in rows:
        trades = TradeRecord.objects.filter(
            anchor_id=program.anchor_id, id_hash=row.id_hash, order_date__range=(start, end)
        )
        figures = trades.aggregate(total=Sum("amount"))
        verified = figures["total"] or Decimal(0)
        count = trades.count()
        validation = cross_validate(
            declared=row.declared_orders_12m, verified=verified, trade_count=count, tolerance=program.mismatch_tolerance
        )
        limit = compute_limit(
            validation=validation,
            recommended=row.recommended_amount,
            verified_orders=verified,
            order_ratio=program.order_ratio,
            per_farmer_cap=program.per_farmer_cap,
        )
        row.verified_orders_12m, row.trade_count, row.validation = verified, count, str(validation)
        row.computed_limit, row.bound_by = limit.amount, str(limit.bound_by)
        row.save()
    return time.perf_counter() - began


def main() -> None:
    farmers = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    setup_django()
    out = Path(tempfile.mkdtemp(prefix="bench-proc-"))
    subprocess.run([sys.executable, str(MAKE_SAMPLES), str(out), str(farmers)], check=True, capture_output=True)
    anchor, batch, manager = world(farmers, out)
    trades = load_trades(anchor.pk, out / "provider_trades.csv")
    from origination.models import Batch, BatchRow
    from origination.tasks import batch_process_dispatch

    timings = []
    for label in ("processing", "processing again"):
        began = time.perf_counter()
        batch_process_dispatch(Batch.objects.get(pk=batch.pk), manager)
        timings.append((label, time.perf_counter() - began))
    from django.db.models import Count

    outcome = dict(
        BatchRow.objects.filter(batch=batch).values("validation").annotate(n=Count("id")).values_list("validation", "n")
    )
    sample = min(SAMPLE_ROWS, batch.rows_valid)
    naive_seconds = naive(batch, sample) * batch.rows_valid / sample
    rows = batch.rows_valid
    print(f"\nbatch processing on PostgreSQL: {rows:,} farmers, {trades:,} trade records; outcomes {outcome}")
    print(f"{'case':<34}{'seconds':>10}{'farmers/s':>12}{'× naive':>10}{'target':>10}")
    for label, seconds in timings:
        speed, ratio = rows / seconds, naive_seconds / seconds
        print(f"{label:<34}{seconds:>10.1f}{speed:>12,.0f}{ratio:>10.1f}{TARGET_SECONDS:>10.0f}")
    label = f"naive ORM loop (scaled from {sample})"
    print(f"{label:<34}{naive_seconds:>10.1f}{rows / naive_seconds:>12,.0f}{1:>10.1f}")
    print(f"peak memory {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} MB")


if __name__ == "__main__":
    main()
