from __future__ import annotations

from typing import cast
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from core.business_date import business_date_get
from core.roles import Role
from core.views import paginate
from origination.figures import farmers_with_limits, limits_with_available
from origination.selectors import visible_limits, visible_loans
from partners.auth import acting_user
from partners.models import Farmer
from partners.scoping import visible_farmers, visible_programs
from partners.selectors import farmer_search_q
from partners.views import farmer_page_context


@login_required
def farmer_list(request: HttpRequest) -> HttpResponse:
    """The farmers in the user's reach, found by name, phone tail or ID tail, with their limits in force and
    what is still available (only the limits of the programmes he sees), in one query per page."""
    user = acting_user(request)
    query = request.GET.get("q", "").strip()
    farmers = visible_farmers(user).filter(farmer_search_q(query)).select_related("org_node").order_by("name", "id")
    farmers = farmers_with_limits(farmers, business_date_get(), programs=visible_programs(user))
    context = {
        "page": paginate(request, farmers),
        "query": query,
        "querystring": urlencode({"q": query}) + "&",
    }
    return render(request, "origination/farmer_list.html", context)


@login_required
def farmer_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The farmer, his limits (with what is still available) and his loans."""
    user = acting_user(request)
    context = farmer_page_context(request, pk)
    farmer = cast(Farmer, context["farmer"])
    context.update(
        limits=limits_with_available(visible_limits(user).filter(farmer=farmer)).select_related("program"),
        loans=visible_loans(user).filter(farmer=farmer).order_by("-id"),
        can_draw=user.has_role(Role.ACCOUNT_MANAGER),
    )
    return render(request, "origination/farmer_detail.html", context)
