"""The targets' progress (两增一控) as rows for XLSX, like the other dashboards' tables."""

from __future__ import annotations

from django.utils.translation import gettext as _

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
