"""Credit limits after the grant: the list by programme and status, and a limit's page with its history, its
loans and the forms of its life (freeze, unfreeze, reduce, close), each with a written reason."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from core.business_date import business_date_get
from core.db_router import replica_reads
from core.permissions import require_role
from core.views import call_service, form_errors_text, paginate
from origination.figures import limits_with_available
from origination.limit_status import limit_state, limits_in_state
from origination.models import CreditLimit
from origination.selectors import sees_provider_figures, visible_limits, visible_loans
from origination.services.limit_life import (
    CHANGE_ROLES,
    FREEZE_ROLES,
    UNFREEZE_ROLES,
    credit_limit_close,
    credit_limit_freeze,
    credit_limit_reduce,
    credit_limit_unfreeze,
)
from partners.auth import acting_user
from partners.models import User
from partners.scoping import visible_programs


class LimitReasonForm(forms.Form):
    reason = forms.CharField(label=gettext_lazy("reason"), widget=forms.Textarea, max_length=1000)


class LimitReduceForm(LimitReasonForm):
    amount = forms.DecimalField(
        label=gettext_lazy("new limit (yuan)"), max_digits=18, decimal_places=2, min_value=0, localize=False
    )
    field_order = ["amount", "reason"]


def _form(name: str, data: Any = None) -> forms.Form:
    """Each action's form, its field ids prefixed with the action: four forms on one page, no id twice."""
    form_class = LimitReduceForm if name == "reduce" else LimitReasonForm
    return form_class(data, auto_id=f"{name}_%s")


@login_required
@replica_reads
def limit_list(request: HttpRequest) -> HttpResponse:
    """The limits in the user's reach, newest first, by programme and by state, with what is available."""
    user = acting_user(request)
    today = business_date_get()
    programs = visible_programs(user).order_by("name", "id")
    limits = visible_limits(user)
    program = request.GET.get("program", "")
    if program.isdigit():
        limits = limits.filter(program_id=int(program))
    state = request.GET.get("status", "")
    state = state if state in CreditLimit.Status.values else ""
    limits = limits_in_state(limits, state, today)
    page = paginate(request, limits.select_related("farmer", "program").order_by("-id"))
    # What is drawn is read for the page's limits only: computed in the paged query it would be computed for
    # every limit the offset skips too (a late page of a programme of 100,000 farmers).
    shown = [limit.pk for limit in page.object_list]
    with_available = limits_with_available(CreditLimit.objects.filter(pk__in=shown))
    available = {limit.pk: limit.available for limit in with_available}  # type: ignore[attr-defined]
    for limit in page.object_list:
        limit.available = available[limit.pk]
        limit.state = limit_state(limit, today)
        limit.state_label = CreditLimit.Status(limit.state).label
    filters = {"program": program if program.isdigit() else "", "status": state}
    context = {
        "page": page,
        "programs": programs,
        "statuses": CreditLimit.Status.choices,
        "filters": filters,
        "querystring": urlencode(filters) + "&",
    }
    return render(request, "origination/limit_list.html", context)


def _visible_limit(user: User, pk: int) -> CreditLimit:
    return get_object_or_404(visible_limits(user), pk=pk)


@login_required
def limit_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = acting_user(request)
    today = business_date_get()
    limit = get_object_or_404(
        limits_with_available(visible_limits(user)).select_related(
            "farmer", "program", "approved_by", "frozen_by", "batch_row", "renewal_of"
        ),
        pk=pk,
    )
    state = limit_state(limit, today)
    live = state in (CreditLimit.Status.ACTIVE, CreditLimit.Status.FROZEN)
    froze_it_myself = state == CreditLimit.Status.FROZEN and limit.frozen_by_id == user.pk
    context = {
        "limit": limit,
        "state": state,
        "state_label": CreditLimit.Status(state).label,
        "changes": limit.changes.select_related("actor", "event").order_by("id"),
        "loans": visible_loans(user).filter(credit_limit=limit).order_by("-id"),
        "can_freeze": state == CreditLimit.Status.ACTIVE and user.has_role(*FREEZE_ROLES),
        "can_unfreeze": (state == CreditLimit.Status.FROZEN and user.has_role(*UNFREEZE_ROLES) and not froze_it_myself),
        "froze_it_myself": froze_it_myself,
        # the provider's record behind a freeze by the close, kept from anchor operators like its figures
        "shows_events": sees_provider_figures(user),
        "can_change": live and user.has_role(*CHANGE_ROLES),
        "freeze_form": _form("freeze"),
        "unfreeze_form": _form("unfreeze"),
        "reduce_form": _form("reduce"),
        "close_form": _form("close"),
    }
    return render(request, "origination/limit_detail.html", context)


DONE = {
    "freeze": gettext_lazy("The credit limit is frozen: it lends nothing until a risk approver lifts the freeze."),
    "unfreeze": gettext_lazy("The freeze is lifted: the credit limit lends again."),
    "reduce": gettext_lazy("The credit limit is reduced."),
    "close": gettext_lazy("The credit limit is closed: it lends nothing again."),
}


ROLES = {"freeze": FREEZE_ROLES, "unfreeze": UNFREEZE_ROLES, "reduce": CHANGE_ROLES, "close": CHANGE_ROLES}


def _call(name: str, limit: CreditLimit, user: User, values: dict[str, Any]) -> Callable[[], CreditLimit]:
    reason = values["reason"]
    if name == "freeze":
        return lambda: credit_limit_freeze(credit_limit=limit, actor=user, reason=reason)
    if name == "unfreeze":
        return lambda: credit_limit_unfreeze(credit_limit=limit, actor=user, reason=reason)
    if name == "reduce":
        return lambda: credit_limit_reduce(credit_limit=limit, actor=user, amount=values["amount"], reason=reason)
    return lambda: credit_limit_close(credit_limit=limit, actor=user, reason=reason)


@login_required
@require_POST
def limit_action(request: HttpRequest, pk: int, name: str) -> HttpResponse:
    """One of the limit's changes from its page; a refusal comes back as the page's message."""
    if name not in DONE:
        raise Http404
    user = acting_user(request)
    limit = _visible_limit(user, pk)
    # A role that may not take the action gets the refusal page (403), not a message on the limit's page.
    require_role(user, *ROLES[name])
    form = _form(name, request.POST)
    if form.is_valid() and call_service(form, _call(name, limit, user, form.cleaned_data)) is not None:
        messages.success(request, str(DONE[name]))
    else:
        messages.error(request, form_errors_text(form) or _("The change was not made."))
    return redirect("limit-detail", pk=pk)
