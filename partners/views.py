from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.business_date import business_date_get
from core.files import files_kept_only_on_commit
from core.masking import mask_phone
from core.money import format_yuan
from core.roles import Role
from core.uploads import upload_read
from core.views import call_service, form_errors_text, paginate
from partners.auth import acting_user
from partners.forms import AgreementForm, AnchorForm, AssessmentForm, StatusReasonForm
from partners.models import Anchor, MarginEntry
from partners.scoping import is_anchor_operator, visible_anchors, visible_farmers, visible_programs
from partners.selectors import quarterly_review_done, with_latest_capacity
from partners.services.anchors import (
    agreement_add,
    anchor_approve,
    anchor_create,
    anchor_status_set,
    assessment_add,
)
from partners.services.farmers import can_view_identity, farmer_identity_reveal
from partners.services.margin import MARGIN_STAFF_ROLES, margin_entry_confirm


@login_required
def anchor_list(request: HttpRequest) -> HttpResponse:
    user = acting_user(request)
    if is_anchor_operator(user) and user.anchor_id:
        return redirect("anchor-detail", pk=user.anchor_id)
    anchors = with_latest_capacity(visible_anchors(user)).select_related("org_node").order_by("name")
    query = request.GET.get("q", "").strip()
    if query:
        anchors = anchors.filter(Q(name__icontains=query) | Q(uscc__icontains=query))
    status = request.GET.get("status", "")
    if status:
        anchors = anchors.filter(status=status)
    return render(
        request,
        "partners/anchor_list.html",
        {
            "page": paginate(request, anchors),
            "query": query,
            "status": status,
            "statuses": Anchor.Status.choices,
        },
    )


@login_required
def anchor_create_view(request: HttpRequest) -> HttpResponse:
    form = AnchorForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        anchor = call_service(form, lambda: anchor_create(actor=acting_user(request), **form.cleaned_data))
        if anchor is not None:
            messages.success(request, _("The anchor is registered and waits for a risk approver."))
            return redirect("anchor-detail", pk=anchor.pk)
    return render(request, "partners/anchor_form.html", {"form": form})


@login_required
def anchor_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = acting_user(request)
    anchor = get_object_or_404(with_latest_capacity(visible_anchors(user)), pk=pk)
    assessments = list(anchor.assessments.order_by("assessed_on", "id"))
    trend = {
        "dates": [a.assessed_on.isoformat() for a in assessments],
        "capacity": [str(a.guarantee_capacity) for a in assessments],
    }
    review_done, review_quarter = quarterly_review_done(anchor, business_date_get())
    context = {
        "anchor": anchor,
        "review_done": review_done,
        "review_quarter": review_quarter,
        "assessments": list(reversed(assessments)),
        "trend": trend,
        "agreements": anchor.agreements.select_related("scan"),
        "programs": visible_programs(user).filter(anchor=anchor),
        "pending_deposits": MarginEntry.objects.pending()
        .filter(program__in=visible_programs(user).filter(anchor=anchor))
        .select_related("program", "actor")
        .order_by("id"),
        "can_confirm_margin": user.has_role(*MARGIN_STAFF_ROLES),
        "assessment_form": AssessmentForm(),
        "agreement_form": AgreementForm(),
        "reason_form": StatusReasonForm(),
        "can_approve": anchor.status == Anchor.Status.PENDING
        and user.has_role(Role.RISK_APPROVER)
        and anchor.created_by_id != user.pk,
        "is_staff_user": not is_anchor_operator(user),
    }
    return render(request, "partners/anchor_detail.html", context)


@login_required
@require_POST
def anchor_approve_view(request: HttpRequest, pk: int) -> HttpResponse:
    """A button with no form: a refusal (the maker approving, a role that may not) is the refusal page."""
    anchor = get_object_or_404(visible_anchors(acting_user(request)), pk=pk)
    anchor_approve(anchor=anchor, actor=acting_user(request))
    messages.success(request, _("The anchor is approved."))
    return redirect("anchor-detail", pk=pk)


@login_required
@require_POST
def anchor_status_view(request: HttpRequest, pk: int, status: str) -> HttpResponse:
    anchor = get_object_or_404(visible_anchors(acting_user(request)), pk=pk)
    form = StatusReasonForm(request.POST)
    if form.is_valid():
        done = call_service(
            form,
            lambda: anchor_status_set(
                anchor=anchor, status=status, actor=acting_user(request), reason=form.cleaned_data["reason"]
            ),
        )
        if done is not None:
            messages.success(request, _("The anchor's status is changed."))
            return redirect("anchor-detail", pk=pk)
    messages.error(request, form_errors_text(form))
    return redirect("anchor-detail", pk=pk)


@login_required
@require_POST
def assessment_add_view(request: HttpRequest, pk: int) -> HttpResponse:
    anchor = get_object_or_404(visible_anchors(acting_user(request)), pk=pk)
    form = AssessmentForm(request.POST)
    if (
        form.is_valid()
        and call_service(form, lambda: assessment_add(anchor=anchor, actor=acting_user(request), **form.cleaned_data))
        is not None
    ):
        messages.success(request, _("The assessment is recorded."))
    else:
        messages.error(request, form_errors_text(form))
    return redirect("anchor-detail", pk=pk)


@login_required
@require_POST
def agreement_add_view(request: HttpRequest, pk: int) -> HttpResponse:
    anchor = get_object_or_404(visible_anchors(acting_user(request)), pk=pk)
    form = AgreementForm(request.POST, request.FILES)
    if form.is_valid():
        scan = form.cleaned_data.pop("scan")

        def add() -> object:
            extra = {}
            if scan is not None:
                content, name = upload_read(scan, max_bytes=settings.UPLOAD_MAX_BYTES, default_name="scan")
                extra = {"scan_content": content, "scan_name": name, "scan_content_type": scan.content_type}
            # A refused agreement leaves no scan in storage.
            with files_kept_only_on_commit():
                return agreement_add(anchor=anchor, actor=acting_user(request), **form.cleaned_data, **extra)

        if call_service(form, add):
            messages.success(request, _("The agreement is recorded."))
            return redirect("anchor-detail", pk=pk)
    messages.error(request, form_errors_text(form))
    return redirect("anchor-detail", pk=pk)


@login_required
@require_POST
def margin_entry_confirm_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Bank staff confirm an anchor's deposit; a refusal is the refusal page (4xx), never a silent redirect."""
    user = acting_user(request)
    entry = get_object_or_404(MarginEntry.objects.filter(program__in=visible_programs(user)), pk=pk)
    entry = margin_entry_confirm(entry=entry, actor=user)
    done = _("The deposit of %(amount)s yuan is confirmed and counts in the margin.")
    messages.success(request, done % {"amount": format_yuan(entry.amount)})
    if request.POST.get("back") == "anchor":
        return redirect("anchor-detail", pk=entry.program.anchor_id)
    return redirect("program-detail", pk=entry.program_id)


def farmer_page_context(request: HttpRequest, pk: int) -> dict[str, object]:
    """The farmer's own page; the full numbers only on request, to a permitted user, and logged."""
    user = acting_user(request)
    farmer = get_object_or_404(visible_farmers(user).select_related("org_node", "account_manager"), pk=pk)
    identity = None
    if request.method == "POST" and request.POST.get("reveal"):
        identity = farmer_identity_reveal(farmer=farmer, actor=user)
    return {
        "farmer": farmer,
        "identity": identity,
        "phone_masked": mask_phone(farmer.phone),
        "can_reveal": can_view_identity(user),
        "anchors": farmer.anchor_links.select_related("anchor"),
    }
