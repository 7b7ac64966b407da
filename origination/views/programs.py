from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.roles import Role
from core.views import call_service, form_errors_text
from origination.figures import program_figures, programs_figures
from origination.forms import MarginForm, ProgramForm, ResumeForm, SuspendForm
from origination.models import Loan
from origination.program_history import parameter_display, parameter_label
from origination.services.intake import UPLOAD_ROLES
from origination.services.margin import margin_withdraw
from origination.views.program_changes import program_changes_context
from partners.auth import acting_user
from partners.models import Anchor, MarginEntry, Program
from partners.scoping import is_anchor_operator, visible_anchors, visible_programs
from partners.services.margin import MARGIN_STAFF_ROLES, margin_balance, margin_deposit
from partners.services.programs import program_create, program_parameters_shown, program_resume, program_suspend


@login_required
def program_list(request: HttpRequest) -> HttpResponse:
    programs = visible_programs(acting_user(request)).select_related("anchor").order_by("anchor__name", "name")
    status = request.GET.get("status", "")  # the home page's link to the suspended programmes
    if status in Program.Status.values:
        programs = programs.filter(status=status)
    shown = list(programs[:200])
    figures = programs_figures(shown)
    rows = [(program, figures[program.pk]) for program in shown]
    label = Program.Status(status).label if status in Program.Status.values else ""
    return render(request, "origination/program_list.html", {"rows": rows, "status_label": label})


@login_required
def program_create_view(request: HttpRequest) -> HttpResponse:
    user = acting_user(request)
    anchors = visible_anchors(user).filter(status=Anchor.Status.APPROVED)
    initial = {"anchor": request.GET.get("anchor")} if request.GET.get("anchor") else {}
    form = ProgramForm(request.POST or None, anchors=anchors, initial=initial)
    if request.method == "POST" and form.is_valid():
        values = dict(form.cleaned_data)
        program = call_service(form, lambda: program_create(actor=user, **values))
        if program is not None:
            messages.success(request, _("The programme is active."))
            return redirect("program-detail", pk=program.pk)
    return render(request, "origination/program_form.html", {"form": form})


@login_required
def program_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = acting_user(request)
    program = get_object_or_404(visible_programs(user).select_related("anchor", "org_node", "manager"), pk=pk)
    figures = program_figures(program)
    parameters = [
        (parameter_label(name), name, parameter_display(name, getattr(program, name)))
        for name in program_parameters_shown(user)
    ]
    context = {
        "program": program,
        "figures": figures,
        "mix": [
            {"name": Loan.Classification(key).label, "value": str(value)}
            for key, value in figures.classification_mix.items()
        ],
        "parameters": parameters,
        "status_changes": program.status_changes.select_related("actor")[:50],
        "margin_entries": program.margin_entries.select_related("actor", "confirmed_by")[:100],
        "margin_form": MarginForm(deposit_only=is_anchor_operator(user)),
        "pending_deposits": program.margin_entries.pending().select_related("actor").order_by("id"),
        "can_confirm_margin": user.has_role(*MARGIN_STAFF_ROLES),
        "resume_form": ResumeForm(),
        "suspend_form": SuspendForm(),
        "is_approver": user.has_role(Role.RISK_APPROVER),
        "can_upload": user.has_role(*UPLOAD_ROLES) and program.status != Program.Status.SUSPENDED,
        "batches": program.batches.order_by("-id")[:20],
        **program_changes_context(program, user),
    }
    return render(request, "origination/program_detail.html", context)


@login_required
@require_POST
def program_margin_view(request: HttpRequest, pk: int) -> HttpResponse:
    user = acting_user(request)
    program = get_object_or_404(visible_programs(user), pk=pk)
    form = MarginForm(request.POST, deposit_only=is_anchor_operator(user))
    if form.is_valid():
        values = form.cleaned_data
        post = margin_deposit if values["kind"] == MarginEntry.Kind.DEPOSIT else margin_withdraw
        entry = call_service(
            form, lambda: post(program=program, amount=values["amount"], actor=user, note=values["note"])
        )
        if entry is not None and entry.is_pending:
            messages.success(request, _("Recorded. The deposit counts once the bank confirms that it arrived."))
            return redirect("program-detail", pk=pk)
        if entry is not None:
            messages.success(
                request,
                _("Recorded. Margin balance: %(balance)s yuan.") % {"balance": f"{margin_balance(pk):,.2f}"},
            )
            return redirect("program-detail", pk=pk)
    messages.error(request, form_errors_text(form))
    return redirect("program-detail", pk=pk)


@login_required
@require_POST
def program_resume_view(request: HttpRequest, pk: int) -> HttpResponse:
    user = acting_user(request)
    program = get_object_or_404(visible_programs(user), pk=pk)
    form = ResumeForm(request.POST)
    if form.is_valid():
        npl = program_figures(program).npl_ratio
        done = call_service(
            form,
            lambda: program_resume(
                program=program, actor=user, assessment=form.cleaned_data["assessment"], npl_ratio=npl
            ),
        )
        if done is not None:
            messages.success(request, _("The programme is active again."))
            return redirect("program-detail", pk=pk)
    messages.error(request, form_errors_text(form))
    return redirect("program-detail", pk=pk)


@login_required
@require_POST
def program_suspend_view(request: HttpRequest, pk: int) -> HttpResponse:
    user = acting_user(request)
    program = get_object_or_404(visible_programs(user), pk=pk)
    form = SuspendForm(request.POST)
    if (
        form.is_valid()
        and call_service(form, lambda: program_suspend(program=program, actor=user, reason=form.cleaned_data["reason"]))
        is not None
    ):
        messages.success(request, _("The programme is suspended."))
        return redirect("program-detail", pk=pk)
    messages.error(request, form_errors_text(form))
    return redirect("program-detail", pk=pk)
