"""Times core.tabular on a large farmer list against a plain row-by-row reader.

Generates the files with samples/make_samples.py into a temporary
directory, then, for the GBK CSV and the XLSX, times ``read_table`` and every
column normaliser, and a baseline measured in the same run: a plain reader
(``csv.reader`` for the CSV; python-calamine's rows for the XLSX, which
``csv.reader`` cannot open) calling the scalar validators of
``core.identifiers`` row by row. Both must find the same number of errors.

Run from the repository root:  .venv/bin/python bench/bench_tabular.py [ROWS]
"""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from datetime import date
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
MAKE_SAMPLES = ROOT / "samples" / "make_samples.py"
TODAY = date(2027, 3, 1)  # make_samples.py's submission date
REPEAT = 3  # the vectorised steps are timed best of three; the slow baseline once


def setup_django() -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()


def best_of(repeat: int, func: Callable[[], Any]) -> tuple[float, Any]:
    best, result = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        result = func()
        best = min(best, time.perf_counter() - start)
    return best, result


def farmer_columns() -> list[Any]:
    from core.tabular import ColumnSpec

    names = [
        ("name", "姓名", True),
        ("id_number", "身份证号", True),
        ("phone", "手机号", True),
        ("recommended_amount", "推荐金额", True),
        ("declared_orders_12m", "近12个月订单金额", True),
        ("score", "打分卡得分", True),
        ("customer_code", "客户编号", False),
        ("region_code", "地区代码", False),
        ("breed", "养殖品种", False),
    ]
    return [ColumnSpec(field, (chinese, field), required=required) for field, chinese, required in names]


def vectorised(content: bytes, filename: str) -> tuple[dict[str, float], dict[str, int]]:
    from core import tabular

    columns = farmer_columns()
    seconds: dict[str, float] = {}
    errors: dict[str, int] = {}
    seconds["read_table"], frame = best_of(
        REPEAT, lambda: tabular.read_table(content, filename, columns, max_rows=1_000_000)
    )
    steps: list[tuple[str, str, Callable[[Any], Any]]] = [
        ("normalize_series(name)", "name", lambda s: (tabular.normalize_series(s), s.iloc[:0])),
        ("amounts(recommended_amount)", "recommended_amount", tabular.amounts),
        ("amounts(declared_orders_12m)", "declared_orders_12m", tabular.amounts),
        ("resident_ids(id_number)", "id_number", lambda s: tabular.resident_ids(s, today=TODAY)),
        ("mobiles(phone)", "phone", tabular.mobiles),
        ("scores(score)", "score", tabular.scores),
    ]
    for label, field, func in steps:
        seconds[label], (_, codes) = best_of(REPEAT, lambda func=func, field=field: func(frame[field]))
        errors[field] = int((codes != "").sum())
    seconds["total core.tabular"] = sum(seconds.values())
    return seconds, {"rows": len(frame), **errors}


def scalar_rows(header: list[str], rows: Iterable[list[str]]) -> dict[str, int]:
    """The row-by-row way: look the headers up, then call a validator per cell."""
    from core import identifiers as ids

    keys = {alias.strip().lower(): spec.field for spec in farmer_columns() for alias in spec.aliases}
    position = {keys[cell.strip().lower()]: i for i, cell in enumerate(header) if cell.strip().lower() in keys}
    checks: list[tuple[str, Callable[[str], Any]]] = [
        ("name", ids.normalize_text),
        ("recommended_amount", ids.parse_amount),
        ("declared_orders_12m", ids.parse_amount),
        ("id_number", lambda v: ids.validate_resident_id(v, today=TODAY)),
        ("phone", ids.validate_mobile),
        ("score", ids.parse_score),
    ]
    errors = {field: 0 for field, _ in checks}
    count = 0
    for row in rows:
        if not any(cell.strip() for cell in row):
            continue
        count += 1
        for field, check in checks:
            try:
                check(row[position[field]])
            except ids.InvalidValue:
                errors[field] += 1
    return {"rows": count, **errors}


def baseline_csv(content: bytes) -> dict[str, int]:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = content.decode("gb18030")
    reader = csv.reader(io.StringIO(text, newline=""))
    return scalar_rows(next(reader), reader)


def baseline_xlsx(content: bytes) -> dict[str, int]:
    from python_calamine import CalamineWorkbook

    def text(cell: object) -> str:
        if isinstance(cell, float) and cell.is_integer():
            return str(int(cell))
        return str(cell)

    sheet = CalamineWorkbook.from_filelike(io.BytesIO(content)).get_sheet_by_index(0)
    rows = ([text(cell) for cell in row] for row in sheet.iter_rows())
    return scalar_rows(next(rows), rows)


def main(count: int) -> None:
    setup_django()
    from core.identifiers import known_region_codes

    known_region_codes()  # load stdnum's table once, outside every timing
    with tempfile.TemporaryDirectory() as out:
        start = time.perf_counter()
        subprocess.run([sys.executable, str(MAKE_SAMPLES), out, str(count)], check=True)
        print(f"make_samples.py {count} rows: {time.perf_counter() - start:.1f} s\n")
        files = {
            "GBK CSV": ("farmer_list_gbk.csv", baseline_csv),
            "XLSX": ("farmer_list.xlsx", baseline_xlsx),
        }
        results: dict[str, dict[str, float]] = {}
        for label, (filename, baseline) in files.items():
            content = (Path(out) / filename).read_bytes()
            seconds, found = vectorised(content, filename)
            seconds["baseline: reader + scalar rows"], expected = best_of(1, lambda b=baseline, c=content: b(c))
            if found != expected:
                raise SystemExit(f"{label}: vectorised found {found}, the baseline {expected}")
            results[label] = seconds
            print(f"{label}: {found['rows']:,} rows, errors per column {expected} (both agree)")

    steps = list(next(iter(results.values())))
    width = max(len(step) for step in steps) + 2
    print(f"\nseconds, {count:,} farmer rows (core.tabular best of {REPEAT}, baseline one run)")
    print("step".ljust(width) + "".join(label.rjust(10) for label in results))
    for step in steps:
        print(step.ljust(width) + "".join(f"{results[label][step]:10.3f}" for label in results))
    speedups = "".join(
        f"{r['baseline: reader + scalar rows'] / r['total core.tabular']:9.1f}x" for r in results.values()
    )
    print("speed-up".ljust(width) + speedups)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000)
