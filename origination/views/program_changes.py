"""Pages of programme changes: the proposal form, and the approval, rejection or withdrawal of an open change."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.business_date import business_date_get
from core.permissions import require_role
from core.roles import Role
from core.views import call_service, form_errors_text
from origination.program_change_forms import ProgramChangeDecisionForm, ProgramChangeForm
from origination.program_history import changes_shown, parameter_versions, values_moved
from origination.services.program_changes import (
    PROPOSER_ROLES,
    program_change_approve,
    program_change_propose,
    program_change_reject,
)
from partners.auth import acting_user
from partners.models import Program, ProgramChange, User
from partners.scoping import visible_programs
from partners.services.agreements import agreements_state


@login_required
def program_change_propose_view(request: HttpRequest, pk: int) -> HttpResponse:
    user = acting_user(request)
    program = get_object_or_404(visible_programs(user).select_related("anchor"), pk=pk)
    require_role(user, *PROPOSER_ROLES)
    form = ProgramChangeForm(request.POST or None, program=program, today=business_date_get())
    if request.method == "POST" and form.is_valid():
        values = form.parameter_values()
        change = call_service(
            form,
            lambda: program_change_propose(
                program=program,
                actor=user,
                values=values,
                effective_from=form.cleaned_data["effective_from"],
                reason=form.cleaned_data["reason"],
            ),
        )
        if change is not None:
            messages.success(request, _("The change is proposed: a risk approver other than you decides on it."))
            return redirect("program-detail", pk=program.pk)
    return render(request, "origination/program_change_form.html", {"program": program, "form": form})


def _open_change(request: HttpRequest, pk: int) -> tuple[User, ProgramChange]:
    user = acting_user(request)
    changes = ProgramChange.objects.filter(program__in=visible_programs(user))
    return user, get_object_or_404(changes_shown(changes, user), pk=pk)


@login_required
@require_POST
def program_change_approve_view(request: HttpRequest, pk: int) -> HttpResponse:
    user, change = _open_change(request, pk)
    form = ProgramChangeDecisionForm(request.POST)
    if form.is_valid():
        note = form.cleaned_data["note"]
        done = call_service(form, lambda: program_change_approve(change=change, actor=user, note=note))
        if done is not None:
            applied = done.status == ProgramChange.Status.APPLIED
            in_force = _("The change is approved and in force.")
            messages.success(request, in_force if applied else _("The change is approved; it applies from its date."))
            return redirect("program-detail", pk=change.program_id)
    messages.error(request, form_errors_text(form))
    return redirect("program-detail", pk=change.program_id)


@login_required
@require_POST
def program_change_reject_view(request: HttpRequest, pk: int) -> HttpResponse:
    user, change = _open_change(request, pk)
    form = ProgramChangeDecisionForm(request.POST)
    if form.is_valid():
        note = form.cleaned_data["note"]
        done = call_service(form, lambda: program_change_reject(change=change, actor=user, note=note))
        if done is not None:
            withdrawn = done.status == ProgramChange.Status.WITHDRAWN
            messages.success(request, _("The change is withdrawn.") if withdrawn else _("The change is rejected."))
            return redirect("program-detail", pk=change.program_id)
    messages.error(request, form_errors_text(form))
    return redirect("program-detail", pk=change.program_id)


def program_changes_context(program: Program, user: User) -> dict[str, Any]:
    """What the programme page shows of its agreements, its changes and its parameters' versions."""
    changes = list(changes_shown(program.changes.select_related("proposed_by", "decided_by"), user)[:50])
    open_change = next((c for c in changes if c.status in ProgramChange.OPEN_STATUSES), None)
    is_approver = user.has_role(Role.RISK_APPROVER)
    agreements = agreements_state(program.anchor_id, business_date_get())
    return {
        "agreements": agreements,
        "agreement_lapsed": any(state.lapsed for state in agreements),
        "changes": [(change, values_moved(change.previous, change.values, user)) for change in changes],
        "open_change": open_change,
        "open_change_moved": values_moved(open_change.previous, open_change.values, user) if open_change else [],
        "can_propose_change": user.has_role(*PROPOSER_ROLES) and open_change is None,
        "can_approve_change": bool(
            open_change
            and open_change.status == ProgramChange.Status.PROPOSED
            and is_approver
            and open_change.proposed_by_id != user.pk
        ),
        "can_reject_change": bool(open_change and is_approver and open_change.proposed_by_id != user.pk),
        "can_withdraw_change": bool(open_change and open_change.proposed_by_id == user.pk),
        "decision_form": ProgramChangeDecisionForm(),
        "versions": parameter_versions(program, user),
    }


urlpatterns = [
    path("programs/<int:pk>/changes/new/", program_change_propose_view, name="program-change-propose"),
    path("program-changes/<int:pk>/approve/", program_change_approve_view, name="program-change-approve"),
    path("program-changes/<int:pk>/reject/", program_change_reject_view, name="program-change-reject"),
]
