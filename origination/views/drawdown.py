"""The drawdown form (提款): a loan from one approved limit, in two steps.

``preview`` checks the form and shows the schedule the loan would have (each 20th with its estimated interest,
the maturity, the total), with a button that confirms the same values; ``confirm`` disburses. Only the terms
that can work are offered, every input is kept when something is refused, and a limit that no term fits says so
instead of offering a form.
"""

from __future__ import annotations

from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from core.business_date import business_date_get
from core.views import call_service
from origination.figures import limits_with_available
from origination.forms import DrawdownForm
from origination.models import CreditLimit
from origination.schedule import interest_estimate, terms_within
from origination.selectors import visible_limits
from origination.services.drawdown import loan_disburse
from partners.auth import acting_user


@login_required
def drawdown(request: HttpRequest, pk: int) -> HttpResponse:
    user = acting_user(request)
    limit = get_object_or_404(limits_with_available(visible_limits(user)).select_related("farmer", "program"), pk=pk)
    today = business_date_get()
    valid = limit.status == CreditLimit.Status.ACTIVE and limit.expires_on > today
    terms = terms_within(today, limit.expires_on, limit.program.max_term_months) if valid else []
    context: dict[str, object] = {"limit": limit, "today": today, "valid": valid, "terms": terms}
    if not terms:
        return render(request, "origination/drawdown.html", context)
    available: Decimal = limit.available  # type: ignore[attr-defined]  # annotated by limits_with_available
    form = DrawdownForm(request.POST or None, available=available, terms=terms)
    context["form"] = form
    if request.method == "POST" and form.is_valid():
        amount, term = form.cleaned_data["amount"], form.cleaned_data["term_months"]
        if request.POST.get("action") == "confirm":
            loan = call_service(
                form, lambda: loan_disburse(credit_limit=limit, amount=amount, term_months=term, actor=user)
            )
            if loan is not None:
                messages.success(request, _("The loan is disbursed."))
                return redirect("loan-detail", pk=loan.pk)
        else:
            context["estimate"] = interest_estimate(amount, today, term, limit.program.annual_rate)
    return render(request, "origination/drawdown.html", context)
