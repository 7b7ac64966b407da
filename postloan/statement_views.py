"""The monthly statements' pages: the list with its downloads, a file, and staff's request for a month."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.business_date import business_date_get
from core.permissions import require_role
from core.views import paginate
from partners.auth import acting_user
from partners.models import User
from partners.scoping import visible_programs
from postloan.statement_tasks import statements_write_task
from postloan.statements import STATEMENT_STAFF, may_read_statements, previous_month, visible_statements

MONTHS_OFFERED = 12


def closed_months(today: dt.date, count: int = MONTHS_OFFERED) -> list[dt.date]:
    """The last ``count`` months over on the business date, newest first."""
    months = [previous_month(today)]
    while len(months) < count:
        months.append(previous_month(months[-1]))
    return months


def _may_request(user: User) -> bool:
    return bool(user.is_superuser or user.role in STATEMENT_STAFF)


@login_required
def statement_list(request: HttpRequest) -> HttpResponse:
    user = acting_user(request)
    if not may_read_statements(user):
        raise Http404
    statements = visible_statements(user).select_related("program__anchor", "xlsx", "pdf")
    program = request.GET.get("program", "")
    if program.isdigit():
        statements = statements.filter(program_id=int(program))
    filters = {"program": program if program.isdigit() else ""}
    context = {
        "page": paginate(request, statements.order_by("-month", "program__name", "pk")),
        "programs": visible_programs(user).order_by("name", "id"),
        "filters": filters,
        "querystring": urlencode(filters) + "&",
        "may_request": _may_request(user),
        "months": closed_months(business_date_get()),
    }
    return render(request, "postloan/statement_list.html", context)


@login_required
def statement_download(request: HttpRequest, pk: int, kind: str) -> FileResponse:
    """The statement's workbook or PDF, byte for byte as written (its SHA-256 on the list)."""
    user = acting_user(request)
    statement = get_object_or_404(visible_statements(user).select_related("xlsx", "pdf"), pk=pk)
    if kind not in ("xlsx", "pdf"):
        raise Http404
    stored = statement.xlsx if kind == "xlsx" else statement.pdf
    return FileResponse(
        stored.content.open("rb"), as_attachment=True, filename=stored.name, content_type=stored.content_type
    )


@login_required
@require_POST
def statement_request(request: HttpRequest) -> HttpResponse:
    """Staff ask for a closed month's statements of the programmes in their reach (only the missing are written)."""
    user = acting_user(request)
    require_role(user, *STATEMENT_STAFF)
    months = {month.isoformat(): month for month in closed_months(business_date_get())}
    month = months.get(request.POST.get("month", ""))
    if month is None:
        messages.error(request, _("Choose a month that is over."))
        return redirect("statement-list")
    programs = list(visible_programs(user).values_list("pk", flat=True))
    result = statements_write_task.delay(month.isoformat(), programs, user.pk)
    if result.ready():
        messages.success(
            request,
            _("%(count)s statements written for %(month)s; those written before are kept as they were.")
            % {"count": result.get(), "month": f"{month:%Y-%m}"},
        )
    else:
        messages.info(request, _("The statements of %(month)s are being written.") % {"month": f"{month:%Y-%m}"})
    return redirect("statement-list")
