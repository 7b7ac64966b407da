"""白名单: the approved farmers the outlets market to, as the user may see them."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.db.models import F
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from core.business_date import business_date_get
from core.views import paginate
from origination.figures import limit_outstanding_expression
from origination.selectors import visible_whitelist
from partners.auth import acting_user
from partners.scoping import visible_programs
from partners.selectors import farmer_search_q


def _date(text: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        return None


@login_required
def whitelist_list(request: HttpRequest) -> HttpResponse:
    """Entries found by the farmer's name, phone tail or ID tail, by programme and by the date they were added,
    newest first, each with its limit and what is still available from it."""
    user = acting_user(request)
    query = request.GET.get("q", "").strip()
    programs = visible_programs(user).order_by("name", "id")
    entries = visible_whitelist(user).filter(farmer_search_q(query, prefix="farmer"))
    program = request.GET.get("program", "")
    if program.isdigit():
        entries = entries.filter(program_id=int(program))
    added_from = _date(request.GET.get("added_from", ""))
    added_to = _date(request.GET.get("added_to", ""))
    if added_from is not None:
        entries = entries.filter(added_on__gte=added_from)
    if added_to is not None:
        entries = entries.filter(added_on__lte=added_to)
    entries = (
        entries.select_related("farmer", "farmer__org_node", "program", "credit_limit")
        .annotate(outstanding=limit_outstanding_expression("credit_limit_id"))
        .annotate(available=F("credit_limit__amount") - F("outstanding"))
        .order_by("-added_on", "-id")
    )
    filters = {
        "q": query,
        "program": program if program.isdigit() else "",
        "added_from": added_from.isoformat() if added_from else "",
        "added_to": added_to.isoformat() if added_to else "",
    }
    context = {
        "page": paginate(request, entries),
        "programs": programs,
        "filters": filters,
        "querystring": urlencode(filters) + "&",
        "today": business_date_get(),
    }
    return render(request, "origination/whitelist.html", context)
