"""年审: the limits expiring within 60 days, per account manager, and a renewal batch started from them."""

from __future__ import annotations

from itertools import groupby
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.business_date import business_date_get
from core.errors import DomainError
from core.permissions import require_role
from core.roles import STAFF_ROLES
from core.views import paginate
from origination.expiring import RENEWAL_NOTICE_DAYS, expiring_limits_for
from origination.selectors import visible_limits
from origination.services.renewal import RENEWAL_ROLES, renewal_batch_create
from partners.auth import acting_user
from partners.models import User
from partners.scoping import visible_programs


@login_required
def renewal_list(request: HttpRequest) -> HttpResponse:
    """The live limits expiring within 60 days the user may see, grouped by the farmer's account manager and
    filterable by programme and manager; staff who may renew tick limits of one programme and start a batch."""
    user = acting_user(request)
    require_role(user, *STAFF_ROLES)
    today = business_date_get()
    limits = expiring_limits_for(user, today)
    managers = User.objects.filter(pk__in=limits.values("farmer__account_manager")).order_by("username")
    program = request.GET.get("program", "")
    if program.isdigit():
        limits = limits.filter(program_id=int(program))
    manager = request.GET.get("manager", "")
    if manager == "none":
        limits = limits.filter(farmer__account_manager__isnull=True)
    elif manager.isdigit():
        limits = limits.filter(farmer__account_manager_id=int(manager))
    page = paginate(request, limits, per_page=100)
    for limit in page:
        limit.days_left = (limit.expires_on - today).days
    groups: list[tuple[Any, list[Any]]] = [
        (key, list(rows)) for key, rows in groupby(page, key=lambda limit: limit.farmer.account_manager)
    ]
    filters = {"program": program if program.isdigit() else "", "manager": manager}
    context = {
        "page": page,
        "groups": groups,
        "programs": visible_programs(user).order_by("name", "id"),
        "managers": managers,
        "filters": filters,
        "querystring": urlencode(filters) + "&",
        "notice_days": RENEWAL_NOTICE_DAYS,
        "can_renew": user.has_role(*RENEWAL_ROLES),
    }
    return render(request, "origination/renewal_list.html", context)


@login_required
@require_POST
def renewal_start(request: HttpRequest) -> HttpResponse:
    """Start a renewal batch for the ticked limits (one programme's), then show the batch."""
    user = acting_user(request)
    ids = {int(value) for value in request.POST.getlist("limits") if value.isdigit()}
    limits = list(visible_limits(user).filter(pk__in=ids).select_related("program"))
    programs = {limit.program_id for limit in limits}
    back = request.POST.get("query", "")
    if not limits or len(limits) != len(ids):
        messages.error(request, _("Tick the limits to renew."))
    elif len(programs) != 1:
        messages.error(request, _("A renewal batch holds the limits of one programme: tick those of one only."))
    else:
        try:
            batch = renewal_batch_create(program=limits[0].program, limits=limits, actor=user)
        except DomainError as exc:
            messages.error(request, exc.detail)
        else:
            messages.success(
                request,
                _("Renewal batch %(batch)s is made with %(count)s limits: process it, then submit it for approval.")
                % {"batch": batch.pk, "count": len(limits)},
            )
            return redirect("batch-detail", pk=batch.pk)
    return redirect(f"{reverse('renewal-list')}{'?' + back if back else ''}")
