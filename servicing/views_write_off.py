"""Write-off pages: the proposals and write-offs of the loans the user sees, proposed and approved here."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.errors import DomainError
from core.views import paginate
from origination.models import Loan, WriteOff
from origination.selectors import visible_loans
from partners.auth import acting_user
from servicing.write_off import APPROVER_ROLES, PROPOSER_ROLES, write_off_approve, write_off_propose, write_off_reject


@login_required
def write_off_list(request: HttpRequest) -> HttpResponse:
    user = acting_user(request)
    loans = visible_loans(user)
    context = {
        "page": paginate(
            request,
            WriteOff.objects.filter(loan__in=loans)
            .select_related("loan__farmer", "proposed_by", "first_approver", "second_approver")
            .order_by("-id"),
        ),
        "candidates": loans.filter(status=Loan.Status.ACTIVE, classification=Loan.Classification.LOSS)
        .exclude(write_offs__status__in=[WriteOff.Status.PROPOSED, WriteOff.Status.APPROVED])
        .select_related("farmer")
        .order_by("id")[:100],
        "can_propose": user.has_role(*PROPOSER_ROLES),
        "can_approve": user.has_role(*APPROVER_ROLES),
        "user_id": user.pk,
    }
    return render(request, "servicing/write_off_list.html", context)


@login_required
@require_POST
def write_off_propose_view(request: HttpRequest) -> HttpResponse:
    user = acting_user(request)
    loan = get_object_or_404(visible_loans(user), pk=request.POST.get("loan") or 0)
    try:
        write_off_propose(loan=loan, reason=request.POST.get("reason", ""), actor=user)
    except DomainError as exc:
        messages.error(request, exc.detail)
    else:
        messages.success(request, _("The write-off is proposed; two other people must approve it."))
    return redirect("write-off-list")


@login_required
@require_POST
def write_off_decide(request: HttpRequest, pk: int, decision: str) -> HttpResponse:
    if decision not in ("approve", "reject"):
        raise Http404
    user = acting_user(request)
    proposal = get_object_or_404(WriteOff.objects.filter(loan__in=visible_loans(user)), pk=pk)
    try:
        if decision == "approve":
            done = write_off_approve(write_off=proposal, actor=user)
            if done.status == WriteOff.Status.APPROVED:
                messages.success(request, _("The loan is written off."))
            else:
                messages.success(request, _("First approval recorded; a second person must approve."))
        else:
            write_off_reject(write_off=proposal, actor=user, note=request.POST.get("note", ""))
            messages.success(request, _("The write-off is rejected."))
    except DomainError as exc:
        messages.error(request, exc.detail)
    return redirect("write-off-list")
