"""Provider data in the browser: file deliveries (trades, monitoring events) and regional outbreaks."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from core.business_date import business_date_get
from core.error_codes import ErrorCode
from core.errors import DomainError
from core.uploads import upload_open
from core.views import paginate
from partners.auth import acting_user
from partners.models import Anchor, User
from partners.scoping import is_anchor_operator, visible_anchors
from risk.conflicts import conflict_kind, conflict_views, field_labels
from risk.exports import conflicts_xlsx
from risk.importers import provider_max_bytes
from risk.models import Outbreak, ProviderDelivery
from risk.services.deliveries import monitoring_events_import, trade_records_import
from risk.services.outbreaks import outbreak_create


def visible_deliveries(user: User, anchors: QuerySet[Anchor]) -> QuerySet[ProviderDelivery]:
    """The deliveries of the anchors the user sees; staff also see the monitoring deliveries (no anchor),
    which concern the whole bank, an anchor operator only his own enterprise's."""
    mine = Q(anchor__in=anchors)
    if not is_anchor_operator(user):
        mine |= Q(anchor__isnull=True)
    return ProviderDelivery.objects.filter(mine).select_related("provider", "anchor", "file").order_by("-id")


@login_required
def provider_data(request: HttpRequest) -> HttpResponse:
    """Deliveries so far, a form to import a provider's file, and the outbreaks on record."""
    user = acting_user(request)
    anchors = visible_anchors(user).order_by("name")
    result = None
    if request.method == "POST":
        upload = request.FILES.get("file")
        try:
            if request.POST.get("kind") == "outbreak":
                outbreak_create(
                    actor=user,
                    region_code=request.POST.get("region_code", ""),
                    disease=request.POST.get("disease", ""),
                    declared_on=dt.date.fromisoformat(
                        request.POST.get("declared_on") or business_date_get().isoformat()
                    ),
                    note=request.POST.get("note", ""),
                )
                messages.success(request, _("The outbreak is recorded."))
                return redirect("provider-data")
            if upload is None:
                raise DomainError(ErrorCode.FILE_REQUIRED, _("Choose the provider's file."))
            content, name = upload_open(upload, max_bytes=provider_max_bytes(), default_name="provider.csv")
            if request.POST.get("kind") == "events":
                result = monitoring_events_import(content=content, filename=name, actor=user)
            else:
                anchor = anchors.filter(pk=request.POST.get("anchor") or 0).first()
                if anchor is None:
                    raise DomainError(ErrorCode.ANCHOR_REQUIRED, _("Choose the anchor whose orders these are."))
                result = trade_records_import(anchor=anchor, content=content, filename=name, actor=user)
            messages.success(
                request,
                _(
                    "Imported: %(created)s new, %(duplicates)s already known, "
                    "%(conflicts)s in conflict with stored records, %(errors)s refused."
                )
                % {
                    "created": result.created,
                    "duplicates": result.duplicates,
                    "conflicts": result.conflicts,
                    "errors": result.errors_total,
                },
            )
        except DomainError as exc:
            messages.error(request, exc.detail)
        except ValueError:
            messages.error(request, _("This is not a date: write it like 2027-02-13."))
    context = {
        "anchors": anchors,
        "result": result,
        "page": paginate(request, visible_deliveries(user, anchors), per_page=20),
        "outbreaks": Outbreak.objects.order_by("-declared_on")[:20],
        "today": business_date_get(),
    }
    return render(request, "risk/provider_data.html", context)


def _delivery_for(request: HttpRequest, pk: int) -> tuple[User, ProviderDelivery]:
    """A delivery the user sees, else 404 as if it did not exist."""
    user = acting_user(request)
    return user, get_object_or_404(visible_deliveries(user, visible_anchors(user)), pk=pk)


def _sees_conflicts(user: User) -> bool:
    """The two versions of a conflict are the provider's figures: the bank's data team takes them up,
    an anchor operator sees the counts only (the provider's verified figures never reach him)."""
    return user.is_superuser or not is_anchor_operator(user)


@login_required
def provider_delivery(request: HttpRequest, pk: int) -> HttpResponse:
    """One delivery: its counts and, for staff, its conflicts with the stored and received versions side by side."""
    user, delivery = _delivery_for(request, pk)
    sees_conflicts = _sees_conflicts(user)
    page = paginate(request, delivery.conflict_records.order_by("row", "id"), per_page=50)
    kind = conflict_kind(delivery.kind)
    context = {
        "delivery": delivery,
        "sees_conflicts": sees_conflicts,
        "page": page,
        "conflicts": conflict_views(delivery, page) if sees_conflicts else [],
        "labels": field_labels(kind),
        "fields": [name for name, _column in kind.shown],
        "key_label": _("order number") if delivery.kind == ProviderDelivery.Kind.TRADES else _("event number"),
    }
    return render(request, "risk/provider_delivery.html", context)


@login_required
def provider_delivery_conflicts(request: HttpRequest, pk: int) -> HttpResponse:
    """The delivery's conflicts as a workbook, for the data team to send to the provider."""
    user, delivery = _delivery_for(request, pk)
    if not _sees_conflicts(user):
        raise PermissionDenied
    return conflicts_xlsx(delivery)
