"""Times the anchor's window on the close benchmark's book: an anchor operator's home, the credit limits of
his largest programme a page at a time, the anchor-window API, and one monthly statement (figures, XLSX, PDF).

Build the book first (a million loans: ten programmes of about 100,000 loans each)::

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/scf_anchor_bench \\
        .venv/bin/python bench/bench_cob.py 1000000 --load-only
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/scf_anchor_bench .venv/bin/python bench/bench_anchor_window.py

Each page is fetched three times and the best time kept (the first warms the caches); the statement is
written once, in a transaction rolled back, so the book is left as it was.
"""

from __future__ import annotations

import datetime as dt
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.core.files.storage import default_storage  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.db.models import Count  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from core.models import StoredFile  # noqa: E402
from core.roles import Role  # noqa: E402
from origination.models import CreditLimit, Loan  # noqa: E402
from partners.models import Program, User  # noqa: E402
from postloan.statements import statement_write  # noqa: E402


def best_of(fetch: object, times: int = 3) -> tuple[float, int, int]:
    """(best seconds, queries, status) of ``fetch`` called ``times`` times."""
    best, queries, status = float("inf"), 0, 0
    for _ in range(times):
        with CaptureQueriesContext(connection) as captured:
            start = time.perf_counter()
            response = fetch()  # type: ignore[operator]
            best = min(best, time.perf_counter() - start)
        queries, status = len(captured), response.status_code
    return best, queries, status


def main() -> None:
    assert "bench" in settings.DATABASES["default"]["NAME"], "run on a benchmark database"
    settings.ALLOWED_HOSTS = ["*"]
    largest = Loan.objects.values("program_id").annotate(n=Count("id")).order_by("-n").first()
    assert largest is not None, "no book: run bench_cob.py --load-only first"
    program = Program.objects.select_related("anchor").get(pk=largest["program_id"])
    limits = CreditLimit.objects.filter(program=program).count()
    print(f"programme {program.pk} of anchor {program.anchor_id}: {largest['n']:,} loans, {limits:,} limits")
    user, _ = User.objects.get_or_create(
        username="bench_anchor_operator", defaults={"role": Role.ANCHOR_OPERATOR, "anchor": program.anchor}
    )
    client = Client()
    client.force_login(user)
    last_page = max(1, limits // 50)
    cases = {
        "home": lambda: client.get("/"),
        "limits, page 1": lambda: client.get(f"/limits/?program={program.pk}"),
        f"limits, page {last_page}": lambda: client.get(f"/limits/?program={program.pk}&page={last_page}"),
        "API anchor-window": lambda: client.get("/api/v1/anchor-window/"),
        "statements page": lambda: client.get("/statements/"),
    }
    for name, fetch in cases.items():
        seconds, queries, status = best_of(fetch)
        print(f"{name:<24} {seconds * 1000:8.0f} ms  {queries:3d} queries  [{status}]")
    month = dt.date(2027, 5, 1)
    with transaction.atomic():
        start = time.perf_counter()
        statement = statement_write(program, month)
        seconds = time.perf_counter() - start
        print(
            f"statement {month:%Y-%m}: {seconds:.1f} s, XLSX {statement.xlsx.size:,} B, PDF {statement.pdf.size:,} B, "
            f"{statement.figures['demands_in_month']} demands, outstanding {statement.figures['outstanding_principal']}"
        )
        transaction.set_rollback(True)
    # The rows went with the rollback; the two files it stored go too, unless an older row keeps the same bytes.
    for stored in (statement.xlsx, statement.pdf):
        if not StoredFile.objects.filter(content=stored.content.name).exists():
            default_storage.delete(stored.content.name)


if __name__ == "__main__":
    main()
