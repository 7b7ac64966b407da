"""The campaigns in the browser: the list, templates, a new campaign, its preview and decision, its
progress and messages (phones masked), and the opt-outs."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from campaigns.forms import CampaignForm, OptOutForm, RejectForm, TemplateForm
from campaigns.models import Campaign, Message, OptOut, SmsTemplate
from campaigns.rendering import VARIABLES, render_sample
from campaigns.selectors import campaign_preview, campaign_progress, visible_campaigns
from campaigns.services import (
    CHECKER_ROLES,
    MAKER_ROLES,
    campaign_approve,
    campaign_create,
    campaign_reject,
    opt_out_record,
    sms_template_create,
)
from core.masking import mask_phone
from core.permissions import require_role
from core.roles import STAFF_ROLES
from core.views import call_service, paginate
from partners.auth import acting_user
from partners.models import User
from partners.scoping import visible_anchors, visible_nodes, visible_programs

VARIABLE_LABELS = {
    "farmer_name": gettext_lazy("the farmer's name"),
    "limit_room": gettext_lazy("what he may still draw on his limit"),
    "programme": gettext_lazy("the programme"),
    "anchor": gettext_lazy("the anchor"),
    "outlet": gettext_lazy("his outlet"),
    "outlet_phone": gettext_lazy("his account manager's phone, or 95588"),
}


def _may(user: User, roles: tuple[str, ...]) -> bool:
    return bool(user.is_superuser or user.role in roles)


def _staff(request: HttpRequest) -> User:
    user = acting_user(request)
    require_role(user, *STAFF_ROLES)
    return user


@login_required
def campaign_list(request: HttpRequest) -> HttpResponse:
    """Every campaign of the user's subtree with its status and messages by status."""
    user = _staff(request)
    page = paginate(request, visible_campaigns(user).order_by("-id"), per_page=20)
    rows = [{"campaign": c, "progress": campaign_progress(c)} for c in page]
    context = {"page": page, "rows": rows, "may_make": _may(user, MAKER_ROLES)}
    return render(request, "campaigns/campaign_list.html", context)


@login_required
def template_list(request: HttpRequest) -> HttpResponse:
    """The templates, each with a sample message, and a form to keep a new one."""
    from django.conf import settings

    user = _staff(request)
    form = TemplateForm(request.POST or None)
    if request.method == "POST":
        require_role(user, *MAKER_ROLES)
        if form.is_valid():
            template = call_service(form, lambda: sms_template_create(actor=user, **form.cleaned_data))
            if template is not None:
                messages.success(request, _("Template kept."))
                return redirect("campaign-templates")
    templates = paginate(request, SmsTemplate.objects.select_related("created_by").order_by("-id"), per_page=20)
    rows = [{"template": t, "sample": render_sample(t.body, sender=settings.SMS_SENDER_NAME)} for t in templates]
    variables = [
        {"name": "{" + name + "}", "label": VARIABLE_LABELS[name], "example": example}
        for name, example in VARIABLES.items()
    ]
    context = {
        "form": form,
        "page": templates,
        "rows": rows,
        "may_make": _may(user, MAKER_ROLES),
        "variables": variables,
    }
    return render(request, "campaigns/template_list.html", context)


@login_required
def campaign_new(request: HttpRequest) -> HttpResponse:
    """Make a campaign: its template, audience and start; it then waits for a second person."""
    user = _staff(request)
    require_role(user, *MAKER_ROLES)
    form = CampaignForm(
        request.POST or None,
        templates=SmsTemplate.objects.order_by("-id"),
        programs=visible_programs(user).order_by("name"),
        anchors=visible_anchors(user).order_by("name"),
        nodes=visible_nodes(user).order_by("path"),
    )
    if request.method == "POST" and form.is_valid():
        campaign = call_service(form, lambda: campaign_create(actor=user, **form.cleaned_data))
        if campaign is not None:
            messages.success(request, _("Campaign made: a second person approves it before anything is sent."))
            return redirect("campaign-detail", pk=campaign.pk)
    return render(request, "campaigns/campaign_new.html", {"form": form})


@login_required
def campaign_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One campaign: its audience, the preview while it waits, the decision, and its progress."""
    user = _staff(request)
    campaign = get_object_or_404(visible_campaigns(user), pk=pk)
    pending = campaign.status == Campaign.Status.PENDING_APPROVAL
    context: dict[str, Any] = {
        "campaign": campaign,
        "progress": campaign_progress(campaign),
        "preview": campaign_preview(campaign) if pending else None,
        "may_decide": pending and _may(user, CHECKER_ROLES) and user.pk != campaign.created_by_id,
        "is_maker": user.pk == campaign.created_by_id,
        "reject_form": RejectForm(),
    }
    return render(request, "campaigns/campaign_detail.html", context)


@login_required
@require_POST
def campaign_decide(request: HttpRequest, pk: int) -> HttpResponse:
    """Approve (messages written and queued) or reject with a reason; the maker may do neither."""
    user = _staff(request)
    campaign = get_object_or_404(visible_campaigns(user), pk=pk)
    if request.POST.get("decision") == "approve":
        campaign_approve(campaign=campaign, actor=user)
        messages.success(request, _("Campaign approved: its messages are being sent."))
    else:
        form = RejectForm(request.POST)
        if not form.is_valid():
            messages.error(request, _("Say why the campaign is rejected."))
            return redirect("campaign-detail", pk=pk)
        campaign_reject(campaign=campaign, actor=user, reason=form.cleaned_data["reason"])
        messages.success(request, _("Campaign rejected."))
    return redirect("campaign-detail", pk=pk)


@login_required
def campaign_messages(request: HttpRequest, pk: int) -> HttpResponse:
    """The campaign's messages, one per farmer, phones masked, filtered by status."""
    user = _staff(request)
    campaign = get_object_or_404(visible_campaigns(user), pk=pk)
    status = request.GET.get("status", "")
    rows = Message.objects.filter(campaign=campaign).select_related("farmer").order_by("id")
    if status in Message.Status.values:
        rows = rows.filter(status=status)
    page = paginate(request, rows, per_page=50)
    items = [{"message": m, "phone": mask_phone(m.phone)} for m in page]
    context = {
        "campaign": campaign,
        "page": page,
        "items": items,
        "status": status,
        "statuses": Message.Status.choices,
    }
    return render(request, "campaigns/campaign_messages.html", context)


@login_required
def opt_outs(request: HttpRequest) -> HttpResponse:
    """The phones that opted out (masked), and a form to record one a farmer asked for at the outlet."""
    user = _staff(request)
    form = OptOutForm(request.POST or None)
    if request.method == "POST":
        require_role(user, *MAKER_ROLES)
        if form.is_valid():
            result = call_service(
                form,
                lambda: opt_out_record(phone=form.cleaned_data["phone"], source=OptOut.Source.STAFF, actor=user),
            )
            if result is not None:
                messages.success(request, _("Opt-out recorded: this phone gets no more marketing messages."))
                return redirect("campaign-opt-outs")
    page = paginate(request, OptOut.objects.select_related("recorded_by").order_by("-id"), per_page=50)
    items = [{"opt_out": o, "phone": mask_phone(o.phone)} for o in page]
    context = {"form": form, "page": page, "items": items, "may_make": _may(user, MAKER_ROLES)}
    return render(request, "campaigns/opt_outs.html", context)
