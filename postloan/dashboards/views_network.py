"""Dashboard pages of the network's work: the sub-branches' progress against their targets, and the funnel."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from core.business_date import business_date_get
from core.db_router import replica_reads
from network.services import may_set_targets
from postloan.dashboards import selectors
from postloan.dashboards.ranking import TARGET_POINTS
from postloan.dashboards.selectors.targets import targets_page
from postloan.dashboards.tables_network import targets_tables
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
        "fragment": _fragment(user, figures, str(today), label or ""),
    }
    return render(request, "postloan/dashboards/targets.html", context)
