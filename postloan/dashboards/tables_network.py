"""The targets' progress (两增一控) as rows for XLSX, like the other dashboards' tables."""

from __future__ import annotations

from django.utils.translation import gettext as _

from postloan.dashboards.selectors.funnel import FunnelDashboard
from postloan.dashboards.selectors.targets import TargetsPage
from postloan.dashboards.tables import Table, percent


def _met(value: bool | None) -> str:
    if value is None:
        return _("not set")
    return _("met") if value else _("not met")


def targets_tables(page: TargetsPage) -> dict[str, Table]:
    headers = [
        _("Sub-branch"),
        _("balance increase (yuan)"),
        _("balance increase target (yuan)"),
        _("balance target"),
        _("borrowers increase"),
        _("borrowers increase target"),
        _("borrowers target"),
        _("NPL ratio at end (%)"),
        _("NPL ratio ceiling (%)"),
        _("NPL ceiling"),
        _("target points (of 100)"),
    ]
    rows = [
        [
            r.row.growth.name,
            r.row.growth.balance_growth,
            r.row.growth.target_balance,
            _met(r.row.growth.balance_met),
            r.row.growth.customers_growth,
            r.row.growth.target_customers,
            _met(r.row.growth.customers_met),
            percent(r.row.growth.npl_ratio),
            percent(r.row.growth.npl_ceiling),
            _met(r.row.growth.quality_met),
            r.row.growth.target_points,
        ]
        for r in page.rows
    ]
    return {"targets": Table("targets", headers, rows)}


def funnel_tables(board: FunnelDashboard) -> dict[str, Table]:
    steps = [_("whitelisted"), _("contacted"), _("reached"), _("drew")]
    shares = [_("contacted (%)"), _("reached (%)"), _("conversion (%)")]
    funnel_rows = [
        [
            row.label,
            row.whitelisted,
            row.contacted,
            row.reached,
            row.drew,
            percent(row.contacted_share),
            percent(row.reached_share),
            percent(row.conversion),
        ]
        for row in board.rows
    ]
    campaign_rows = [
        [c.label, c.messaged, c.delivered, c.reached, c.drew, percent(c.conversion)] for c in board.campaigns
    ]
    trend_headers = [_("Outlet")]
    for period in board.periods:
        trend_headers += [
            _("%(period)s whitelisted") % {"period": period.label},
            _("%(period)s drew") % {"period": period.label},
            _("%(period)s conversion (%%)") % {"period": period.label},
        ]
    trend_rows = []
    for name, cells in board.trend:
        line: list[object] = [name]
        for cell in cells:
            line += [None, None, None] if cell is None else [cell.whitelisted, cell.drew, percent(cell.conversion)]
        trend_rows.append(line)
    return {
        "funnel": Table("funnel", [_("group"), *steps, *shares], funnel_rows),
        "campaigns": Table(
            "funnel-campaigns",
            [_("campaign"), _("messaged"), _("delivered"), _("reached"), _("drew"), _("conversion (%)")],
            campaign_rows,
        ),
        "trend": Table("funnel-trend", trend_headers, trend_rows),
    }
