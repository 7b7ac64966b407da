"""The dashboards' daily aggregates (看板日汇总): a few set-based statements per business date.

The close of ``day`` writes the figures of ``day + 1``, the business date it
opens: the lending figures and cross-selling beside the warning run
(``lending_figures_step``), the warnings' figures after it has raised that
date's warnings (``aggregates_step``). Each table is rewritten for the day with a DELETE and one
``SELECT … GROUP BY`` (its rows inserted after) in a single transaction, so a day written twice
is written once, and a stopped close that runs again leaves the same rows.

Three parts, of which two can be written again for any past day:

* lending figures (``DailyNodeFigures``) are a snapshot of the book's running
  balances and classifications, which keep no history: they are right only
  when written by the close itself;
* cross-selling (``DailyCrossSelling``) and warnings (``DailyWarningFigures``,
  ``DailyWarningCloseTimes``) are derived from dates alone (disbursed and
  closed on, opened on, raised and closed on), so ``aggregates_rebuild`` can
  write them again for past days, e.g. after a file of product holdings with
  past opening dates comes in.

Dates are parameters.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db import connection, transaction

from core.bulk import temp_table_fill
from origination.figures import CLASSES, LOAN_COUNT, active_loans_sql, limits_in_force_sql, loan_sums_sql
from origination.models import CreditLimit, Loan
from partners.models import ProductHolding
from postloan.models import RiskWarning
from postloan.models_dashboards import (
    AggregateDay,
    DailyCrossSelling,
    DailyNodeFigures,
    DailyWarningCloseTimes,
    DailyWarningFigures,
)

LOAN = Loan._meta.db_table
LIMIT = CreditLimit._meta.db_table
HOLDING = ProductHolding._meta.db_table
WARNING = RiskWarning._meta.db_table
NODE_FIGURES = DailyNodeFigures._meta.db_table
CROSS_SELLING = DailyCrossSelling._meta.db_table
WARNING_FIGURES = DailyWarningFigures._meta.db_table
CLOSE_TIMES = DailyWarningCloseTimes._meta.db_table

HANDLED = "('confirmed_risk', 'false_alarm')"  # closed by a person; 'cleared' is the warning run's own


# Customers are loans less the second and later active loans of a farmer in the same node (and
# programme): counting distinct farmers over the whole book would sort a million rows, while the
# farmers with more than one active loan come in order from the (farmer, status) index. The close
# puts them in this temporary table once for both the lending and the cross-selling figures.
SEVERAL_LOANS = "aggregate_several_loans"
SEVERAL_LOANS_SQL = (
    f"SELECT m.farmer_id FROM {LOAN} m WHERE m.status = 'active' GROUP BY m.farmer_id HAVING COUNT(*) > 1"
)

# The book's figures of ``origination.figures``, in the order of the table's columns.
LOAN_FIGURES = (
    "outstanding",
    "npl",
    *CLASSES,
    "principal_overdue",
    "interest_overdue",
    "compensated",
    "shadow_delinquent",
)
NODE_FIGURES_COLUMNS = (
    "day, org_node_id, program_id, loans, customers, outstanding, npl, normal, special_mention, substandard, "
    "doubtful, loss, principal_overdue, interest_overdue, compensated, shadow_delinquent, limits_approved, limits_count"
)
NODE_FIGURES_SQL = f"""
SELECT %(day)s, org_node_id, program_id, SUM(loans), SUM(customers), SUM(outstanding), SUM(npl), SUM(normal),
    SUM(special_mention), SUM(substandard), SUM(doubtful), SUM(loss), SUM(principal_overdue),
    SUM(interest_overdue), SUM(compensated), SUM(shadow_delinquent), SUM(limits_approved), SUM(limits_count)
FROM (
    SELECT l.org_node_id, l.program_id, {loan_sums_sql((LOAN_COUNT,))}, COUNT(*) AS customers,
        {loan_sums_sql(LOAN_FIGURES)},
        0 AS limits_approved, 0 AS limits_count
    FROM {LOAN} l WHERE {active_loans_sql()}
    GROUP BY l.org_node_id, l.program_id
    UNION ALL
    SELECT l.org_node_id, l.program_id, 0, COUNT(DISTINCT l.farmer_id) - COUNT(*), 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0
    FROM {LOAN} l WHERE l.status = 'active' AND l.farmer_id IN (SELECT farmer_id FROM {SEVERAL_LOANS})
    GROUP BY l.org_node_id, l.program_id
    UNION ALL
    SELECT c.org_node_id, c.program_id, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, SUM(c.amount), COUNT(*)
    FROM {LIMIT} c
    WHERE {limits_in_force_sql("c", "%(day)s")}
    GROUP BY c.org_node_id, c.program_id
) parts
GROUP BY org_node_id, program_id
"""

# Borrowers at the start of ``day``: a loan drawn by the day before and not paid off before the day.
CROSS_SELLING_COLUMNS = "day, org_node_id, program_id, product_id, borrowers"
CROSS_SELLING_SQL = f"""
WITH b AS (
    SELECT DISTINCT l.org_node_id, l.program_id, l.farmer_id FROM {LOAN} l
    WHERE l.disbursed_on < %(day)s AND (l.closed_on IS NULL OR l.closed_on >= %(day)s)
), n AS (
    SELECT DISTINCT org_node_id, farmer_id FROM b
), h AS (
    SELECT farmer_id, product_id FROM {HOLDING} WHERE opened_on < %(day)s
)
SELECT %(day)s, b.org_node_id, b.program_id, NULL, COUNT(*) FROM b GROUP BY b.org_node_id, b.program_id
UNION ALL
SELECT %(day)s, b.org_node_id, b.program_id, h.product_id, COUNT(*) FROM b JOIN h ON h.farmer_id = b.farmer_id
GROUP BY b.org_node_id, b.program_id, h.product_id
UNION ALL
SELECT %(day)s, n.org_node_id, NULL, NULL, COUNT(*) FROM n GROUP BY n.org_node_id
UNION ALL
SELECT %(day)s, n.org_node_id, NULL, h.product_id, COUNT(*) FROM n JOIN h ON h.farmer_id = n.farmer_id
GROUP BY n.org_node_id, h.product_id
"""

# The same figures as ``CROSS_SELLING_SQL`` for the date the close opens, when the borrowers are the
# active loans' farmers (a loan is active then exactly when it was drawn by the day before and not
# paid off before the day). Nothing here sorts the book: per node and programme they are the lending
# figures' customers, written just before; per node, those loans less a farmer's second and later
# ones in the node; per product, the holders' loans only.
CROSS_SELLING_AT_CLOSE_SQL = f"""
WITH h AS (
    SELECT farmer_id, product_id FROM {HOLDING} WHERE opened_on < %(day)s
), held AS (
    SELECT DISTINCT l.org_node_id, l.program_id, l.farmer_id FROM {LOAN} l
    WHERE l.status = 'active' AND l.farmer_id IN (SELECT farmer_id FROM h)
)
SELECT %(day)s, org_node_id, program_id, product_id, SUM(borrowers) FROM (
    SELECT org_node_id, program_id, CAST(NULL AS BIGINT) AS product_id, customers AS borrowers
    FROM {NODE_FIGURES}
    WHERE day = %(day)s AND customers > 0
    UNION ALL
    SELECT org_node_id, NULL, NULL, SUM(loans) FROM {NODE_FIGURES} WHERE day = %(day)s AND loans > 0
    GROUP BY org_node_id
    UNION ALL
    SELECT l.org_node_id, NULL, NULL, COUNT(DISTINCT l.farmer_id) - COUNT(*) FROM {LOAN} l
    WHERE l.status = 'active' AND l.farmer_id IN (SELECT farmer_id FROM {SEVERAL_LOANS}) GROUP BY l.org_node_id
    UNION ALL
    SELECT b.org_node_id, b.program_id, h.product_id, COUNT(*) FROM held b JOIN h ON h.farmer_id = b.farmer_id
    GROUP BY b.org_node_id, b.program_id, h.product_id
    UNION ALL
    SELECT n.org_node_id, NULL, h.product_id, COUNT(*) FROM (SELECT DISTINCT org_node_id, farmer_id FROM held) n
    JOIN h ON h.farmer_id = n.farmer_id GROUP BY n.org_node_id, h.product_id
) parts
GROUP BY org_node_id, program_id, product_id
"""

# Open at the start of ``day``: raised by then, and not yet closed — a person closes during a day (the
# warning is open at that day's start), the warning run clears at the start of the day it runs for.
OPEN_AT_START = (
    "(w.closed_on IS NULL OR w.closed_on > %(day)s OR (w.closed_on = %(day)s AND w.resolution <> 'cleared'))"
)
HANDLED_OVERNIGHT = f"(w.closed_on = %(yesterday)s AND w.resolution IN {HANDLED})"

WARNING_FIGURES_COLUMNS = (
    "day, org_node_id, rule_id, severity, assignee_id, open, overdue, raised, handled, handled_in_time, cleared"
)
WARNING_FIGURES_SQL = f"""
SELECT %(day)s, w.org_node_id, w.rule_id, w.severity, w.assignee_id,
    SUM(CASE WHEN {OPEN_AT_START} THEN 1 ELSE 0 END),
    SUM(CASE WHEN {OPEN_AT_START} AND w.deadline < %(day)s THEN 1 ELSE 0 END),
    SUM(CASE WHEN w.raised_on = %(day)s THEN 1 ELSE 0 END),
    SUM(CASE WHEN {HANDLED_OVERNIGHT} THEN 1 ELSE 0 END),
    SUM(CASE WHEN {HANDLED_OVERNIGHT} AND w.closed_on <= w.deadline THEN 1 ELSE 0 END),
    SUM(CASE WHEN w.closed_on = %(day)s AND w.resolution = 'cleared' THEN 1 ELSE 0 END)
FROM {WARNING} w
WHERE w.raised_on <= %(day)s AND (w.closed_on IS NULL OR w.closed_on >= %(yesterday)s)
GROUP BY w.org_node_id, w.rule_id, w.severity, w.assignee_id
"""


CLOSE_TIMES_COLUMNS = "day, org_node_id, rule_id, severity, assignee_id, days, handled"


def _close_times_sql() -> str:
    days = "(w.closed_on - w.raised_on)"
    return f"""
SELECT %(day)s, w.org_node_id, w.rule_id, w.severity, w.assignee_id, {days}, COUNT(*)
FROM {WARNING} w WHERE {HANDLED_OVERNIGHT}
GROUP BY w.org_node_id, w.rule_id, w.severity, w.assignee_id, {days}
"""


def _rewrite(table: str, day: dt.date, columns: str, select: str) -> int:
    """Replace the day's rows of ``table`` by what ``select`` returns.

    The rows are fetched and inserted apart (they are a few hundred): PostgreSQL runs a plain
    SELECT over the book in parallel, which it never does for the SELECT of an INSERT.
    """
    params = {"day": day, "yesterday": day - dt.timedelta(days=1)}
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {table} WHERE day = %s", [day])
        cursor.execute(select, params)
        rows = cursor.fetchall()
        if rows:
            marks = ", ".join(["%s"] * len(rows[0]))
            cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({marks})", rows)
        return len(rows)


def _several_loans_fill() -> None:
    temp_table_fill(SEVERAL_LOANS, (("farmer_id", "bigint"),), SEVERAL_LOANS_SQL)


def close_figures_write(day: dt.date) -> int:
    """Lending figures per node and programme as the book stands now, and cross-selling from them.

    Only right in the close, for the date it opens: the book keeps no history of its balances.
    """
    _several_loans_fill()
    return _rewrite(NODE_FIGURES, day, NODE_FIGURES_COLUMNS, NODE_FIGURES_SQL) + _rewrite(
        CROSS_SELLING, day, CROSS_SELLING_COLUMNS, CROSS_SELLING_AT_CLOSE_SQL
    )


def cross_selling_write(day: dt.date) -> int:
    """Cross-selling of any day, from the loans' and holdings' dates (see ``aggregates_rebuild``)."""
    return _rewrite(CROSS_SELLING, day, CROSS_SELLING_COLUMNS, CROSS_SELLING_SQL)


def warning_figures_write(day: dt.date) -> int:
    return _rewrite(WARNING_FIGURES, day, WARNING_FIGURES_COLUMNS, WARNING_FIGURES_SQL) + _rewrite(
        CLOSE_TIMES, day, CLOSE_TIMES_COLUMNS, _close_times_sql()
    )


def _day_mark(day: dt.date, rows: int) -> None:
    AggregateDay.objects.update_or_create(day=day, defaults={"rows": rows})


@transaction.atomic
def aggregates_write(day: dt.date) -> int:
    """Every table for business date ``day``; returns the rows written."""
    rows = close_figures_write(day) + warning_figures_write(day)
    _day_mark(day, rows)
    return rows


def lending_figures_step(day: dt.date) -> int:
    """The close of ``day`` writes the lending figures of the business date it opens, beside its warning run."""
    return close_figures_write(day + dt.timedelta(days=1))


@transaction.atomic
def aggregates_step(day: dt.date) -> int:
    """After its warning run, the close of ``day`` writes the warnings' figures of the date it opens and marks
    the date's figures complete (``lending_figures_step`` wrote the rest before)."""
    opens = day + dt.timedelta(days=1)
    rows = warning_figures_write(opens)
    lending = DailyNodeFigures.objects.filter(day=opens).count() + DailyCrossSelling.objects.filter(day=opens).count()
    _day_mark(opens, rows + lending)
    return rows


def aggregates_rebuild(days: Iterable[dt.date]) -> int:
    """Write cross-selling and warnings again for past days (lending figures keep what the close wrote)."""
    rows = 0
    for day in sorted(set(days)):
        with transaction.atomic():
            written = cross_selling_write(day) + warning_figures_write(day)
            # A new ``written_at`` tells the dashboards' cache that the figures changed.
            _day_mark(day, written + DailyNodeFigures.objects.filter(day=day).count())
            rows += written
    return rows
