"""Compensation pages: the demands and claims on an anchor, and its payments from its own funds.

An anchor operator sees his own enterprise's demands and payments (read only); bank staff record a
payment and a second person checks it.
"""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.business_date import business_date_get
from core.error_codes import ErrorCode
from core.errors import DomainError
from core.views import paginate, typed_amount
from origination.models import AnchorPayment, CompensationDemand
from origination.selectors import visible_loans
from partners.auth import acting_user
from partners.scoping import is_anchor_operator, visible_anchors
from partners.services.margin import MARGIN_STAFF_ROLES
from servicing.anchor_payments import (
    UNSETTLED,
    anchor_owed_total,
    anchor_payment_approve,
    anchor_payment_record,
    anchor_payment_reject,
    loan_overdue_owed,
)
from servicing.services.repayments import loan_dpd


@login_required
def compensation_home(request: HttpRequest) -> HttpResponse:
    user = acting_user(request)
    today = business_date_get()
    demands = (
        CompensationDemand.objects.filter(loan__in=visible_loans(user))
        .select_related("loan__farmer", "program__anchor")
        .order_by("-raised_on", "-id")
    )
    status = request.GET.get("status", "unsettled")
    if status == "unsettled":
        demands = demands.filter(status__in=UNSETTLED)
    elif status in CompensationDemand.Status.values:
        demands = demands.filter(status=status)
    anchors = list(visible_anchors(user).filter(programs__compensation_demands__status__in=UNSETTLED).distinct())
    context = {
        "page": paginate(request, demands),
        "status": status,
        "statuses": CompensationDemand.Status.choices,
        "owed": [(anchor, anchor_owed_total(anchor.pk, today)) for anchor in anchors[:50]],
        "payments": AnchorPayment.objects.filter(anchor__in=visible_anchors(user))
        .select_related("anchor", "recorded_by", "checked_by")
        .order_by("-id")[:30],
        "can_record": user.has_role(*MARGIN_STAFF_ROLES),
        "querystring": f"status={status}&",
    }
    return render(request, "servicing/compensation_home.html", context)


@login_required
def demand_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = acting_user(request)
    demand = get_object_or_404(
        CompensationDemand.objects.filter(loan__in=visible_loans(user)).select_related(
            "loan__farmer", "program__anchor"
        ),
        pk=pk,
    )
    today = business_date_get()
    context = {
        "demand": demand,
        "loan": demand.loan,
        "dpd": loan_dpd(demand.loan, today),
        "owed_now": loan_overdue_owed(demand.loan, today).total if demand.status in UNSETTLED else None,
        "lines": demand.payment_lines.select_related("payment").order_by("id"),
        "is_operator": is_anchor_operator(user),
    }
    return render(request, "servicing/demand_detail.html", context)


@login_required
def payment_new(request: HttpRequest) -> HttpResponse:
    user = acting_user(request)
    anchors = visible_anchors(user).order_by("name")
    if request.method == "POST":
        try:
            anchor = anchors.filter(pk=request.POST.get("anchor") or 0).first()
            if anchor is None:
                raise DomainError(ErrorCode.NOT_FOUND, _("No such anchor enterprise."), status=404)
            payment = anchor_payment_record(
                anchor=anchor,
                reference=request.POST.get("reference", ""),
                amount=typed_amount(request.POST.get("amount", "")),
                value_date=_typed_date(request.POST.get("value_date", "")),
                note=request.POST.get("note", ""),
                actor=user,
            )
        except DomainError as exc:
            messages.error(request, exc.detail)
        else:
            messages.success(request, _("The payment is recorded; another person must now check it."))
            return redirect("anchor-payment-detail", pk=payment.pk)
    context = {"anchors": anchors, "today": business_date_get(), "form": request.POST}
    return render(request, "servicing/payment_form.html", context)


def _typed_date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        raise DomainError(ErrorCode.INVALID_DATE, _("The value date is not a date (YYYY-MM-DD).")) from None


@login_required
def payment_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = acting_user(request)
    payment = get_object_or_404(
        AnchorPayment.objects.filter(anchor__in=visible_anchors(user)).select_related(
            "anchor", "recorded_by", "checked_by"
        ),
        pk=pk,
    )
    context = {
        "payment": payment,
        "lines": payment.lines.select_related("demand", "loan__farmer").order_by("id"),
        "can_check": payment.status == AnchorPayment.Status.PENDING
        and user.has_role(*MARGIN_STAFF_ROLES)
        and payment.recorded_by_id != user.pk,
    }
    return render(request, "servicing/payment_detail.html", context)


@login_required
@require_POST
def payment_decide(request: HttpRequest, pk: int, decision: str) -> HttpResponse:
    if decision not in ("approve", "reject"):
        raise Http404
    user = acting_user(request)
    payment = get_object_or_404(AnchorPayment.objects.filter(anchor__in=visible_anchors(user)), pk=pk)
    try:
        if decision == "approve":
            anchor_payment_approve(payment=payment, actor=user)
            messages.success(request, _("The payment is checked and applied to the oldest demands first."))
        else:
            anchor_payment_reject(payment=payment, actor=user, note=request.POST.get("note", ""))
            messages.success(request, _("The payment is rejected; nothing was applied."))
    except DomainError as exc:
        messages.error(request, exc.detail)
    return redirect("anchor-payment-detail", pk=pk)
