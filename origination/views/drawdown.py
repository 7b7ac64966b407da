"""The drawdown form (提款): a loan from one approved limit."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from core.business_date import business_date_get
from core.errors import DomainError
from core.views import typed_amount
from origination.figures import limits_with_available
from origination.selectors import visible_limits
from origination.services.drawdown import loan_disburse
from partners.auth import acting_user


@login_required
def drawdown(request: HttpRequest, pk: int) -> HttpResponse:
    user = acting_user(request)
    limit = get_object_or_404(limits_with_available(visible_limits(user)).select_related("farmer", "program"), pk=pk)
    if request.method == "POST":
        try:
            loan = loan_disburse(
                credit_limit=limit,
                amount=typed_amount(request.POST.get("amount", "")),
                term_months=int(request.POST.get("term_months") or 0),
                actor=user,
            )
        except (DomainError, ValueError) as exc:
            messages.error(request, getattr(exc, "detail", _("The term must be a whole number of months.")))
        else:
            messages.success(request, _("The loan is disbursed."))
            return redirect("loan-detail", pk=loan.pk)
    return render(request, "origination/drawdown.html", {"limit": limit, "today": business_date_get()})
