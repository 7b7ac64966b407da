"""Times the provider trade import (三方交易数据) on PostgreSQL against two baselines.

Generates the trade file with samples/make_samples.py (12 orders a
farmer); ``--trades-per-farmer 24`` (any multiple of 12) adds copies of each
order with a new order number, one year earlier per copy. Then, in the same
run and on the same rows:

  (a) the import: ``trade_records_import`` end to end (read and check the
      file, keep it, COPY into staging, INSERT … ON CONFLICT, commit), then the
      same file delivered again (every row a duplicate);
  (b) a plain PostgreSQL COPY of the same rows straight into the trade table:
      the floor any import of these rows stands on;
  (c) the naive way: ``TradeRecord.objects.create`` per row, timed on a
      5,000-row sample and scaled to the full size.

Run from the repository root, against a database of its own (the schema is
created if needed; the rows written are removed at the end):

  DATABASE_URL=postgres://postgres@127.0.0.1:5432/scf_bench \\
      .venv/bin/python bench/bench_trade_import.py [FARMERS] [--trades-per-farmer 24] [--phases]
"""

from __future__ import annotations

import argparse
import io
import os
import re
import resource
import secrets
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
MAKE_SAMPLES = ROOT / "samples" / "make_samples.py"
SAMPLE_ROWS = 5_000  # the naive ORM loop is timed on this many rows and scaled
TARGET_SECONDS = 60.0
BENCH_NAME = "bench_trade_import"
# An order number of make_samples.py (SMP, farmer, month) and the year of its date.
DATE_FIELD = re.compile(rb",(SMP)(\d+),(\d{4})-")


def setup_django(media_root: str) -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("MEDIA_ROOT", media_root)  # the kept files go to a temporary folder
    import django

    django.setup()


def database_ensure() -> None:
    """Create the benchmark's database when it does not exist yet (the schema comes from migrate)."""
    import psycopg2
    from django.db import connection

    params = connection.get_connection_params()
    name = params.pop("dbname", None) or params.pop("database")
    try:
        psycopg2.connect(dbname=name, **params).close()
    except psycopg2.OperationalError:
        server = psycopg2.connect(dbname="postgres", **params)
        server.autocommit = True
        with server.cursor() as cursor:
            cursor.execute(f'CREATE DATABASE "{name}"')
        server.close()
        print(f"created database {name}")


def peak_memory_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kilobytes on Linux


def timed(func: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    result = func()
    return time.perf_counter() - start, result


def cpu_seconds() -> tuple[float, float]:
    """CPU time of this process and of its database backend (when it runs on this machine).

    Other work on the machine stretches wall time, not these: they show what a
    step costs even when the benchmark shares its two cores.
    """
    from django.db import connection

    ours = os.times()
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        server = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except OSError:
        server = float("nan")
    return ours.user + ours.system, server


def measured(func: Callable[[], Any]) -> tuple[tuple[float, float, float], Any]:
    """(wall seconds, CPU seconds here, CPU seconds in the database) and the result."""
    client, server = cpu_seconds()
    seconds, result = timed(func)
    client_after, server_after = cpu_seconds()
    return (seconds, client_after - client, server_after - server), result


def trade_file(farmers: int, per_farmer: int, out: Path) -> bytes:
    """make_samples.py's trade file, with ``per_farmer / 12`` copies of every order."""
    if per_farmer % 12:
        raise SystemExit("--trades-per-farmer must be a multiple of 12")
    subprocess.run([sys.executable, str(MAKE_SAMPLES), str(out), str(farmers)], check=True)
    content = (out / "provider_trades.csv").read_bytes()
    header, _, body = content.partition(b"\n")
    parts = [header + b"\n", body]
    for copy in range(1, per_farmer // 12):
        prefix = b"SM" + bytes([ord("P") + copy])  # SMQ…, SMR…: never an order number of the samples

        def earlier(match: re.Match[bytes], prefix: bytes = prefix, years: int = copy) -> bytes:
            return b"," + prefix + match.group(2) + b"," + str(int(match.group(3)) - years).encode() + b"-"

        parts.append(DATE_FIELD.sub(earlier, body))
    return b"".join(parts)


def bench_world() -> tuple[Any, Any]:
    """A node and an administrator of the benchmark's own, reused from run to run."""
    from core.roles import Role
    from partners.models import OrgNode, User
    from partners.services.org import org_node_create, user_create

    node = OrgNode.objects.filter(code="BENCH-TI").first() or org_node_create(
        code="BENCH-TI", name=BENCH_NAME, kind=OrgNode.Kind.BRANCH
    )
    user = User.objects.filter(username=BENCH_NAME).first() or user_create(
        username=BENCH_NAME,
        password=secrets.token_urlsafe(),  # nobody signs in as the benchmark
        role=Role.ADMINISTRATOR,
        org_node=node,
        is_superuser=True,
    )
    return node, user


def bench_anchor(node: Any, user: Any, label: str) -> Any:
    import random
    from decimal import Decimal

    from stdnum.cn import uscc

    from partners.models import Anchor
    from partners.services.anchors import anchor_create

    while True:
        body = f"9151010{random.randrange(10**6):06d}BENCH"[:17]
        code = body + uscc.calc_check_digit(body)
        if not Anchor.objects.filter(uscc=code).exists():
            break
    return anchor_create(
        actor=user,
        name=f"{BENCH_NAME} {label}",
        uscc=code,
        guarantee_capacity=Decimal("1"),
        org_node=node,
    )


def remove_bench_rows() -> None:
    """The trade records of earlier runs' anchors (never anyone else's)."""
    from django.db import connection

    from partners.models import Anchor
    from risk.models import TradeRecord

    anchors = list(Anchor.objects.filter(name__startswith=BENCH_NAME).values_list("pk", flat=True))
    if anchors:
        TradeRecord.objects.filter(anchor_id__in=anchors).delete()
        with connection.cursor() as cursor:
            cursor.execute(f"VACUUM ANALYZE {TradeRecord._meta.db_table}")


def checked(rows: Any) -> tuple[list[Any], int]:
    chunks = list(rows)
    return chunks, sum(len(chunk) for chunk in chunks)


def plain_copy(chunks: list[Any], anchor: Any, delivery: Any) -> tuple[float, float, float]:
    """COPY the rows the import wrote, as text already prepared, straight into the table."""
    from django.db import connection, transaction

    from risk.importers import TRADE_RECORD_FIELDS
    from risk.models import TradeRecord

    prefix = f"{anchor.pk}\t{delivery.pk}\t".encode()
    text = b"".join(prefix + line + b"\n" for chunk in chunks for line in chunk.copy_text().splitlines())
    columns = "anchor_id, delivery_id, " + ", ".join(TRADE_RECORD_FIELDS)
    sql = f"COPY {TradeRecord._meta.db_table} ({columns}) FROM STDIN"

    def copy() -> None:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.copy_expert(sql, io.BytesIO(text), size=1 << 20)

    cost: tuple[float, float, float] = measured(copy)[0]
    return cost


def orm_loop(chunks: list[Any], count: int, anchor: Any, delivery: Any) -> tuple[float, float, float]:
    from itertools import chain, islice

    from risk.models import TradeRecord

    records = chain.from_iterable(chunk.records() for chunk in chunks)
    sample = list(islice(records, SAMPLE_ROWS))

    def loop() -> None:
        for id_hash, order_no, order_date, amount in sample:
            TradeRecord.objects.create(
                anchor=anchor,
                delivery=delivery,
                id_hash=id_hash,
                order_no=order_no,
                order_date=order_date,
                amount=amount,
            )

    scale = count / len(sample)
    seconds, client, server = measured(loop)[0]
    return seconds * scale, client * scale, server * scale


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("farmers", nargs="?", type=int, default=100_000)
    parser.add_argument("--trades-per-farmer", type=int, default=12)
    parser.add_argument("--phases", action="store_true", help="also time reading and checking alone")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as media, tempfile.TemporaryDirectory() as out:
        setup_django(media)
        from django.core.management import call_command

        database_ensure()
        call_command("migrate", verbosity=0)

        from core.business_date import business_date_get
        from core.identifiers import known_region_codes
        from risk import importers
        from risk.models import ProviderDelivery
        from risk.services.deliveries import trade_records_import
        from risk.services.providers import provider_default

        start = time.perf_counter()
        content = trade_file(args.farmers, args.trades_per_farmer, Path(out))
        print(f"trade file: {len(content) / 1e6:.0f} MB, made in {time.perf_counter() - start:.0f} s")
        known_region_codes()  # stdnum's table, loaded once outside every timing
        remove_bench_rows()
        node, user = bench_world()
        anchors = {label: bench_anchor(node, user, label) for label in ("import", "copy", "orm")}
        today = business_date_get()

        if args.phases:
            # The file is read as its rows are iterated (issue 20): inspecting it and finding its
            # header is the first phase, reading and checking the rows the second.
            seconds, rows = timed(lambda: importers.read_trade_file(content, "trades.csv", today=today))
            print(f"phase: inspect the file and find the header: {seconds:.1f} s")
            seconds, (chunks, _count) = timed(lambda: checked(rows))
            print(f"phase: read and check the rows, {rows.rows_total:,} rows: {seconds:.1f} s")
            seconds, texts = timed(lambda: [chunk.copy_text() for chunk in chunks])
            print(f"phase: COPY text, {sum(map(len, texts)) / 1e6:.0f} MB: {seconds:.1f} s")
            del rows, chunks, texts

        import_cost, result = measured(
            lambda: trade_records_import(anchor=anchors["import"], content=content, filename="trades.csv")
        )
        import_memory = peak_memory_mb()
        again_cost, again = measured(
            lambda: trade_records_import(anchor=anchors["import"], content=content, filename="again.csv")
        )
        if result.errors_total or again.created or again.duplicates != result.created:
            raise SystemExit(f"unexpected counts: {result} then {again}")

        chunks, count = checked(importers.read_trade_file(content, "trades.csv", today=today))
        provider = provider_default()
        deliveries = {
            label: ProviderDelivery.objects.create(
                provider=provider,
                kind=ProviderDelivery.Kind.TRADES,
                channel=ProviderDelivery.Channel.FILE,
                anchor=anchors[label],
                sha256="-",
                business_date=today,
            )
            for label in ("copy", "orm")
        }
        # Each measurement starts from a table without the rows of the one before.
        remove_bench_rows()
        copy_cost = plain_copy(chunks, anchors["copy"], deliveries["copy"])
        remove_bench_rows()
        orm_cost = orm_loop(chunks, count, anchors["orm"], deliveries["orm"])
        remove_bench_rows()

    count = result.created
    table = [
        ("(a) trade_records_import", import_cost, ""),
        ("(a) the same file again", again_cost, "all duplicates"),
        ("(b) plain COPY into the table", copy_cost, "baseline"),
        ("(c) ORM create() per row", orm_cost, f"scaled from {SAMPLE_ROWS:,} rows"),
    ]
    print(f"\n{args.farmers:,} farmers x {args.trades_per_farmer} orders, PostgreSQL, {os.cpu_count()} cores")
    print(f"{'':31}{'rows':>10}{'seconds':>9}{'rows/s':>9}{'cpu: py':>9}{'pg':>7}")
    for label, (seconds, client, server), note in table:
        print(f"{label:31}{count:>10,}{seconds:>9.1f}{count / seconds:>9,.0f}{client:>9.1f}{server:>7.1f}  {note}")
    print(f"peak memory (process, after the import): {import_memory:,.0f} MB")
    verdict = "within" if import_cost[0] <= TARGET_SECONDS else "OVER"
    print(f"import {verdict} the {TARGET_SECONDS:.0f} s target (load average now {os.getloadavg()[0]:.1f})")


if __name__ == "__main__":
    main()
