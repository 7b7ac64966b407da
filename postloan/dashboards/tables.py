"""The tables of the dashboards as rows for XLSX: the same figures as the pages, in 元 and percentages.

Amounts go out as numbers in yuan (元) to the fen, ratios as percentages
with two decimals, so that a spreadsheet can sum and sort them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _

from postloan.dashboards.selectors import (
    CrossSellingDashboard,
    Penetration,
    ProgramDashboard,
    RankingPage,
    WarningDashboard,
    WarningRow,
)

HUNDRED = Decimal(100)
CENT = Decimal("0.01")


@dataclass(frozen=True)
class Table:
    name: str  # file name stem, ASCII
    headers: Sequence[str]
    rows: list[list[Any]]


def percent(value: Decimal | None) -> Decimal | None:
    return None if value is None else (value * HUNDRED).quantize(CENT)


def _warning_table(name: str, first: str, rows: list[WarningRow]) -> Table:
    headers = [
        first,
        _("Open"),
        _("overdue"),
        _("raised (90 days)"),
        _("handled (90 days)"),
        _("cleared by the rule (90 days)"),
        _("handling rate (%)"),
        _("handled on time (%)"),
        _("median days to close"),
    ]
    return Table(
        name,
        headers,
        [
            [
                row.label,
                row.counts.open,
                row.counts.overdue,
                row.counts.raised,
                row.counts.handled,
                row.counts.cleared,
                percent(row.handling_rate),
                percent(row.on_time_rate),
                row.median_days,
            ]
            for row in rows
        ],
    )


def warning_tables(board: WarningDashboard) -> dict[str, Table]:
    tables = [
        _warning_table("warnings-by-rule", _("rule"), board.by_rule),
        _warning_table("warnings-by-severity", _("severity"), board.by_severity),
        _warning_table("warnings-by-sub-branch", _("Sub-branch"), board.by_sub_branch),
        _warning_table("warnings-by-account-manager", _("account manager"), board.by_assignee),
        Table(
            "warnings-trend",
            [
                _("business date"),
                _("Open"),
                _("overdue"),
                _("raised"),
                _("handled"),
                _("cleared by the rule"),
            ],
            [[r["day"], r["open"], r["overdue"], r["raised"], r["handled"], r["cleared"]] for r in board.trend],
        ),
    ]
    return {table.name: table for table in tables}


def program_tables(board: ProgramDashboard) -> dict[str, Table]:
    headers = [
        _("Programme"),
        _("status"),
        _("Active loans"),
        _("borrowers"),
        _("outstanding principal (yuan)"),
        _("approved limits (yuan)"),
        _("limit usage (%)"),
        _("total cap (yuan)"),
        _("headroom to the cap (yuan)"),
        _("NPL principal (yuan)"),
        _("NPL ratio (%)"),
        _("NPL warning ratio (%)"),
        _("NPL suspension ratio (%)"),
        _("overdue principal (yuan)"),
        _("overdue interest (yuan)"),
        _("compensated by the anchor (yuan)"),
        _("gross delinquency incl. compensated (yuan)"),
        _("margin balance (yuan)"),
        _("margin required (yuan)"),
        _("Normal"),
        _("Special mention"),
        _("Substandard"),
        _("Doubtful"),
        _("Loss"),
    ]
    rows = []
    for row in board.rows:
        f = row.figures
        rows.append(
            [
                row.program.name,
                row.program.get_status_display(),
                f["loans"],
                f["customers"],
                f["outstanding"],
                f["limits_approved"],
                percent(row.limit_usage_ratio),
                row.program.total_cap,
                row.headroom,
                f["npl"],
                percent(row.npl_ratio),
                percent(row.program.npl_warning_ratio),
                percent(row.program.npl_suspend_ratio),
                f["principal_overdue"],
                f["interest_overdue"],
                f["compensated"],
                row.gross_delinquency,
                row.margin_balance,
                row.margin_required,
                f["normal"],
                f["special_mention"],
                f["substandard"],
                f["doubtful"],
                f["loss"],
            ]
        )
    return {"programme-health": Table("programme-health", headers, rows)}


def _penetration_table(name: str, first: str, board: CrossSellingDashboard, items: list[Penetration]) -> Table:
    headers = [first, _("borrowers")]
    for product in board.products:
        headers += [
            _("%(product)s holders") % {"product": product.name},
            _("%(product)s penetration (%%)") % {"product": product.name},
        ]
    headers.append(_("products per borrower"))
    rows = []
    for item in items:
        row: list[Any] = [item.label, item.borrowers]
        for product in board.products:
            row += [item.holders.get(product.pk, 0), percent(item.rate(product.pk))]
        row.append(item.products_per_borrower)
        rows.append(row)
    return Table(name, headers, rows)


def cross_selling_tables(board: CrossSellingDashboard) -> dict[str, Table]:
    tables = [
        _penetration_table("cross-selling-by-sub-branch", _("Sub-branch"), board, [*board.by_sub_branch, board.total]),
        _penetration_table("cross-selling-by-programme", _("Programme"), board, board.by_program),
    ]
    return {table.name: table for table in tables}


def ranking_tables(page: RankingPage) -> dict[str, Table]:
    headers = [
        _("sub-branch class"),
        _("Sub-branch"),
        _("position in class"),
        _("weighted rank (lower is better)"),
        _("outstanding at start (yuan)"),
        _("outstanding at end (yuan)"),
        _("balance increase (yuan)"),
        _("balance rank"),
        _("borrowers at start"),
        _("borrowers at end"),
        _("borrowers increase"),
        _("borrowers rank"),
        _("NPL ratio at end (%)"),
        _("quality rank"),
        _("downgraded one grade"),
    ]
    classes = {"priority": _("Priority"), "follow_up": _("Follow-up"), "specialty": _("Specialty")}
    rows = [
        [
            classes.get(r.growth.klass, r.growth.klass),
            r.growth.name,
            f"{r.position}/{r.of}",
            r.score,
            r.growth.outstanding_start,
            r.growth.outstanding_end,
            r.growth.balance_growth,
            r.balance_rank,
            r.growth.customers_start,
            r.growth.customers_end,
            r.growth.customers_growth,
            r.customers_rank,
            percent(r.growth.npl_ratio),
            r.quality_rank,
            _("Yes") if r.last else _("No"),
        ]
        for r in page.rows
    ]
    label = page.quarter.label if page.quarter else "none"
    return {"ranking": Table(f"ranking-{label}", headers, rows)}
