"""Reads behind the dashboards: grouped queries over the daily aggregates, and the live open warnings.

Every read is scoped like the lists it summarises: warnings, cross-selling
and the ranking to the viewer's subtree (``filter_by_subtree``); programmes
to those the viewer may see (``visible_programs``), with their programme-wide
figures, because the circuit breaker's lines and the cap apply to the whole
programme (the programme page shows the same figures).

A page reads a few hundred to a few thousand aggregate rows: the latest day
for the tables and the last ``PERIOD_DAYS`` days for the trends. Open
warnings and those closed today are read live from the warning table, so
that a leader sees handling as it happens (实时). One module per board;
``common`` holds what they share (versions, cache, organisation tree).
"""

from postloan.dashboards.selectors.common import Figures, figures_of, scope_key
from postloan.dashboards.selectors.cross_selling import CrossSellingDashboard, Penetration, cross_selling_dashboard
from postloan.dashboards.selectors.programs import ProgramDashboard, ProgramHealth, program_dashboard
from postloan.dashboards.selectors.ranking import RankingPage, nearest_day, quarters_available, ranking_page
from postloan.dashboards.selectors.warnings import WarningCounts, WarningDashboard, WarningRow, warning_dashboard

__all__ = [
    "CrossSellingDashboard",
    "Figures",
    "Penetration",
    "ProgramDashboard",
    "ProgramHealth",
    "RankingPage",
    "WarningCounts",
    "WarningDashboard",
    "WarningRow",
    "cross_selling_dashboard",
    "figures_of",
    "nearest_day",
    "program_dashboard",
    "quarters_available",
    "ranking_page",
    "scope_key",
    "warning_dashboard",
]
