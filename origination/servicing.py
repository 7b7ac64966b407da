"""The loan book's daily steps (日终), set-based over a range of loan ids.

Each function closes one step of day ``day`` for the active loans with ids in
``[first_id, last_id]``; the close of business (postloan) runs them in order,
chunk by chunk, and records each chunk as done in the same transaction, so a
crash never leaves a chunk half done and a re-run skips what is done.

Interest needs no daily write: principal-days are kept as a base plus the day
it runs to (see ``Loan``), so ``settle`` turns them into a charge only on a
20th or at maturity. Charges are computed with ``origination.interest`` in
Python (one rounding, the same code as the reference model); additions and
comparisons are done by SQL over the whole range.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import connection

from core.bulk import is_postgres, temp_table_drop, temp_table_load
from core.money import ZERO
from origination.interest import SETTLEMENT_DAY, interest_charge
from origination.models import CompensationDemand, CreditLimit, Loan, LoanDue, LoanEntry
from risk.classification import DPD_BANDS, SEVERITY, LoanClass

LOAN = Loan._meta.db_table
DUE = LoanDue._meta.db_table
ENTRY = LoanEntry._meta.db_table
LIMIT = CreditLimit._meta.db_table
DEMAND = CompensationDemand._meta.db_table


def _principal_days(
    base: Decimal, principal: Decimal, accrued_through: dt.date, maturity: dt.date, day: dt.date
) -> Decimal:
    days = (min(day, maturity) - accrued_through).days
    return base + (principal * days if days > 0 else ZERO)


def settle(day: dt.date, first_id: int, last_id: int) -> int:
    """Charge interest on the 20th and at maturity; at maturity the principal falls due too."""
    is_settlement_day = day.day == SETTLEMENT_DAY
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id, interest_base, principal_outstanding, accrued_through, maturity_on, annual_rate "
            f"FROM {LOAN} "
            "WHERE status = 'active' AND id BETWEEN %s AND %s AND disbursed_on <= %s "
            "AND (maturity_on = %s OR (%s AND maturity_on > %s))",
            [first_id, last_id, day, day, is_settlement_day, day],
        )
        due_today = cursor.fetchall()
    rows = []
    for loan_id, base, principal, accrued_through, maturity, rate in due_today:
        base, principal, rate = Decimal(base), Decimal(principal), Decimal(rate)
        charge = interest_charge(_principal_days(base, principal, accrued_through, maturity, day), rate)
        matures = maturity == day
        rows.append((loan_id, charge, principal if matures else ZERO, matures))
    if not rows:
        return 0
    temp_table_load(
        "cob_settle",
        "loan_id bigint PRIMARY KEY, charge numeric(18,2), principal numeric(18,2), matures boolean",
        ("loan_id", "charge", "principal", "matures"),
        rows,
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {LOAN} SET interest_base = 0, accrued_through = %s, "
            "interest_due = ROUND(interest_due + s.charge, 2), "
            "penalty_through = CASE WHEN s.matures THEN %s ELSE penalty_through END "
            f"FROM cob_settle s WHERE {LOAN}.id = s.loan_id",
            [day, day],
        )
        cursor.execute(
            f"INSERT INTO {ENTRY} (loan_id, business_date, kind, amount, created_at) "
            "SELECT loan_id, %s, 'interest_charge', charge, CURRENT_TIMESTAMP "
            "FROM cob_settle WHERE charge > 0",
            [day],
        )
        cursor.execute(
            f"INSERT INTO {DUE} (loan_id, kind, due_on, amount, paid, compensated) "
            "SELECT loan_id, 'interest', %s, charge, 0, 0 FROM cob_settle WHERE charge > 0 "
            "ON CONFLICT (loan_id, kind, due_on) DO UPDATE SET "
            f"amount = ROUND({DUE}.amount + excluded.amount, 2), settled_on = NULL",
            [day],
        )
        cursor.execute(
            f"INSERT INTO {DUE} (loan_id, kind, due_on, amount, paid, compensated) "
            "SELECT loan_id, 'principal', %s, principal, 0, 0 FROM cob_settle "
            "WHERE matures AND principal > 0 "
            "ON CONFLICT (loan_id, kind, due_on) DO NOTHING",
            [day],
        )
    temp_table_drop("cob_settle")
    return len(rows)


def mark_overdue(day: dt.date, first_id: int, last_id: int) -> int:
    """What fell due today and is unpaid at the close becomes overdue; DPD counts from the oldest."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {LOAN} SET "
            "interest_overdue = ROUND(interest_overdue + x.interest, 2), "
            "interest_due = ROUND(interest_due - x.interest, 2), "
            "principal_overdue = ROUND(principal_overdue + x.principal, 2), "
            "oldest_due_date = COALESCE(oldest_due_date, %s), "
            "shadow_oldest_due_date = COALESCE(shadow_oldest_due_date, %s) "
            "FROM (SELECT loan_id, "
            "  SUM(CASE WHEN kind = 'interest' THEN amount - paid - compensated ELSE 0 END) AS interest, "
            "  SUM(CASE WHEN kind = 'principal' THEN amount - paid - compensated ELSE 0 END) AS principal "
            f"  FROM {DUE} WHERE due_on = %s AND settled_on IS NULL AND loan_id BETWEEN %s AND %s "
            "  GROUP BY loan_id) x "
            f"WHERE {LOAN}.id = x.loan_id AND {LOAN}.status = 'active'",
            [day, day, day, first_id, last_id],
        )
        changed = int(cursor.rowcount)
        # 当月内代偿: each amount that falls overdue raises a demand on the anchor.
        cursor.execute(
            f"INSERT INTO {DEMAND} "
            "(loan_id, program_id, raised_on, amount, compensated, unrecovered, status) "
            "SELECT d.loan_id, l.program_id, %s, SUM(d.amount - d.paid - d.compensated), 0, 0, 'open' "
            f"FROM {DUE} d JOIN {LOAN} l ON l.id = d.loan_id "
            "WHERE d.due_on = %s AND d.settled_on IS NULL AND d.loan_id BETWEEN %s AND %s "
            "AND l.status = 'active' "
            "GROUP BY d.loan_id, l.program_id HAVING SUM(d.amount - d.paid - d.compensated) > 0 "
            "ON CONFLICT (loan_id, raised_on) DO NOTHING",
            [day, day, first_id, last_id],
        )
        return changed


def _class_case(dpd_sql: str) -> str:
    """SQL CASE giving each class's severity from DPD, built from the one table of bands."""
    whens = " ".join(f"WHEN {dpd_sql} <= {limit} THEN {SEVERITY[cls]}" for limit, cls in DPD_BANDS)
    return f"CASE {whens} ELSE {SEVERITY[LoanClass.LOSS]} END"


def _severity_case(column: str) -> str:
    whens = " ".join(f"WHEN {column} = '{cls.value}' THEN {SEVERITY[cls]}" for cls in LoanClass)
    return f"CASE {whens} ELSE 0 END"


def _name_case(severity_sql: str) -> str:
    whens = " ".join(f"WHEN {severity_sql} = {SEVERITY[cls]} THEN '{cls.value}'" for cls in LoanClass)
    return f"CASE {whens} END"


def classify(day: dt.date, first_id: int, last_id: int) -> int:
    """五级分类 as of the next business date from its DPD, never better than a person's classification."""
    next_day = day + dt.timedelta(days=1)
    if is_postgres():
        dpd = "COALESCE(%(next)s::date - oldest_due_date, 0)"
        worst = f"GREATEST({_class_case(dpd)}, {_severity_case('manual_classification')})"
    else:
        dpd = "COALESCE(CAST(julianday(%(next)s) - julianday(oldest_due_date) AS INTEGER), 0)"
        worst = f"MAX({_class_case(dpd)}, {_severity_case('manual_classification')})"
    new_class = _name_case(worst)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {LOAN} SET classification = {new_class} "
            "WHERE status = 'active' AND id BETWEEN %(first)s AND %(last)s "
            "AND (oldest_due_date IS NOT NULL OR classification <> 'normal') "
            f"AND classification <> {new_class}",
            {"next": next_day, "first": first_id, "last": last_id},
        )
        return int(cursor.rowcount)


def expire_limits(day: dt.date) -> int:
    """Limits whose validity ends by the next business date stop being drawable."""
    return CreditLimit.objects.filter(
        status=CreditLimit.Status.ACTIVE, expires_on__lte=day + dt.timedelta(days=1)
    ).update(status=CreditLimit.Status.EXPIRED)
