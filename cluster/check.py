"""Checksums of a closed book and its reconciliation, printed as one JSON line.

Run with ``DATABASE_URL`` naming the book (a primary's copy or the replica's):
``.venv/bin/python cluster/check.py [--no-reconcile]`` (the replica's checksums equal to the
primary's say as much as a second reconciliation would, in less time).

Two books closed from the same start must give the same checksums whatever host ran which chunk
and however often a chunk was delivered, so rows that the close inserts are hashed by what they
say, never by their serial ids or timestamps.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def parts() -> dict[str, tuple[str, str]]:
    """Each part of the book: (the rows as a query, the order they are hashed in)."""
    from django.db.models import Model

    from origination.models import CompensationDemand as Demand
    from origination.models import Loan, LoanDue, LoanEntry
    from postloan.models import DayCloseStep

    def columns(model: type[Model], leave_out: set[str]) -> str:
        return ", ".join(f.column for f in model._meta.concrete_fields if f.column not in leave_out)

    stamps = {"id", "created_at", "updated_at"}
    loan_columns = columns(Loan, {"created_at", "updated_at"})
    return {
        # Every loan's balances, dates, status and classification (DPD follows from oldest_due_date).
        "loans": (f"SELECT {loan_columns} FROM {Loan._meta.db_table}", "t.id"),
        # The ledger summed per loan, kind and business date.
        "ledger": (
            f"SELECT loan_id, kind, business_date, count(*) AS n, sum(amount) AS total "
            f"FROM {LoanEntry._meta.db_table} GROUP BY 1, 2, 3",
            "t.loan_id, t.kind, t.business_date",
        ),
        "dues": (f"SELECT {columns(LoanDue, stamps)} FROM {LoanDue._meta.db_table}", "t::text"),
        "demands": (f"SELECT {columns(Demand, stamps)} FROM {Demand._meta.db_table}", "t::text"),
        # Each chunk recorded once, with the rows it changed.
        "steps": (f"SELECT day, step, chunk, rows FROM {DayCloseStep._meta.db_table}", "t.day, t.step, t.chunk"),
    }


def main() -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.db import connection

    from core.business_date import business_date_get
    from origination.models import Loan
    from servicing.reconcile import loans_reconcile

    report: dict[str, object] = {}
    with connection.cursor() as cursor:
        for name, (query, order) in parts().items():
            cursor.execute(
                f"SELECT md5(coalesce(string_agg(t::text, E'\\n' ORDER BY {order}), '')), count(*) FROM ({query}) t"
            )
            digest, count = cursor.fetchone() or ("", 0)
            report[name] = digest
            report[f"{name}_rows"] = count
    if "--no-reconcile" not in sys.argv:
        mismatches = loans_reconcile()
        report["reconcile_mismatches"] = len(mismatches)
        report["reconcile_first"] = [f"loan {m.loan_id} {m.field}: {m.row} != {m.ledger}" for m in mismatches[:3]]
    report["business_date"] = business_date_get().isoformat()
    report["loans_active"] = Loan.objects.filter(status=Loan.Status.ACTIVE).count()
    # Interest of the 20th unpaid at its close: the heavy settlement day really ran.
    report["overdue_since_20th"] = Loan.objects.filter(oldest_due_date="2027-06-20").count()
    report["book"] = "-".join(str(report[name])[:8] for name in parts())
    print(json.dumps(report))


if __name__ == "__main__":
    main()
