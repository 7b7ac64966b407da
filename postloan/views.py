"""Warning pages (PC and phone) and the post-drawdown checks."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from core.business_date import business_date_get
from core.errors import DomainError
from core.views import paginate
from origination.selectors import visible_loans
from partners.auth import acting_user
from partners.scoping import visible_nodes
from partners.services.farmers import can_view_identity
from postloan.models import (
    HANDLED_RESOLUTIONS,
    PostDrawdownCheck,
    RiskWarning,
    Severity,
    WarningAction,
    WarningRule,
)
from postloan.services import (
    SEVERITY_ORDER,
    my_warnings,
    postdrawdown_check_record,
    visible_warnings,
    warning_action_add,
    warning_close,
)
from postloan.subjects import warning_subject
from risk.models import TradeRecord


@login_required
def my_warning_list(request: HttpRequest) -> HttpResponse:
    user = acting_user(request)
    warnings = my_warnings(user).select_related("rule")
    return render(
        request,
        "postloan/my_warnings.html",
        {"warnings": warnings[:200], "count": warnings.count(), "today": business_date_get()},
    )


@login_required
def warning_list(request: HttpRequest) -> HttpResponse:
    user = acting_user(request)
    warnings = visible_warnings(user).select_related("rule", "org_node", "assignee")
    filter_keys = ("rule", "severity", "status", "branch", "overdue", "assignee", "handled_since")
    filters = {key: request.GET.get(key, "") for key in filter_keys}
    if filters["rule"]:
        warnings = warnings.filter(rule__code=filters["rule"])
    if filters["severity"]:
        warnings = warnings.filter(severity=filters["severity"])
    if filters["status"]:
        warnings = warnings.filter(status=filters["status"])
    if filters["branch"]:
        code = filters["branch"]
        warnings = warnings.filter(Q(org_node__path__startswith=f"{code}/") | Q(org_node__path__contains=f"/{code}/"))
    if filters["overdue"]:
        warnings = warnings.filter(status=RiskWarning.Status.OPEN, deadline__lt=business_date_get())
    if filters["assignee"].isdigit():  # the dashboards' drill-down by account manager
        warnings = warnings.filter(assignee_id=int(filters["assignee"]))
    if filters["handled_since"]:  # the dashboards' drill-down of "handled": closed by a person since the day
        try:
            since = dt.date.fromisoformat(filters["handled_since"])
        except ValueError:
            messages.error(request, _("This is not a date: write it like 2027-02-13."))
            filters["handled_since"] = ""
        else:
            warnings = warnings.filter(resolution__in=HANDLED_RESOLUTIONS, closed_on__gte=since)
    warnings = warnings.annotate(severity_rank=SEVERITY_ORDER).order_by("status", "severity_rank", "deadline", "-id")
    context = {
        "page": paginate(request, warnings),
        "filters": filters,
        "rules": WarningRule.objects.order_by("code"),
        "severities": Severity.choices,
        "statuses": RiskWarning.Status.choices,
        "branches": visible_nodes(user).filter(kind="sub_branch"),
        "today": business_date_get(),
        "querystring": "&".join(f"{k}={v}" for k, v in filters.items() if v) + "&",
    }
    return render(request, "postloan/warning_list.html", context)


@login_required
def warning_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = acting_user(request)
    warning = get_object_or_404(
        visible_warnings(user).select_related("rule", "assignee", "escalated_to", "closed_by", "org_node"), pk=pk
    )
    if request.method == "POST":
        try:
            if request.POST.get("do") == "close":
                warning_close(
                    warning=warning,
                    actor=user,
                    resolution=request.POST.get("resolution", ""),
                    reason=request.POST.get("reason", ""),
                )
                messages.success(request, _("The warning is closed."))
            else:
                warning_action_add(
                    warning=warning, actor=user, kind=request.POST.get("kind", ""), note=request.POST.get("note", "")
                )
                messages.success(request, _("Recorded."))
        except DomainError as exc:
            messages.error(request, exc.detail)
        return redirect("warning-detail", pk=pk)
    context = {
        "warning": warning,
        "subject": warning_subject(warning),
        "can_reveal": can_view_identity(user),
        "actions": warning.actions.select_related("actor"),
        "kinds": WarningAction.Kind.choices,
        "today": business_date_get(),
        "others": visible_warnings(user)
        .filter(subject_type=warning.subject_type, subject_id=warning.subject_id)
        .exclude(pk=warning.pk)
        .select_related("rule")[:20],
    }
    return render(request, "postloan/warning_detail.html", context)


@login_required
def loan_checks(request: HttpRequest, pk: int) -> HttpResponse:
    """贷后检查: the provider's records for the farmer since drawdown, beside the loan; record the checks."""
    user = acting_user(request)
    loan = get_object_or_404(visible_loans(user).select_related("farmer", "program"), pk=pk)
    if request.method == "POST":
        try:
            postdrawdown_check_record(
                loan=loan,
                actor=user,
                kind=request.POST.get("kind", ""),
                result=request.POST.get("result", ""),
                note=request.POST.get("note", ""),
            )
            messages.success(request, _("The check is recorded."))
        except DomainError as exc:
            messages.error(request, exc.detail)
        return redirect("loan-checks", pk=pk)
    trades = TradeRecord.objects.filter(
        anchor_id=loan.program.anchor_id, id_hash=loan.farmer.id_hash, order_date__gte=loan.disbursed_on
    ).order_by("order_date")
    before = TradeRecord.objects.filter(
        anchor_id=loan.program.anchor_id,
        id_hash=loan.farmer.id_hash,
        order_date__range=(loan.disbursed_on - dt.timedelta(days=90), loan.disbursed_on - dt.timedelta(days=1)),
    )
    context = {
        "loan": loan,
        "trades": trades[:200],
        "trades_total": sum(t.amount for t in trades),
        "before_total": sum(t.amount for t in before),
        "checks": loan.checks.select_related("actor").order_by("-id"),
        "kinds": PostDrawdownCheck.Kind.choices,
        "results": PostDrawdownCheck.Result.choices,
    }
    return render(request, "postloan/loan_checks.html", context)
