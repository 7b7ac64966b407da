"""The loan book's daily steps (日终), set-based over a range of loan ids.

Each function closes one step of day ``day`` for the active loans with ids in
``[first_id, last_id]``; the close of business (postloan) runs them in order,
chunk by chunk, and records each chunk as done in the same transaction, so a
crash never leaves a chunk half done and a re-run skips what is done.

Interest needs no daily write: principal-days are kept as a base plus the day
it runs to (see ``Loan``), so ``settle`` turns them into a charge only on a
20th or at maturity. Charges are computed by SQL with the formula of
``servicing.interest.interest_charge`` (``charge_sql``: one rounding, to the
same fen as the reference model, which the tests check), and additions and
comparisons too, over the whole range.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.db import connection

from origination.models import CompensationDemand, CreditLimit, CreditLimitChange, Loan, LoanDue, LoanEntry
from origination.schedule import SETTLEMENT_DAY
from risk.classification import DPD_BANDS, SEVERITY, LoanClass
from servicing.interest import DAY_COUNT

LOAN = Loan._meta.db_table
DUE = LoanDue._meta.db_table
ENTRY = LoanEntry._meta.db_table
LIMIT = CreditLimit._meta.db_table
LIMIT_CHANGE = CreditLimitChange._meta.db_table
DEMAND = CompensationDemand._meta.db_table
SETTLE_TABLE = "loan_id bigint PRIMARY KEY, charge numeric(18,2), principal numeric(18,2), matures boolean"


# What other apps do inside each chunk's settlement, after the day's charges are posted and before what is
# unpaid today moves to overdue: the core system's debits of the day (``corebank.apply``, registered by its
# app). Each is called with (day, first_id, last_id) in the chunk's transaction, while ``cob_settle`` holds
# the loans settling today with their charges, not yet posted: a hook posts the charges of the loans it
# touches itself (``charges_post`` with ``only``, or rows of its own with what it pays of them already on
# the dues, so that a due is not written twice) and books them on the loan (interest due, principal-days,
# penalty clock), then deletes the loan's row from ``cob_settle``; what is left is posted after the hooks.
# Registered, not imported: servicing sits below the apps that send money in.
BEFORE_OVERDUE: list[Callable[[dt.date, int, int], object]] = []


def settle(day: dt.date, first_id: int, last_id: int) -> int:
    """Charge interest on the 20th and at maturity (at maturity the principal falls due too); then what
    fell due today and is unpaid at the close becomes overdue, DPD counting from the oldest unpaid due.

    Both in one update of each loan row: on the 20th every active loan settles and, unpaid at the
    close, falls overdue; as two steps, each wrote a new version of every loan row. Each
    amount that falls overdue raises a demand on the anchor (当月内代偿). The loan's class as of the
    next business date is written in the same update; ``classify`` still runs after compensation, and
    corrects any loan a month-end deduction cleared. Between the charges computed and the move to overdue
    the ``BEFORE_OVERDUE`` hooks run: a farmer whose account the core debited today is not overdue tomorrow.
    Returns the number of loans updated.
    """
    settling = _charges_fill(day, first_id, last_id)
    for before_overdue in BEFORE_OVERDUE:
        before_overdue(day, first_id, last_id)
    if settling:
        charges_post(day)
    return _loans_move(day, first_id, last_id)


def charge_sql(principal_days: str, rate: str) -> str:
    """``servicing.interest.interest_charge`` in SQL: principal-days × rate / 360, rounded half up to the fen.

    The same number as the Python function, to the fen: the product is exact (NUMERIC), and the
    quotient is carried to 20 places before the one rounding. A quotient by 360 of a product with
    eight places ends, from its 13th place, in one digit repeated, never a 9, so no carry from there
    can reach the fen; Python's 28 significant digits carry it further still. ``round`` takes halves
    away from zero, which for a charge (never negative) is half up.
    """
    return f"round(({principal_days}) * ({rate}) / CAST({DAY_COUNT} AS NUMERIC(23, 20)), 2)"


def penalty_sql(principal_days: str, rate: str, markup: str) -> str:
    """``servicing.interest.penalty_charge`` in SQL: overdue principal-days × rate × (1 + markup) / 360, to the
    fen. The product is exact, as in Python, and the same argument as ``charge_sql``'s keeps the quotient's
    rounding off the fen (a markup adds two places to the product; the digit repeated starts later)."""
    return charge_sql(principal_days, f"({rate}) * (1 + ({markup}))")


def _charges_fill(day: dt.date, first_id: int, last_id: int) -> int:
    """(loan, interest charge, principal falling due, matures) of the loans that settle today, computed
    by SQL into the temporary table the set-based statements join (``cob_settle``); returns how many.

    Principal-days run from the base to the day (never past maturity). The table is emptied at each
    commit and truncated before use (no dead rows pile up over a session's chunks). On the 20th a
    chunk's hundred thousand loans are neither fetched nor sent back.
    """
    days = "GREATEST(LEAST(%(day)s, maturity_on) - accrued_through, 0)"
    principal_days = f"interest_base + principal_outstanding * {days}"
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TEMPORARY TABLE IF NOT EXISTS cob_settle ({SETTLE_TABLE}) ON COMMIT DELETE ROWS")
        cursor.execute("TRUNCATE cob_settle")
        cursor.execute(
            "INSERT INTO cob_settle (loan_id, charge, principal, matures) "
            f"SELECT id, {charge_sql(principal_days, 'annual_rate')}, "
            "CASE WHEN maturity_on = %(day)s THEN principal_outstanding ELSE 0 END, maturity_on = %(day)s "
            f"FROM {LOAN} "
            "WHERE status = 'active' AND id BETWEEN %(first)s AND %(last)s AND disbursed_on <= %(day)s "
            "AND (maturity_on = %(day)s OR (%(settlement)s AND maturity_on > %(day)s))",
            {"day": day, "first": first_id, "last": last_id, "settlement": day.day == SETTLEMENT_DAY},
        )
        count = int(cursor.rowcount)
        cursor.execute("ANALYZE cob_settle")  # a temporary table has no statistics until asked
    return count


def charges_post(day: dt.date, only: str = "") -> None:
    """The charges in ``cob_settle`` into the ledger, and the amounts due today; ``only``: a subquery of
    the loan ids to post (a hook posting those it pays before the rest)."""
    among = f" AND loan_id IN ({only})" if only else ""
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {ENTRY} (loan_id, business_date, kind, amount, created_at) "
            "SELECT loan_id, %s, 'interest_charge', charge, CURRENT_TIMESTAMP "
            f"FROM cob_settle WHERE charge > 0{among}",
            [day],
        )
        cursor.execute(
            f"INSERT INTO {DUE} (loan_id, kind, due_on, amount, paid, compensated) "
            f"SELECT loan_id, 'interest', %s, charge, 0, 0 FROM cob_settle WHERE charge > 0{among} "
            "ON CONFLICT (loan_id, kind, due_on) DO UPDATE SET "
            f"amount = {DUE}.amount + excluded.amount, settled_on = NULL",
            [day],
        )
        cursor.execute(
            f"INSERT INTO {DUE} (loan_id, kind, due_on, amount, paid, compensated) "
            "SELECT loan_id, 'principal', %s, principal, 0, 0 FROM cob_settle "
            f"WHERE matures AND principal > 0{among} "
            "ON CONFLICT (loan_id, kind, due_on) DO NOTHING",
            [day],
        )


def _loans_move(day: dt.date, first_id: int, last_id: int) -> int:
    """One update per loan that settled (``cob_settle``) or has a due today still unpaid, and the demands.

    A settled loan's charge goes to interest due; what is unpaid of today's dues (those just charged
    included) moves from due to overdue, and sets the oldest due date, bank's and shadow, and the class.
    """
    params: dict[str, Any] = {"day": day, "next": day + dt.timedelta(days=1), "first": first_id, "last": last_id}
    unpaid_today = (
        "SELECT loan_id, "
        "SUM(CASE WHEN kind = 'interest' THEN amount - paid - compensated ELSE 0 END) AS interest, "
        "SUM(CASE WHEN kind = 'principal' THEN amount - paid - compensated ELSE 0 END) AS principal "
        f"FROM {DUE} WHERE due_on = %(day)s AND settled_on IS NULL AND loan_id BETWEEN %(first)s AND %(last)s "
        "GROUP BY loan_id"
    )
    moves = (
        "SELECT COALESCE(s.loan_id, u.loan_id) AS loan_id, s.loan_id IS NOT NULL AS settles, "
        "COALESCE(s.matures, FALSE) AS matures, COALESCE(s.charge, 0) AS charge, "
        "u.loan_id IS NOT NULL AS unpaid, COALESCE(u.interest, 0) AS interest, COALESCE(u.principal, 0) AS principal "
        f"FROM cob_settle s FULL JOIN ({unpaid_today}) u ON u.loan_id = s.loan_id"
    )
    update = (
        f"UPDATE {LOAN} SET "
        "interest_base = CASE WHEN x.settles THEN 0 ELSE interest_base END, "
        "accrued_through = CASE WHEN x.settles THEN %(day)s ELSE accrued_through END, "
        "penalty_through = CASE WHEN x.matures THEN %(day)s ELSE penalty_through END, "
        "interest_due = interest_due + x.charge - x.interest, "
        "interest_overdue = interest_overdue + x.interest, "
        "principal_overdue = principal_overdue + x.principal, "
        "oldest_due_date = CASE WHEN x.unpaid THEN COALESCE(oldest_due_date, %(day)s) ELSE oldest_due_date END, "
        "shadow_oldest_due_date = CASE WHEN x.unpaid THEN COALESCE(shadow_oldest_due_date, %(day)s) "
        "ELSE shadow_oldest_due_date END, "
        f"classification = CASE WHEN x.unpaid THEN {_class_sql('COALESCE(oldest_due_date, %(day)s)')} "
        "ELSE classification END "
        f"FROM ({moves}) x "
        # The id range as well as the join: the loans are then read by primary key, one chunk's worth,
        # never the whole table once per chunk.
        f"WHERE {LOAN}.id = x.loan_id AND {LOAN}.id BETWEEN %(first)s AND %(last)s AND {LOAN}.status = 'active'"
    )
    demand_columns = f"{DEMAND} (loan_id, program_id, raised_on, amount, compensated, unrecovered, status)"
    with connection.cursor() as cursor:
        # One statement: the loans the update moved hand their programme and amount straight to
        # the demands, so today's dues are read once and the loans are not joined again.
        cursor.execute(
            f"WITH moved AS ({update} "
            f"RETURNING {LOAN}.id, {LOAN}.program_id, x.unpaid, x.interest + x.principal AS amount), "
            f"raised AS (INSERT INTO {demand_columns} "
            "SELECT id, program_id, %(day)s, amount, 0, 0, 'open' FROM moved WHERE unpaid AND amount > 0 "
            "ON CONFLICT (loan_id, raised_on) DO NOTHING) "
            "SELECT COUNT(*) FROM moved",
            params,
        )
        return int(cursor.fetchone()[0])


def _class_case(dpd_sql: str) -> str:
    """SQL CASE giving each class's severity from DPD, built from the one table of bands."""
    whens = " ".join(f"WHEN {dpd_sql} <= {limit} THEN {SEVERITY[cls]}" for limit, cls in DPD_BANDS)
    return f"CASE {whens} ELSE {SEVERITY[LoanClass.LOSS]} END"


def _severity_case(column: str) -> str:
    whens = " ".join(f"WHEN {column} = '{cls.value}' THEN {SEVERITY[cls]}" for cls in LoanClass)
    return f"CASE {whens} ELSE 0 END"


def _class_sql(oldest_due_sql: str) -> str:
    """The class as of ``%(next)s`` of a loan whose oldest unpaid due date is ``oldest_due_sql``.

    The worse of the DPD band and a person's classification. The severity indexes an array of the
    names, so it is computed once per row rather than once per class.
    """
    manual = _severity_case("manual_classification")
    worst = f"GREATEST({_class_case(f'COALESCE(%(next)s::date - {oldest_due_sql}, 0)')}, {manual})"
    by_severity = {severity: cls for cls, severity in SEVERITY.items()}
    names = ", ".join(f"'{by_severity[severity].value}'" for severity in range(len(by_severity)))
    return f"(ARRAY[{names}]::varchar[])[{worst} + 1]"


def classify(day: dt.date, first_id: int, last_id: int) -> int:
    """五级分类 as of the next business date from its DPD, never better than a person's classification.

    Only loans that are overdue or not normal can change; ``settle`` already classified the
    loans that fell overdue today, so on the 20th this finds little to write.
    """
    new_class = _class_sql("oldest_due_date")
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {LOAN} SET classification = {new_class} "
            "WHERE status = 'active' AND id BETWEEN %(first)s AND %(last)s "
            "AND (oldest_due_date IS NOT NULL OR classification <> 'normal') "
            f"AND classification <> {new_class}",
            {"next": day + dt.timedelta(days=1), "first": first_id, "last": last_id},
        )
        return int(cursor.rowcount)


def expire_limits(day: dt.date) -> int:
    """Live limits (active or frozen) whose validity ends by the next business date stop being live, each
    expiry recorded as a change of the limit by the close (no actor), in one statement: a frozen limit
    that reaches its end expires too, since lifting the freeze could no longer make it lend."""
    live = ", ".join(f"'{status}'" for status in CreditLimit.LIVE_STATUSES)
    with connection.cursor() as cursor:
        cursor.execute(
            f"WITH due AS (SELECT id, status FROM {LIMIT} WHERE status IN ({live}) AND expires_on <= %(by)s "
            "FOR UPDATE), "
            f"gone AS (UPDATE {LIMIT} c SET status = %(expired)s FROM due WHERE c.id = due.id "
            "RETURNING c.id, due.status AS from_status) "
            f"INSERT INTO {LIMIT_CHANGE} (credit_limit_id, kind, from_status, to_status, from_amount, to_amount, "
            "actor_id, business_date, reason, event_id, created_at) "
            "SELECT id, %(kind)s, from_status, %(expired)s, NULL, NULL, NULL, %(day)s, '', NULL, now() FROM gone",
            {
                "by": day + dt.timedelta(days=1),
                "expired": CreditLimit.Status.EXPIRED.value,
                "kind": CreditLimitChange.Kind.EXPIRED.value,
                "day": day,
            },
        )
        return int(cursor.rowcount)
