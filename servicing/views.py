"""Loan pages: the book, one loan with its schedule and ledger, the repayment and classification forms."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.business_date import business_date_get
from core.db_router import replica_reads
from core.errors import DomainError
from core.roles import Role
from core.views import paginate, typed_amount
from origination.models import Loan
from origination.schedule import settlement_dates
from origination.selectors import visible_loans
from partners.auth import acting_user
from partners.selectors import farmer_search_q
from servicing.interest import interest_charge
from servicing.services.repayments import (
    accrued_interest,
    accrued_penalty,
    loan_classify,
    loan_dpd,
    loan_owed,
    repayment_record,
)


@login_required
@replica_reads
def loan_list(request: HttpRequest) -> HttpResponse:
    loans = visible_loans(acting_user(request)).select_related("farmer", "program").order_by("-id")
    status = request.GET.get("status", "active")
    if status in Loan.Status.values:
        loans = loans.filter(status=status)
    classification = request.GET.get("classification", "")
    if classification in Loan.Classification.values:
        loans = loans.filter(classification=classification)
    if request.GET.get("overdue"):
        loans = loans.filter(oldest_due_date__isnull=False)
    query = request.GET.get("q", "").strip()
    loans = loans.filter(farmer_search_q(query, prefix="farmer"))
    context = {
        "page": paginate(request, loans),
        "status": status,
        "classification": classification,
        "classifications": Loan.Classification.choices,
        "today": business_date_get(),
        "query": query,
        "querystring": urlencode(
            {"q": query, "status": status, "classification": classification, "overdue": request.GET.get("overdue", "")}
        )
        + "&",
    }
    return render(request, "origination/loan_list.html", context)


def _schedule(loan: Loan, today: dt.date) -> list[dict[str, object]]:
    """Past dues as recorded, future interest projected on today's principal (an estimate, marked as such)."""
    rows: list[dict[str, object]] = [
        {
            "due_on": due.due_on,
            "kind": due.get_kind_display(),
            "amount": due.amount,
            "remaining": due.remaining,
            "projected": False,
        }
        for due in loan.dues.order_by("due_on", "kind")
    ]
    known = {row["due_on"] for row in rows}
    previous = loan.accrued_through
    for day in [*settlement_dates(loan.disbursed_on, loan.maturity_on), loan.maturity_on]:
        if day < today or day in known or loan.status != Loan.Status.ACTIVE:
            previous = max(previous, day)
            continue
        days = (day - previous).days
        projected = interest_charge(loan.principal_outstanding * days + loan.interest_base, loan.annual_rate)
        rows.append(
            {
                "due_on": day,
                "kind": _("Interest"),
                "amount": projected,
                "remaining": projected,
                "projected": True,
            }
        )
        previous = day
    if loan.status == Loan.Status.ACTIVE and loan.maturity_on >= today:
        rows.append(
            {
                "due_on": loan.maturity_on,
                "kind": _("Principal"),
                "amount": loan.principal_outstanding,
                "remaining": loan.principal_outstanding,
                "projected": True,
            }
        )
    return sorted(rows, key=lambda row: (row["due_on"], str(row["kind"])))


@login_required
def loan_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = acting_user(request)
    loan = get_object_or_404(visible_loans(user).select_related("farmer", "program", "program__anchor"), pk=pk)
    today = business_date_get()
    yesterday = today - dt.timedelta(days=1)
    context = {
        "loan": loan,
        "today": today,
        "dpd": loan_dpd(loan, today),
        "shadow_dpd": (today - loan.shadow_oldest_due_date).days if loan.shadow_oldest_due_date else 0,
        "interest_accrued": accrued_interest(loan, yesterday),
        "interest_owed": loan.interest_due + loan.interest_overdue + accrued_interest(loan, yesterday),
        "penalty_owed": loan.penalty_due + accrued_penalty(loan, yesterday),
        "overdue_amount": loan.interest_overdue + loan.principal_overdue,
        "owed": loan_owed(loan, today) if loan.status == Loan.Status.ACTIVE else None,
        "schedule": _schedule(loan, today),
        "entries": loan.entries.order_by("-id")[:200],
        "repayments": loan.repayments.select_related("recorded_by").order_by("-id")[:50],
        "can_repay": loan.status == Loan.Status.ACTIVE and user.has_role(Role.ACCOUNT_MANAGER),
        "can_classify": loan.status == Loan.Status.ACTIVE and user.has_role(Role.RISK_APPROVER),
        "classifications": Loan.Classification.choices,
    }
    return render(request, "origination/loan_detail.html", context)


@login_required
@require_POST
def loan_repay(request: HttpRequest, pk: int) -> HttpResponse:
    loan = get_object_or_404(visible_loans(acting_user(request)), pk=pk)
    try:
        repayment = repayment_record(
            loan=loan, amount=typed_amount(request.POST.get("amount", "")), actor=acting_user(request)
        )
    except DomainError as exc:
        messages.error(request, exc.detail)
    else:
        messages.success(
            request,
            _("Repayment recorded: penalty %(penalty)s, interest %(interest)s, principal %(principal)s.")
            % {
                "penalty": repayment.penalty,
                "interest": repayment.interest,
                "principal": repayment.principal,
            },
        )
    return redirect("loan-detail", pk=pk)


@login_required
@require_POST
def loan_classify_view(request: HttpRequest, pk: int) -> HttpResponse:
    loan = get_object_or_404(visible_loans(acting_user(request)), pk=pk)
    try:
        loan_classify(
            loan=loan,
            classification=request.POST.get("classification", ""),
            reason=request.POST.get("reason", ""),
            actor=acting_user(request),
        )
    except (DomainError, ValueError) as exc:
        messages.error(request, getattr(exc, "detail", _("Choose a classification.")))
    else:
        messages.success(request, _("The classification is recorded."))
    return redirect("loan-detail", pk=pk)
