"""Peak memory and speed of the provider deliveries, each import in a process of its own (issue 20).

A file import must read its file in chunks, so that its peak RSS stays under
512 MiB whatever the file's size. This script makes, in a temporary folder:

* the trade file of ``bench_trade_import.py`` (make_samples.py's orders, 12 a
  farmer, copied to ``--trades-per-farmer``): 100,000 farmers x 24 orders is
  the 2.4 million records of the issue, and the same for twice the farmers
  (4.8 million), to show that memory does not grow with the file;
* a monitoring-event file of as many events as the smaller trade file has
  records (each order becomes an event on the same farmer).

Each import runs in a child process (this script started again with
``--child``): ``trade_records_import`` or ``monitoring_events_import`` of the
file, from disk, end to end (read, check, keep the file, COPY, commit), then
the same file again (every row a duplicate, through the staging table). The
child reports its wall time and ``getrusage`` peak RSS. The baseline of each
file, in the same run, is the plain COPY floor: the rows, already prepared as
COPY text on disk, copied straight into the table by another child.

Run from the repository root, against a database of its own (its name must
contain "bench"; the schema is migrated if needed and the rows written are
removed at the end)::

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/scf_imports_bench \\
        .venv/bin/python bench/bench_import_memory.py [FARMERS] [--trades-per-farmer 24] [--no-double]

The recommendation lists (CSV and XLSX at ``UPLOAD_MAX_ROWS``) are measured
by ``bench_intake.py 200000``, which already runs each upload in a process of
its own and reports its peak RSS.
"""

from __future__ import annotations

import argparse
import hashlib
import inspect
import json
import os
import resource
import secrets
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import bench_trade_import as trades_bench

MAX_RSS_MIB = 512
EVENT_TYPES = (b"litigation", b"enforcement", b"dishonest", b"multi_lender", b"credit_overdue", b"business_abnormal")
PROVIDER_CODE = "BENCH-IM"


def peak_rss_mib() -> float:
    """The peak RSS of this process's own memory (``VmHWM``), in MiB.

    ``getrusage``'s ``ru_maxrss`` is not used: on Linux a child started from a large parent inherits
    the parent's peak across fork and exec, so it would show the parent's files rather than the import.
    """
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # not Linux: kilobytes too


# --- the files --------------------------------------------------------------------------


def write_trade_file(farmers: int, per_farmer: int, folder: Path) -> tuple[Path, int]:
    work = folder / f"make-{farmers}"
    work.mkdir()
    content = trades_bench.trade_file(farmers, per_farmer, work)
    path = folder / f"trades-{farmers}x{per_farmer}.csv"
    path.write_bytes(content)
    return path, content.count(b"\n") - 1


def write_event_file(trade_path: Path, folder: Path) -> tuple[Path, int]:
    """One event per order of the trade file, on the same farmer: 身份证号,订单号,日期,金额 → an event."""
    path = folder / "events.csv"
    count = 0
    with trade_path.open("rb") as source, path.open("wb") as out:
        source.readline()
        out.write("主体证件号,事件类型,事件日期,数值,详情,事件编号\n".encode())
        for line in source:
            id_number, order_no, order_date, _amount = line.rstrip(b"\n").split(b",")
            kind = EVENT_TYPES[count % len(EVENT_TYPES)]
            value = b"3" if kind == b"multi_lender" else b""
            detail = "（2027）川01民初12号".encode() if count % 7 == 0 else b""
            out.write(b",".join((id_number, kind, order_date, value, detail, b"BENCHE" + order_no)) + b"\n")
            count += 1
    return path, count


def write_trade_copy_text(trade_path: Path, folder: Path) -> Path:
    """The trade rows as COPY text (id_hash, order_no, order_date, amount): what the import writes."""
    path = folder / (trade_path.stem + ".copy")
    with trade_path.open("rb") as source, path.open("wb") as out:
        source.readline()
        for line in source:
            id_number, order_no, order_date, amount = line.rstrip(b"\n").split(b",")
            digest = hashlib.sha256(id_number).hexdigest().encode()
            out.write(b"\t".join((digest, order_no, order_date, amount)) + b"\n")
    return path


def write_event_copy_text(event_path: Path, folder: Path) -> Path:
    """The event rows as COPY text in the import's column order."""
    path = folder / "events.copy"
    with event_path.open("rb") as source, path.open("wb") as out:
        source.readline()
        for line in source:
            subject, kind, day, value, detail, event_id = line.rstrip(b"\n").split(b",")
            digest = hashlib.sha256(subject).hexdigest().encode()
            out.write(b"\t".join((event_id, digest, b"person", kind, day, value or b"\\N", detail)) + b"\n")
    return path


# --- the children --------------------------------------------------------------------------


def child(spec: dict[str, Any]) -> None:
    trades_bench.setup_django(spec["media"])
    from django.db import connection, transaction

    from core.identifiers import known_region_codes
    from partners.models import Anchor
    from risk.models import DataProvider, MonitoringEvent, TradeRecord
    from risk.services import deliveries

    known_region_codes()
    path = Path(spec["path"])
    kind = spec["kind"]
    report: dict[str, Any] = {}
    if kind in ("trades", "events"):
        importer = deliveries.trade_records_import if kind == "trades" else deliveries.monitoring_events_import
        annotation = str(inspect.signature(importer).parameters["content"].annotation)
        streaming = "IO" in annotation  # after issue 20 an import takes an open file

        def run(name: str) -> tuple[float, Any]:
            start = time.perf_counter()
            with path.open("rb") as handle:
                content: Any = handle if streaming else handle.read()
                arguments: dict[str, Any] = {"content": content, "filename": name}
                if kind == "trades":
                    arguments["anchor"] = Anchor.objects.get(pk=spec["anchor"])
                else:
                    arguments["provider"] = DataProvider.objects.get(pk=spec["provider"])
                result = importer(**arguments)
            return time.perf_counter() - start, result

        report["seconds"], first = run(path.name)
        report["rows"] = first.created
        report["errors"] = first.errors_total
        report["rss_first"] = peak_rss_mib()
        report["again_seconds"], again = run("again-" + path.name)
        report["again_duplicates"] = again.duplicates
        report["again_created"] = again.created
    else:  # the COPY floor
        model = TradeRecord if kind == "copy-trades" else MonitoringEvent
        if kind == "copy-trades":
            columns = "anchor_id, delivery_id, id_hash, order_no, order_date, amount"
            leading = f"{spec['anchor']}\t{spec['delivery']}\t".encode()
        else:
            columns = (
                "provider_id, delivery_id, event_id, subject_hash, subject_kind, event_type, event_date, value, detail"
            )
            leading = f"{spec['provider']}\t{spec['delivery']}\t".encode()

        class Prefixed:
            """The COPY text with the leading ids on every line, read a megabyte at a time."""

            def __init__(self, handle: Any) -> None:
                self.handle = handle
                self.rest = b""

            def read(self, size: int = -1) -> bytes:
                block = self.rest + self.handle.read(1 << 20)
                if not block:
                    return b""
                cut = block.rfind(b"\n") + 1
                self.rest = block[cut:]
                return b"".join(leading + line + b"\n" for line in block[:cut].splitlines())

            def readline(self, size: int = -1) -> bytes:
                return self.read()

        start = time.perf_counter()
        with path.open("rb") as handle, transaction.atomic(), connection.cursor() as cursor:
            cursor.copy_expert(f"COPY {model._meta.db_table} ({columns}) FROM STDIN", Prefixed(handle), size=1 << 20)
            report["rows"] = cursor.rowcount
        report["seconds"] = time.perf_counter() - start
    report["rss"] = peak_rss_mib()
    print("RESULT " + json.dumps(report), flush=True)


def run_child(spec: dict[str, Any]) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), "--child", json.dumps(spec)],
        check=True,
        capture_output=True,
        text=True,
    )
    for line in done.stdout.splitlines():
        if line.startswith("RESULT "):
            result: dict[str, Any] = json.loads(line[len("RESULT ") :])
            return result
    raise SystemExit(f"no result from {spec}: {done.stdout}\n{done.stderr}")


# --- the parent ----------------------------------------------------------------------------


def bench_provider() -> Any:
    from risk.models import DataProvider
    from risk.services.providers import provider_secret_new

    provider, _created = DataProvider.objects.get_or_create(
        code=PROVIDER_CODE, defaults={"name": "bench_import_memory", "secret": provider_secret_new()}
    )
    return provider


def remove_rows() -> None:
    from django.db import connection

    from risk.models import MonitoringEvent

    trades_bench.remove_bench_rows()
    MonitoringEvent.objects.filter(provider__code=PROVIDER_CODE).delete()
    with connection.cursor() as cursor:
        cursor.execute(f"VACUUM ANALYZE {MonitoringEvent._meta.db_table}")


def delivery_for(kind: str, *, anchor: Any = None, provider: Any) -> Any:
    from core.business_date import business_date_get
    from risk.models import ProviderDelivery

    return ProviderDelivery.objects.create(
        provider=provider,
        kind=kind,
        channel=ProviderDelivery.Channel.FILE,
        anchor=anchor,
        sha256="-",
        business_date=business_date_get(),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("farmers", nargs="?", type=int, default=100_000)
    parser.add_argument("--trades-per-farmer", type=int, default=24)
    parser.add_argument("--no-double", action="store_true", help="skip the file twice as large")
    parser.add_argument("--no-events", action="store_true")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(json.loads(args.child))
        return
    if "bench" not in os.environ.get("DATABASE_URL", ""):
        raise SystemExit("DATABASE_URL must name a database whose name contains 'bench'")

    with tempfile.TemporaryDirectory() as media, tempfile.TemporaryDirectory() as out:
        folder = Path(out)
        trades_bench.setup_django(media)
        from django.core.management import call_command

        trades_bench.database_ensure()
        call_command("migrate", verbosity=0)
        from risk.models import ProviderDelivery

        remove_rows()
        node, user = trades_bench.bench_world()
        provider = bench_provider()
        sizes = [args.farmers] if args.no_double else [args.farmers, 2 * args.farmers]
        files: list[tuple[str, str, Path, int]] = []
        for farmers in sizes:
            path, count = write_trade_file(farmers, args.trades_per_farmer, folder)
            files.append(("trades", f"trades {farmers:,} x {args.trades_per_farmer}", path, count))
        if not args.no_events:
            path, count = write_event_file(files[0][2], folder)
            files.append(("events", "events", path, count))

        table: list[tuple[str, int, float, float, str]] = []
        for kind, label, path, count in files:
            size = path.stat().st_size / 2**20
            print(f"{label}: {count:,} rows, {size:,.0f} MiB", flush=True)
            copy_path = write_trade_copy_text(path, folder) if kind == "trades" else write_event_copy_text(path, folder)
            spec: dict[str, Any] = {"kind": kind, "path": str(path), "media": media, "provider": provider.pk}
            if kind == "trades":
                spec["anchor"] = trades_bench.bench_anchor(node, user, f"import {secrets.token_hex(3)}").pk
            result = run_child(spec)
            print(f"  import: {result}", flush=True)
            if result["rows"] != count or result["again_duplicates"] != count or result["again_created"]:
                raise SystemExit(f"unexpected counts for {label}: {result}")
            remove_rows()
            copy_spec: dict[str, Any] = {"kind": f"copy-{kind}", "path": str(copy_path), "media": media}
            if kind == "trades":
                anchor = trades_bench.bench_anchor(node, user, f"copy {secrets.token_hex(3)}")
                copy_spec["anchor"] = anchor.pk
                copy_spec["delivery"] = delivery_for(ProviderDelivery.Kind.TRADES, anchor=anchor, provider=provider).pk
            else:
                copy_spec["provider"] = provider.pk
                copy_spec["delivery"] = delivery_for(ProviderDelivery.Kind.EVENTS, provider=provider).pk
            floor = run_child(copy_spec)
            print(f"  plain COPY: {floor}", flush=True)
            remove_rows()
            copy_path.unlink()
            rss = result["rss"]
            verdict = "PASS" if rss <= MAX_RSS_MIB else "FAIL"
            table.append((f"{label}: import", count, result["seconds"], result["rss_first"], verdict))
            table.append((f"{label}: again (duplicates)", count, result["again_seconds"], rss, verdict))
            table.append((f"{label}: plain COPY (baseline)", count, floor["seconds"], floor["rss"], ""))

    print(f"\nPostgreSQL, {os.cpu_count()} cores, load average now {os.getloadavg()[0]:.1f}")
    print(f"{'':44}{'rows':>11}{'seconds':>9}{'rows/s':>10}{'peak RSS MiB':>14}  <= {MAX_RSS_MIB} MiB")
    for label, count, seconds, rss, verdict in table:
        print(f"{label:44}{count:>11,}{seconds:>9.1f}{count / seconds:>10,.0f}{rss:>14,.0f}  {verdict}")


if __name__ == "__main__":
    main()
