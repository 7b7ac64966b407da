"""日终处理: the operations console of the close of business, for administrators and branch managers.

The list shows the recent closes and the open alerts; a close's page shows its steps (chunks done and
planned, rows, seconds), a progress bar refreshed every two seconds while it runs, the error of a failed
chunk, and the resume action.
"""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import DurationField, ExpressionWrapper, F
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.business_date import business_date_get
from core.permissions import require_role
from core.views import paginate
from partners.auth import acting_user
from postloan.close_alerts import open_alerts
from postloan.close_progress import close_progress
from postloan.close_requests import CONSOLE_ROLES, close_resume_request
from postloan.close_schedule import cob_time
from postloan.models import DayClose


@login_required
def close_list(request: HttpRequest) -> HttpResponse:
    require_role(acting_user(request), *CONSOLE_ROLES)
    closes = DayClose.objects.annotate(
        duration=ExpressionWrapper(F("finished_at") - F("started_at"), output_field=DurationField())
    ).order_by("-day")
    page = paginate(request, closes, per_page=30)
    latest = DayClose.objects.order_by("-day").first()
    current = close_progress(latest) if latest and latest.status != DayClose.Status.DONE else None
    return render(
        request,
        "postloan/close_list.html",
        {
            "page": page,
            "current": current,
            "alerts": open_alerts(),
            "business_date": business_date_get(),
            "cob_time": cob_time(),
        },
    )


def _close_for(day: str) -> DayClose:
    try:
        parsed = dt.date.fromisoformat(day)
    except ValueError:
        raise Http404 from None
    return get_object_or_404(DayClose, day=parsed)


@login_required
def close_detail(request: HttpRequest, day: str) -> HttpResponse:
    require_role(acting_user(request), *CONSOLE_ROLES)
    close = _close_for(day)
    return render(request, "postloan/close_detail.html", {"progress": close_progress(close)})


@login_required
def close_progress_fragment(request: HttpRequest, day: str) -> HttpResponse:
    """The progress block alone, polled by the page while the close runs."""
    require_role(acting_user(request), *CONSOLE_ROLES)
    close = _close_for(day)
    return render(request, "postloan/_close_progress.html", {"progress": close_progress(close)})


@login_required
@require_POST
def close_resume(request: HttpRequest) -> HttpResponse:
    close = close_resume_request(actor=acting_user(request))
    messages.success(request, _("The close of %(day)s is resuming.") % {"day": close.day.isoformat()})
    return redirect("close-detail", day=close.day.isoformat())
