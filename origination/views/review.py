"""The account manager's review of a processed batch, and the approver's decision."""

from __future__ import annotations

from decimal import Decimal
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.error_codes import ErrorCode
from core.errors import DomainError
from core.money import format_yuan
from core.roles import Role
from core.views import paginate, typed_amount
from origination.models import Batch, BatchRow
from origination.selectors import (
    monthly_totals,
    no_trade_facts,
    row_trades,
    sees_provider_figures,
    shown_decision,
    visible_batch_rows,
    visible_batches,
)
from origination.services.approval import (
    ApprovalOutcome,
    Decision,
    batch_approval_outcome,
    batch_approval_preview,
    batch_approve,
    batch_made_by,
    batch_reject,
    batch_row_decide,
    batch_submit,
)
from origination.tasks import batch_process_dispatch
from partners.auth import acting_user

FILTERS = {"matched", "mismatch", "no_trade_data"}
SCREENING_FILTERS = set(BatchRow.Screening.values)


def _batch(request: HttpRequest, pk: int) -> Batch:
    return get_object_or_404(visible_batches(acting_user(request)).select_related("program", "program__anchor"), pk=pk)


@login_required
def batch_review(request: HttpRequest, pk: int) -> HttpResponse:
    user = acting_user(request)
    batch = _batch(request, pk)
    visible = visible_batch_rows(user, batch)
    provider_figures = sees_provider_figures(user)
    rows = visible.select_related("batch").order_by("row")
    # An anchor operator neither sees the match or the screening nor filters on them (the filter would tell).
    shown = request.GET.get("validation", "") if provider_figures else ""
    if shown in FILTERS:
        rows = rows.filter(validation=shown)
    screening = request.GET.get("screening", "") if provider_figures else ""
    if screening in SCREENING_FILTERS:
        rows = rows.filter(screening=screening)
    else:
        screening = ""
    counts = {value: visible.filter(validation=value).count() for value in FILTERS} if provider_figures else {}
    screened = dict(visible.values_list("screening").annotate(n=Count("id"))) if provider_figures else {}
    screening_counts = {value: screened.get(value, 0) for value in SCREENING_FILTERS}
    page = paginate(request, rows, per_page=50)
    context = {
        "batch": batch,
        "page": page,
        "entries": [(r, BatchRow.Decision(shown_decision(user, r)).label) for r in page],
        "shown": shown,
        "counts": counts,
        "screening": screening,
        "screening_counts": screening_counts,
        "querystring": urlencode({"validation": shown, "screening": screening}) + "&",
        "rows_shown": visible.count(),
        "provider_figures": provider_figures,
        "is_staff_user": user.role != Role.ANCHOR_OPERATOR or user.is_superuser,
        "can_decide": batch.status == Batch.Status.PROCESSED
        and user.has_role(Role.ACCOUNT_MANAGER, Role.RISK_APPROVER),
        "can_approve": batch.status == Batch.Status.SUBMITTED
        and user.has_role(Role.RISK_APPROVER)
        and not batch_made_by(batch, user),
    }
    if context["can_approve"]:
        context["approval"] = batch_approval_preview(batch)
    return render(request, "origination/batch_review.html", context)


@login_required
def batch_row_panel(request: HttpRequest, pk: int, row: int) -> HttpResponse:
    """One farmer's figures side by side, with his verified orders month by month (htmx fragment).

    To an anchor operator: his declared figures and the decision only.
    """
    user = acting_user(request)
    batch = _batch(request, pk)
    batch_row = get_object_or_404(visible_batch_rows(user, batch).select_related("batch__program"), row=row)
    if not sees_provider_figures(user):
        decision = BatchRow.Decision(shown_decision(user, batch_row)).label
        context = {"row": batch_row, "provider_figures": False, "decision": decision}
        return render(request, "origination/_batch_row_panel.html", context)
    trades = row_trades(batch_row)
    months = (
        monthly_totals(trades, batch_row.window_start, batch_row.window_end)
        if batch_row.window_start and batch_row.window_end
        else []
    )
    chart = {"months": [m for m, _ in months], "amounts": [str(a) for _, a in months]}
    context = {
        "row": batch_row,
        "provider_figures": True,
        "trades": trades[:100],
        "trade_total": trades.count(),
        "chart": chart,
    }
    if batch_row.validation == BatchRow.Validation.NO_TRADE_DATA:
        context["no_trade"] = no_trade_facts(batch_row)
    return render(request, "origination/_batch_row_panel.html", context)


def _amount(text: str) -> Decimal | None:
    return typed_amount(text) if text.strip() else None


@login_required
@require_POST
def batch_row_decide_view(request: HttpRequest, pk: int, row: int) -> HttpResponse:
    batch = _batch(request, pk)
    get_object_or_404(visible_batch_rows(acting_user(request), batch), row=row)
    decision = Decision(
        row=row,
        approve=request.POST.get("approve") == "1",
        amount=_amount(request.POST.get("amount", "")),
        reason=request.POST.get("reason", ""),
    )
    try:
        batch_row_decide(batch=batch, actor=acting_user(request), decision=decision)
    except DomainError as exc:
        messages.error(request, exc.detail)
    else:
        messages.success(request, _("Row %(row)s is decided.") % {"row": row})
    query = request.POST.get("query", "")
    return redirect(f"{reverse('batch-review', args=[pk])}{'?' + query if query else ''}")


def _approved_message(outcome: ApprovalOutcome) -> str:
    """What the approval did, in counts and amounts."""
    if outcome.rows_granted == 0:
        return _("Approved, but no limit was granted: all %(refused)s rows were refused and no notice was sent.") % {
            "refused": outcome.rows_refused
        }
    return _(
        "Approved: limits granted to %(granted)s farmers, %(total)s yuan in all; %(refused)s rows refused; "
        "%(notices)s notices queued for sending."
    ) % {
        "granted": outcome.rows_granted,
        "total": format_yuan(outcome.total_granted),
        "refused": outcome.rows_refused,
        "notices": outcome.notices,
    }


@login_required
@require_POST
def batch_action(request: HttpRequest, pk: int, name: str) -> HttpResponse:
    """Process, submit, approve or reject, then back to the review page with the outcome."""
    user = acting_user(request)
    batch = _batch(request, pk)
    done = {
        "process": _("Processing has run."),
        "submit": _("The batch is submitted for approval."),
        "reject": _("The batch is rejected."),
    }
    try:
        if name == "process":
            batch_process_dispatch(batch, user)
        elif name == "submit":
            batch_submit(batch=batch, actor=user)
        elif name == "approve":
            batch_approve(batch=batch, actor=user)
            done[name] = _approved_message(batch_approval_outcome(batch))
        elif name == "reject":
            batch_reject(batch=batch, actor=user, reason=request.POST.get("reason", ""))
        else:
            raise DomainError(ErrorCode.UNKNOWN_ACTION, _("Unknown action."), status=404)
    except DomainError as exc:
        messages.error(request, exc.detail)
    else:
        messages.success(request, done[name])
    return redirect("batch-review", pk=pk)
