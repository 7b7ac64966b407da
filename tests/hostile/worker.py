"""Read one uploaded file in a process of its own and report what became of it and the memory it took.

``python -m tests.hostile.worker KIND PATH`` reads the file at PATH through the
importer of KIND (``farmers``, ``trades``, ``events``, ``holdings``) exactly as
an upload is read, and prints one JSON line: the outcome (``ok`` or the
refusal's code), the rows read, the seconds, the resident set size before
reading and its peak (``VmHWM``). The address space is capped, so a
reader that asks for hundreds of gigabytes fails here instead of taking the
machine with it.

``read_in_child`` runs it from a test.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import resource
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
ADDRESS_SPACE_CAP = 8 << 30  # bytes: far above any budget, far below what a grid of XFD1048576 asks
TODAY = dt.date(2027, 3, 1)


@dataclass(frozen=True)
class Reading:
    outcome: str  # "ok", a refusal's code, or how the process died
    rows: int
    seconds: float
    baseline_mib: float  # resident set before the file was read
    peak_mib: float  # the process's peak resident set

    @property
    def added_mib(self) -> float:
        return self.peak_mib - self.baseline_mib


def read_in_child(kind: str, path: Path, *, timeout: float = 120.0) -> Reading:
    """Run the worker on one file; a process killed by its cap or the timeout is reported, not raised."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    started = time.perf_counter()
    try:
        done = subprocess.run(
            [sys.executable, "-m", "tests.hostile.worker", kind, str(path)],
            capture_output=True,
            text=True,
            timeout=timeout,
            cwd=ROOT,
            env=env,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return Reading(f"timeout after {timeout:.0f} s", 0, time.perf_counter() - started, 0.0, 0.0)
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if done.returncode != 0 or not lines:
        tail = (done.stderr.strip().splitlines() or ["no output"])[-1]
        return Reading(f"died ({done.returncode}): {tail[:160]}", 0, time.perf_counter() - started, 0.0, 0.0)
    report = json.loads(lines[-1])
    return Reading(report["outcome"], report["rows"], report["seconds"], report["baseline_mib"], report["peak_mib"])


def _peak_mib() -> float:
    """The process's own peak resident set (VmHWM). Not ``ru_maxrss``: it survives exec, so it would report
    the peak of the test worker this process was forked from (400 MiB under xdist) rather than its own."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024  # kB
    raise RuntimeError("no VmHWM in /proc/self/status")


def _current_mib() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / (1 << 20)


def _read(kind: str, content: bytes, name: str) -> int:
    if kind == "farmers":
        from origination.importers import read_farmer_list

        return read_farmer_list(content, name, today=TODAY).rows_total
    if kind in {"trades", "events"}:
        from core.uploads import refuse_oversized
        from risk import importers

        refuse_oversized(content, name, importers.provider_max_bytes())
        reader = importers.read_trade_file if kind == "trades" else importers.read_event_file
        rows = reader(content, name, today=TODAY)
        for _chunk in rows:  # the checks run as the delivery is iterated
            pass
        return rows.rows_total
    if kind == "holdings":
        from postloan.dashboards.importers import read_holdings

        return read_holdings(content, name, today=TODAY).rows_total
    raise SystemExit(f"unknown kind {kind!r}")


def main(kind: str, path: str) -> dict[str, Any]:
    resource.setrlimit(resource.RLIMIT_AS, (ADDRESS_SPACE_CAP, ADDRESS_SPACE_CAP))
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    # Import everything a reading needs before the baseline is taken.
    import origination.importers  # noqa: F401
    import postloan.dashboards.importers  # noqa: F401
    import risk.importers  # noqa: F401
    from core.errors import DomainError
    from core.tabular import TableError

    content = Path(path).read_bytes()
    name = Path(path).name
    baseline = _current_mib()
    started = time.perf_counter()
    rows = 0
    try:
        rows = _read(kind, content, name)
        outcome = "ok"
    except (DomainError, TableError) as refusal:
        outcome = refusal.code
    except MemoryError:
        outcome = "MemoryError"
    return {
        "outcome": outcome,
        "rows": rows,
        "seconds": round(time.perf_counter() - started, 3),
        "baseline_mib": round(baseline, 1),
        "peak_mib": round(_peak_mib(), 1),
    }


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1], sys.argv[2])), flush=True)
