"""Warning pages (PC and phone) and the post-drawdown checks."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from core.business_date import business_date_get
from core.db_router import replica_reads
from core.errors import DomainError
from core.views import paginate
from origination.selectors import visible_loans
from partners.auth import acting_user
from partners.scoping import visible_nodes
from partners.services.farmers import can_view_identity
from postloan.models import (
    PostDrawdownCheck,
    RiskWarning,
    Severity,
    WarningAction,
    WarningRule,
)
from postloan.selectors import WarningFilters, warnings_filtered
from postloan.services import (
    SEVERITY_ORDER,
    my_warnings,
    postdrawdown_check_record,
    visible_warnings,
    warning_action_add,
    warning_close,
)
from postloan.subjects import label_subjects, warning_subject
from risk.models import TradeRecord


@login_required
def my_warning_list(request: HttpRequest) -> HttpResponse:
    user = acting_user(request)
    warnings = my_warnings(user).select_related("rule")
    return render(
        request,
        "postloan/my_warnings.html",
        {"warnings": label_subjects(warnings[:200]), "count": warnings.count(), "today": business_date_get()},
    )


# The list's filters as the page reads them from its address (the API's names; see postloan.selectors).
PAGE_FILTERS = (
    "rule",
    "severity",
    "status",
    "subject_type",
    "branch",
    "assignee",
    "escalated",
    "overdue",
    "handled_since",
    "due_by",
)


def _yes_or_no(text: str) -> bool | None:
    """A yes-or-no filter read as the API reads it (django-filter's): anything else does not filter."""
    return True if text in ("true", "True", "1") else False if text in ("false", "False", "0") else None


def _page_filters(request: HttpRequest) -> tuple[dict[str, str], WarningFilters]:
    """The filters as given (to fill the form and the page links in again) and as the selector takes them."""
    given = {key: request.GET.get(key, "") for key in PAGE_FILTERS}
    handled_since = None
    if given["handled_since"]:  # the dashboards' drill-down of "handled": closed by a person since the day
        try:
            handled_since = dt.date.fromisoformat(given["handled_since"])
        except ValueError:
            messages.error(request, _("This is not a date: write it like 2027-02-13."))
            given["handled_since"] = ""
    due_by = None
    if given["due_by"]:  # the home page's drill-down: open and due on or before the day
        try:
            due_by = dt.date.fromisoformat(given["due_by"])
        except ValueError:
            messages.error(request, _("This is not a date: write it like 2027-02-13."))
            given["due_by"] = ""
    filters = WarningFilters(
        rule=given["rule"],
        status=given["status"],
        severity=given["severity"],
        subject_type=given["subject_type"],
        branch=given["branch"],
        # the dashboards' drill-down by account manager
        assignee=int(given["assignee"]) if given["assignee"].isdigit() else None,
        escalated=_yes_or_no(given["escalated"]),
        overdue=bool(given["overdue"]),
        handled_since=handled_since,
        due_by=due_by,
    )
    return given, filters


@login_required
@replica_reads
def warning_list(request: HttpRequest) -> HttpResponse:
    user = acting_user(request)
    given, filters = _page_filters(request)
    warnings = warnings_filtered(user, filters).select_related("rule", "org_node", "assignee")
    warnings = warnings.annotate(severity_rank=SEVERITY_ORDER).order_by("status", "severity_rank", "deadline", "-id")
    page = paginate(request, warnings)
    page.object_list = label_subjects(page.object_list)
    context = {
        "page": page,
        "filters": given,
        "rules": WarningRule.objects.order_by("code"),
        "severities": Severity.choices,
        "statuses": RiskWarning.Status.choices,
        "branches": visible_nodes(user).filter(kind="sub_branch"),
        "today": business_date_get(),
        "querystring": "&".join(f"{k}={v}" for k, v in given.items() if v) + "&",
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
