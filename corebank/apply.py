"""The core's debits applied by the close of their value date (``servicing.settlement.BEFORE_OVERDUE``).

Inside each chunk of the settlement step, in its transaction: after the day's interest and principal have
fallen due and before what is unpaid moves to overdue. A debit is a farmer's payment made at the close of
its value date D, split by the repayment waterfall exactly as a payment at the counter on the morning of
D+1 would be before any of D's dues turned overdue: penalty, overdue interest, overdue principal, current
interest (with what accrued through D), current principal. What exceeds what the loan owes is not booked:
it is kept on the debit for refund. Every debit applied writes a ``Repayment`` and its ledger entries of
the same kinds as the counter's, so ``loans_reconcile`` and the reference model hold.

Two paths, one result (``tests/corebank/test_apply_paths.py``):

- set-based, for the whole chunk in a few statements: one debit for a loan the anchor never paid for, which
  either settles today (its charge is in ``cob_settle``, maturing or not, with or without overdue
  interest) or has no interest left to charge (matured, its principal overdue): the penalty accrued through
  D charged, the waterfall's five buckets computed in SQL, the dues paid oldest first by a running sum;
- exact, one loan at a time with the servicing functions, for the rest: a loan the anchor paid for (the
  farmer reimburses it first), a written-off loan, several debits of a loan, a debit on a day an unmatured
  loan does not settle (its interest so far is charged, due on the next 20th).

The close finds a chunk's debits in its queue (``PendingDebit``, by loan) and deletes each there as it
applies it; marking the debit itself applied writes no index (decision 31). A debit of an earlier value date
still queued (a file imported while the close of its day was running, in a chunk already done) is applied by
the next close. Re-running a chunk after a crash finds its debits queued again: the chunk's transaction took
back everything, the debits' states and the queue's deletes included.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db import connection
from django.db.models import F

from core.money import ZERO
from corebank.models import Debit, PendingDebit
from origination.models import Loan, LoanDue, LoanEntry, Repayment
from partners.services.margin import margin_program_lock
from servicing.interest import interest_charge
from servicing.recovery import recovery_due
from servicing.services.repayments import (
    accrued_interest,
    accrued_penalty,
    charge_accrued_penalty,
    interest_days_through,
    next_interest_date,
    payment_book,
    recovery_after_write_off_book,
    write_off_left,
)
from servicing.settlement import charges_post, penalty_sql
from servicing.waterfall import Allocation, Owed, allocate

LOAN = Loan._meta.db_table
DUE = LoanDue._meta.db_table
ENTRY = LoanEntry._meta.db_table
REPAYMENT = Repayment._meta.db_table
DEBIT = Debit._meta.db_table
QUEUE = PendingDebit._meta.db_table

# The chunk's debits the set-based path applies (emptied at each commit).
SET_TABLE = (
    "loan_id bigint PRIMARY KEY, debit_id bigint, recorded_by bigint, settles boolean, fresh boolean, "
    "matures boolean, principal_due numeric(18,2), charge numeric(18,2), "
    "penalty_from date, penalty_charge numeric(18,2), paid numeric(18,2), penalty numeric(18,2), "
    "overdue_interest numeric(18,2), overdue_principal numeric(18,2), current_interest numeric(18,2), "
    "current_principal numeric(18,2), refund numeric(18,2), repayment_id bigint"
)
# The exact path only, when False: the tests prove both paths book the same.
SET_BASED = True
# The chunk's queued debits of value date ``day`` or earlier.
_QUEUED = f"FROM {QUEUE} WHERE loan_id BETWEEN %(first)s AND %(last)s AND value_date <= %(day)s"


def debits_apply(day: dt.date, first_id: int, last_id: int) -> int:
    """Apply the queued debits of value date ``day`` (or earlier) of the loans ``first_id``–``last_id``.

    Returns how many debits were applied. A chunk without debits costs one index probe.
    """
    params: dict[str, Any] = {"day": day, "first": first_id, "last": last_id}
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*) {_QUEUED}", params)
        count = int(cursor.fetchone()[0])
    if not count:
        return 0
    applied = _set_based(params) if SET_BASED else 0
    if applied < count:
        _exact(params)
    return count


# What a debit owes, per loan, as ``debit_apply_exact`` computes it: the day's interest charge (a loan settling
# today) or nothing left to charge (a matured loan), and the penalty accrued through the day. Materialised, so
# that the penalty and the total are computed once a loan, not once for each bucket that reads them.
_OWED = (
    "SELECT l.id AS loan_id, d.debit_id, d.recorded_by, d.amount, s.loan_id IS NOT NULL AS settles, "
    # Settling with no interest due before today's charge: today's dues are new rows, written once with what
    # the debit pays of them (the others' are posted first, then paid like any open due).
    "s.loan_id IS NOT NULL AND l.interest_due = 0 AS fresh, COALESCE(s.matures, FALSE) AS matures, "
    "COALESCE(s.principal, 0) AS principal_due, COALESCE(s.charge, 0) AS charge, "
    "CASE WHEN s.matures THEN %(day)s ELSE l.penalty_through END AS penalty_from, "
    "l.penalty_base, l.annual_rate, l.penalty_markup, l.penalty_due, l.interest_overdue, l.principal_overdue, "
    "l.interest_due + COALESCE(s.charge, 0) AS current_interest, "
    "l.principal_outstanding - l.principal_overdue AS current_principal "
    "FROM (SELECT debit_id, loan_id, amount, recorded_by_id AS recorded_by, "
    f"COUNT(*) OVER (PARTITION BY loan_id) AS debits {_QUEUED}) d "
    f"JOIN {LOAN} l ON l.id = d.loan_id AND l.id BETWEEN %(first)s AND %(last)s "
    "LEFT JOIN cob_settle s ON s.loan_id = d.loan_id "
    # A loan's only debit (several go one at a time, in the order the core sent them).
    "WHERE d.debits = 1 "
    # A loan the anchor ever paid for goes one at a time: what the farmer pays may be owed to the anchor.
    "AND l.status = 'active' AND l.compensated = 0 AND NOT (l.penalty_through IS NULL AND l.penalty_base <> 0) "
    # Settling today (its charge is in cob_settle), or with no interest left to charge (matured): a debit on
    # another day charges the interest accrued so far, due on the next 20th, and goes one at a time.
    "AND (s.loan_id IS NOT NULL OR (l.interest_base = 0 AND l.accrued_through >= LEAST(%(day)s, l.maturity_on)))"
)
_PENALTY = penalty_sql(
    "o.penalty_base + o.principal_overdue * GREATEST(%(day)s - o.penalty_from, 0)", "o.annual_rate", "o.penalty_markup"
)
_CHARGED = f"SELECT o.*, CASE WHEN o.penalty_from IS NULL THEN 0 ELSE {_PENALTY} END AS penalty_charge FROM ({_OWED}) o"
_BUCKETS = ("penalty_owed", "interest_overdue", "principal_overdue", "current_interest", "current_principal")
# What a debit of cob_debit_set paid of interest and of principal, overdue and current together.
_INTEREST_PAID = "(overdue_interest + current_interest)"
_PRINCIPAL_PAID = "(overdue_principal + current_principal)"
# The waterfall: each bucket takes what the payment leaves after every bucket before it is paid in full (the
# payment never exceeds the total, so the last bucket takes the rest).
_SPLIT = ", ".join(
    f"LEAST(GREATEST(w.paid - {' - '.join(['0', *(f'w.{b}' for b in _BUCKETS[:k])])}, 0), w.{bucket})"
    for k, bucket in enumerate(_BUCKETS)
)


def _set_based(params: dict[str, Any]) -> int:
    """The chunk's debits of a single payment each, for an uncompensated loan settling today or matured, at
    once; the debits it applies leave the queue and their loans ``cob_settle``. Returns how many."""
    total = "h.penalty_due + h.penalty_charge + " + " + ".join(f"h.{bucket}" for bucket in _BUCKETS[1:])
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TEMPORARY TABLE IF NOT EXISTS cob_debit_set ({SET_TABLE}) ON COMMIT DELETE ROWS")
        cursor.execute("TRUNCATE cob_debit_set")
        cursor.execute(
            "WITH c AS MATERIALIZED (SELECT h.*, h.penalty_due + h.penalty_charge AS penalty_owed, "
            f"{total} AS total FROM ({_CHARGED}) h), "
            "w AS (SELECT c.*, LEAST(c.amount, c.total) AS paid FROM c WHERE c.total > 0) "
            "INSERT INTO cob_debit_set (loan_id, debit_id, recorded_by, settles, fresh, matures, principal_due, "
            "charge, penalty_from, penalty_charge, paid, penalty, overdue_interest, overdue_principal, "
            "current_interest, current_principal, refund, repayment_id) "
            "SELECT w.loan_id, w.debit_id, w.recorded_by, w.settles, w.fresh, w.matures, w.principal_due, "
            "w.charge, w.penalty_from, w.penalty_charge, "
            # Every debit here pays something: its repayment's id is drawn now, so that the repayment, its
            # entries and the debit are written from this table without reading the ids back.
            f"w.paid, {_SPLIT}, w.amount - w.paid, nextval(%(repayment_ids)s) FROM w",
            params | {"repayment_ids": _repayment_sequence(cursor)},
        )
        applied = int(cursor.rowcount)
        if not applied:
            return 0
        # Not analysed: the planner's estimate from the table's size is enough for the joins below (by loan,
        # debit and due), and sampling a chunk's hundred thousand wide rows cost more than it saved.
        _book_set(cursor, params)
        cursor.execute("DELETE FROM cob_settle c USING cob_debit_set s WHERE c.loan_id = s.loan_id")
        cursor.execute(
            f"UPDATE {DEBIT} d SET state = CASE WHEN s.refund > 0 THEN 'partly_applied' ELSE 'applied' END, "
            "applied = s.paid, refund = s.refund, repayment_id = s.repayment_id "
            "FROM cob_debit_set s WHERE d.id = s.debit_id"
        )
        cursor.execute(f"DELETE FROM {QUEUE} q USING cob_debit_set s WHERE q.debit_id = s.debit_id")
    return applied


# Each open due of a loan in cob_debit_set with the part of its bucket's payment it takes, oldest first:
# interest due before today takes the overdue interest, today's and later the current interest; principal
# due before today the overdue principal, today's (maturity) the current principal. A fresh loan's dues of
# today are not among them: they were written with what the debit pays.
_DUE_PARTS = (
    "SELECT x.id, LEAST(x.remaining, GREATEST(x.pay - (x.running - x.remaining), 0)) AS part, x.remaining "
    "FROM (SELECT u.id, u.amount - u.paid - u.compensated AS remaining, "
    "CASE WHEN u.kind = 'interest' AND u.due_on < %(day)s THEN s.overdue_interest "
    "WHEN u.kind = 'interest' THEN s.current_interest "
    "WHEN u.due_on < %(day)s THEN s.overdue_principal "
    "WHEN u.due_on = %(day)s THEN s.current_principal ELSE 0 END AS pay, "
    "SUM(u.amount - u.paid - u.compensated) OVER (PARTITION BY u.loan_id, u.kind, "
    "CASE WHEN u.due_on < %(day)s THEN 0 WHEN u.due_on = %(day)s OR u.kind = 'interest' THEN 1 ELSE 2 END "
    "ORDER BY u.due_on ROWS UNBOUNDED PRECEDING) AS running "
    f"FROM {DUE} u JOIN cob_debit_set s ON s.loan_id = u.loan_id WHERE u.settled_on IS NULL "
    # A fresh loan's dues of today were written paid: only what was overdue is left to pay.
    "AND (NOT s.fresh OR (u.due_on < %(day)s AND s.overdue_interest + s.overdue_principal > 0))) x"
)


def _book_set(cursor: Any, params: dict[str, Any]) -> None:
    """Today's charges of these loans, the repayments, their entries, the dues paid and the loans' balances
    of ``cob_debit_set``."""
    # A loan with interest due before today's charge: its charges posted as the settlement posts them, and
    # paid below with its other open dues.
    charges_post(params["day"], only="SELECT loan_id FROM cob_debit_set WHERE settles AND NOT fresh")
    # A fresh loan's interest due today is written once, with what the debit pays of it (a due of today
    # already settled, by an earlier payment at the counter, takes the charge and the payment as well).
    cursor.execute(
        f"INSERT INTO {DUE} AS u (loan_id, kind, due_on, amount, paid, compensated, settled_on) "
        "SELECT loan_id, 'interest', %(day)s, charge, current_interest, 0, "
        "CASE WHEN current_interest = charge THEN %(day)s END FROM cob_debit_set WHERE fresh AND charge > 0 "
        "ON CONFLICT (loan_id, kind, due_on) DO UPDATE SET amount = u.amount + excluded.amount, "
        "paid = u.paid + excluded.paid, settled_on = CASE WHEN u.amount + excluded.amount - u.paid - excluded.paid "
        "- u.compensated = 0 THEN %(day)s END",
        params,
    )
    cursor.execute(
        f"INSERT INTO {DUE} (loan_id, kind, due_on, amount, paid, compensated, settled_on) "
        "SELECT loan_id, 'principal', %(day)s, principal_due, current_principal, 0, "
        "CASE WHEN current_principal = principal_due THEN %(day)s END FROM cob_debit_set "
        "WHERE fresh AND matures AND principal_due > 0 ON CONFLICT (loan_id, kind, due_on) DO NOTHING",
        params,
    )
    # Any other column of a repayment takes its model default (a repayment's share to the anchor, say: none).
    others = _repayment_defaults()
    columns = "".join(f", {column}" for column in others)
    values = "".join(f", %({column})s" for column in others)
    cursor.execute(
        f"INSERT INTO {REPAYMENT} "
        f"(id, loan_id, business_date, amount, penalty, interest, principal, recorded_by_id, created_at{columns}) "
        f"SELECT repayment_id, loan_id, %(day)s, paid, penalty, {_INTEREST_PAID}, {_PRINCIPAL_PAID}, recorded_by, "
        f"CURRENT_TIMESTAMP{values} FROM cob_debit_set",
        params | others,
    )
    # The ledger in one statement: a fresh loan's charge of today, the penalty charged through today, and the
    # repayment's split, each entry where it is above zero.
    ledger = (
        ("interest_charge", "charge", "NULL::bigint", "fresh AND "),
        ("penalty_charge", "penalty_charge", "NULL::bigint", ""),
        ("repaid_penalty", "penalty", "repayment_id", ""),
        ("repaid_interest", _INTEREST_PAID, "repayment_id", ""),
        ("repaid_principal", _PRINCIPAL_PAID, "repayment_id", ""),
    )
    cursor.execute(
        f"INSERT INTO {ENTRY} (loan_id, business_date, kind, amount, repayment_id, created_at) "
        + " UNION ALL ".join(
            f"SELECT loan_id, %(day)s, '{kind}', {amount}, {repayment}, CURRENT_TIMESTAMP "
            f"FROM cob_debit_set WHERE {only}{amount} > 0"
            for kind, amount, repayment, only in ledger
        ),
        params,
    )
    cursor.execute(
        f"UPDATE {DUE} u SET paid = u.paid + p.part, "
        "settled_on = CASE WHEN p.part = p.remaining THEN %(day)s ELSE u.settled_on END "
        f"FROM ({_DUE_PARTS}) p WHERE u.id = p.id AND p.part > 0",
        params,
    )
    # The loan as the exact path leaves it: the day's charge booked (a settling loan's), the penalty charged
    # through today, the payment taken off its buckets, its oldest unpaid due dates read again from the dues
    # and closed when nothing is left.
    penalty_due = "l.penalty_due + s.penalty_charge - s.penalty"
    interest_due = "l.interest_due + s.charge - s.current_interest"
    outstanding = "l.principal_outstanding - s.overdue_principal - s.current_principal"
    closes = (
        f"({outstanding} = 0 AND {interest_due} = 0 AND l.interest_overdue - s.overdue_interest = 0 "
        f"AND {penalty_due} = 0)"
    )
    cursor.execute(
        f"UPDATE {LOAN} l SET penalty_due = {penalty_due}, interest_due = {interest_due}, "
        "interest_overdue = l.interest_overdue - s.overdue_interest, "
        "principal_overdue = l.principal_overdue - s.overdue_principal, "
        f"principal_outstanding = {outstanding}, interest_base = 0, "
        "accrued_through = GREATEST(l.accrued_through, %(day)s), "
        "penalty_base = CASE WHEN s.penalty_from IS NULL THEN l.penalty_base ELSE 0 END, "
        "penalty_through = CASE WHEN s.penalty_from IS NULL THEN l.penalty_through "
        "ELSE GREATEST(s.penalty_from, %(day)s) END, "
        # Only a payment of what was overdue settles a due older than today: the dates are read again only then.
        "oldest_due_date = CASE WHEN s.overdue_interest + s.overdue_principal = 0 THEN l.oldest_due_date ELSE "
        f"(SELECT MIN(u.due_on) FROM {DUE} u WHERE u.loan_id = l.id AND u.settled_on IS NULL "
        "AND u.due_on < %(day)s) END, "
        "shadow_oldest_due_date = CASE WHEN s.overdue_interest + s.overdue_principal = 0 "
        f"THEN l.shadow_oldest_due_date ELSE (SELECT MIN(u.due_on) FROM {DUE} u WHERE u.loan_id = l.id "
        "AND u.due_on < %(day)s AND u.paid < u.amount) END, "
        f"status = CASE WHEN {closes} THEN 'closed' ELSE l.status END, "
        f"closed_on = CASE WHEN {closes} THEN %(day)s ELSE l.closed_on END, updated_at = CURRENT_TIMESTAMP "
        "FROM cob_debit_set s WHERE l.id = s.loan_id AND l.id BETWEEN %(first)s AND %(last)s",
        params,
    )


def _repayment_sequence(cursor: Any) -> str:
    """The name of the sequence that numbers repayments."""
    cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [REPAYMENT])
    return str(cursor.fetchone()[0])


def _repayment_defaults() -> dict[str, Any]:
    """The columns of a repayment the set-based path does not fill, with their model defaults."""
    filled = {"id", "loan_id", "business_date", "amount", "penalty", "interest", "principal", "recorded_by_id"}
    filled.add("created_at")
    return {
        field.column: field.get_default()
        for field in Repayment._meta.concrete_fields
        if field.column not in filled and field.has_default()
    }


def _exact(params: dict[str, Any]) -> None:
    """The chunk's debits left in the queue, one at a time in the order the core sent them, per loan."""
    day = params["day"]
    # The queue's loans of the chunk as a subquery of literals (a date and two integers) for charges_post.
    queued = (
        f"SELECT loan_id FROM {QUEUE} WHERE loan_id BETWEEN {int(params['first'])} AND {int(params['last'])} "
        f"AND value_date <= DATE '{day.isoformat()}'"
    )
    with connection.cursor() as cursor:
        # The day's charges of these loans posted and booked on their rows first, as the settlement would
        # have, so that the servicing functions see a loan as it stands after today's settlement.
        charges_post(day, only=queued)
        cursor.execute(
            f"UPDATE {LOAN} l SET interest_due = l.interest_due + s.charge, interest_base = 0, "
            "accrued_through = %(day)s, "
            "penalty_through = CASE WHEN s.matures THEN %(day)s ELSE l.penalty_through END "
            f"FROM cob_settle s WHERE l.id = s.loan_id AND s.loan_id IN ({queued}) AND l.status = 'active'",
            params,
        )
        cursor.execute(f"DELETE FROM cob_settle WHERE loan_id IN ({queued})")
        cursor.execute(f"SELECT debit_id, loan_id, amount, recorded_by_id {_QUEUED} ORDER BY loan_id, debit_id", params)
        pending = cursor.fetchall()
    for debit_id, loan_id, amount, recorded_by in pending:
        repayment, applied = debit_apply_exact(loan_id=loan_id, amount=amount, day=day, recorded_by_id=recorded_by)
        refund = amount - applied
        Debit.objects.filter(pk=debit_id).update(
            state=Debit.State.PARTLY_APPLIED if refund > 0 else Debit.State.APPLIED,
            applied=applied,
            refund=refund,
            repayment=repayment,
        )
    # The applied debits leave the queue together, in the chunk's transaction like their work.
    PendingDebit.objects.filter(pk__in=[debit_id for debit_id, _loan, _amount, _recorder in pending]).delete()


def debit_owed(loan: Loan, day: dt.date) -> Owed:
    """What a payment at the close of ``day`` faces: the day's charges and what accrued through ``day``."""
    return Owed(
        penalty=loan.penalty_due + accrued_penalty(loan, day),
        overdue_interest=loan.interest_overdue,
        overdue_principal=loan.principal_overdue,
        current_interest=loan.interest_due + accrued_interest(loan, day),
        current_principal=loan.principal_outstanding - loan.principal_overdue,
    )


def debit_apply_exact(
    *, loan_id: int, amount: Decimal, day: dt.date, recorded_by_id: int
) -> tuple[Repayment | None, Decimal]:
    """One debit paid into one loan at the close of ``day``: (the repayment, the amount applied).

    ``repayment_record``'s steps, as of the end of ``day``: first what the farmer owes the anchor for what
    it paid for him (追偿, ``servicing.recovery``); then the interest and penalty accrued through ``day``
    charged, and the waterfall; on a written-off loan, a recovery after write-off. What the loan does not
    owe is not applied.
    """
    peek = Loan.objects.get(pk=loan_id)
    if peek.compensated > peek.recovered:
        # Reimbursing the margin writes to it: the programme's lock first, as every margin write takes it.
        margin_program_lock(peek.program_id)
    loan = Loan.objects.select_for_update().get(pk=loan_id)
    if loan.status == Loan.Status.WRITTEN_OFF:
        recovered = min(amount, write_off_left(loan))
        if recovered <= 0:
            return None, ZERO
        return recovery_after_write_off_book(loan, recovered, day, recorded_by_id=recorded_by_id), recovered
    to_anchor = min(amount, recovery_due(loan))
    owed = debit_owed(loan, day) if loan.status == Loan.Status.ACTIVE else Owed()
    rest = min(amount - to_anchor, owed.total)
    if to_anchor + rest <= 0:
        return None, ZERO
    allocation = allocate(rest, owed) if rest > 0 else Allocation()
    if rest > 0:
        _charge_interest_through(loan, day)
        charge_accrued_penalty(loan, day, day)
    repayment = payment_book(loan, to_anchor, allocation, day, recorded_by_id=recorded_by_id)
    if allocation.current_principal > 0:
        _principal_due_today_pay(loan, allocation.current_principal, day)
    return repayment, to_anchor + rest


def _charge_interest_through(loan: Loan, day: dt.date) -> None:
    """``charge_accrued_interest`` through ``day`` itself, booked on ``day`` (the counter's books it the day
    after, through the day before), due where the counter's would be."""
    loan.interest_base = interest_days_through(loan, day)
    loan.accrued_through = max(loan.accrued_through, day)
    if loan.interest_base == 0:
        return
    amount = interest_charge(loan.interest_base, loan.annual_rate)
    loan.interest_base = ZERO
    if amount == 0:
        return
    due_on = next_interest_date(loan, day + dt.timedelta(days=1))
    LoanEntry.objects.create(loan=loan, business_date=day, kind=LoanEntry.Kind.INTEREST_CHARGE, amount=amount)
    due, _created = LoanDue.objects.get_or_create(
        loan=loan, kind=LoanDue.Kind.INTEREST, due_on=due_on, defaults={"amount": ZERO}
    )
    LoanDue.objects.filter(pk=due.pk).update(amount=F("amount") + amount, settled_on=None)
    loan.interest_due += amount


def _principal_due_today_pay(loan: Loan, amount: Decimal, day: dt.date) -> None:
    """At maturity the principal fell due today and is still current: what the debit paid of it settles it,
    so that only the rest moves to overdue."""
    due = LoanDue.objects.select_for_update().filter(
        loan=loan, kind=LoanDue.Kind.PRINCIPAL, due_on=day, settled_on__isnull=True
    )
    for row in due:
        part = min(amount, row.remaining)
        row.paid += part
        if row.remaining == 0:
            row.settled_on = day
        row.save(update_fields=["paid", "settled_on"])
