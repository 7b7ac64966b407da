from __future__ import annotations

from typing import cast

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from core.roles import Role
from origination.figures import limits_with_available
from origination.selectors import visible_limits, visible_loans
from partners.auth import acting_user
from partners.models import Farmer
from partners.views import farmer_page_context


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
