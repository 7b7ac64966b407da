"""Dashboard pages of the network's work: the sub-branches' progress against their targets, and the funnel."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from core.business_date import business_date_get
from core.db_router import replica_reads
from network.services import may_set_targets
from postloan.dashboards import selectors
from postloan.dashboards.ranking import TARGET_POINTS
from postloan.dashboards.selectors.funnel import FunnelDashboard, funnel_dashboard
from postloan.dashboards.selectors.targets import targets_page
from postloan.dashboards.tables_network import funnel_tables, targets_tables
from postloan.dashboards.views import _export, _fragment, _once, _viewer


@login_required
@replica_reads
def targets_dashboard(request: HttpRequest) -> HttpResponse:
    """两增一控: each sub-branch's balance and borrowers increase and NPL ratio against its quarter targets."""
    user = _viewer(request)
    today = business_date_get()
    label = request.GET.get("quarter", "")[:8] or None
    if request.GET.get("export"):
        exported = targets_page(user, label, today)
        return _export(request, targets_tables(exported), exported.ranking.end_day)
    figures = selectors.figures_of(today)
    page = _once(lambda: targets_page(user, label, today))
    context = {
        "page": page,
        "tab": "targets",
        "points": TARGET_POINTS,
        "may_set": may_set_targets(user),
        "latest": figures.latest,
        "fragment": _fragment(user, figures, str(today), label or "", str(may_set_targets(user))),
    }
    return render(request, "postloan/dashboards/targets.html", context)


def _funnel_charts(board: FunnelDashboard) -> dict[str, object]:
    total = board.total
    return {
        "steps": [_("whitelisted"), _("contacted"), _("reached"), _("drew")],
        "total": [] if total is None else [total.whitelisted, total.contacted, total.reached, total.drew],
        "periods": [period.label for period in board.periods],
        "trend": [
            {
                "name": name,
                "values": [None if c is None or c.conversion is None else float(c.conversion * 100) for c in cells],
            }
            for name, cells in board.trend
        ],
        "labels": {"conversion": _("conversion (%)")},
    }


@login_required
@replica_reads
def funnel_page(request: HttpRequest) -> HttpResponse:
    """The funnel: whitelisted → contacted → reached → drew, grouped, by campaign, and each outlet over time."""
    user = _viewer(request)
    today = business_date_get()
    by = request.GET.get("by", "node")[:10]
    period = request.GET.get("period", "month")[:10]
    board = funnel_dashboard(user, by, period, today)
    if request.GET.get("export"):
        return _export(request, funnel_tables(board), today)
    figures = selectors.figures_of(today)
    labels = {
        "node": _("by outlet"),
        "person": _("by person"),
        "list": _("by list"),
        "anchor": _("by anchor"),
        "kind": _("by kind of list"),
    }
    context = {
        "board": board,
        "tab": "funnel",
        "by_choices": list(labels.items()),
        "period_choices": [("month", _("by month")), ("quarter", _("by quarter"))],
        "charts": _funnel_charts(board),
        "trend_rows": [
            (name, list(zip([p.label for p in board.periods], cells, strict=True))) for name, cells in board.trend
        ],
        "latest": figures.latest,
    }
    return render(request, "postloan/dashboards/funnel.html", context)
