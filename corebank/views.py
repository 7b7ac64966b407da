"""The core's debit files in the browser: send one in, the files received, a file's debits and refunds."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count, Q, QuerySet, Sum
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext as _

from core.business_date import business_date_get
from core.error_codes import ErrorCode
from core.errors import DomainError
from core.permissions import require_role
from core.roles import Role
from core.uploads import upload_open
from core.views import paginate
from corebank.debit_files import COLUMNS, IMPORT_ROLES, debit_file_import, max_bytes
from corebank.models import Debit, DebitFile
from partners.auth import acting_user

# Who sees the files received and their debits: bank operations, and the branch's management reading them.
VIEW_ROLES = (Role.ADMINISTRATOR, Role.BRANCH_MANAGER)
REFUNDS_LISTED = 50
COLUMN_HEADERS = {spec.field: spec.aliases[0] for spec in COLUMNS}


def files_with_state() -> QuerySet[DebitFile]:
    """The files received, each with how many of its debits wait for the close and what it leaves to refund."""
    return DebitFile.objects.select_related("received_by").annotate(
        pending=Count("debits", filter=Q(debits__state=Debit.State.PENDING)),
        to_refund=Sum("debits__refund"),
    )


@login_required
def debit_files(request: HttpRequest) -> HttpResponse:
    """Upload the core's debit file (administrators), the files received and the debits left to refund."""
    user = acting_user(request)
    require_role(user, *VIEW_ROLES)
    result: dict[str, Any] | None = None
    if request.method == "POST":
        try:
            require_role(user, *IMPORT_ROLES)
            upload = request.FILES.get("file")
            if upload is None:
                raise DomainError(ErrorCode.FILE_REQUIRED, _("Choose the core system's debit file."))
            content, name = upload_open(upload, max_bytes=max_bytes(), default_name="debits.csv")
            imported = debit_file_import(content=content, filename=name, actor=user)
            result = {"file": imported.file, "errors": []}
            messages.success(
                request,
                _("File kept: %(accepted)s new debits, %(duplicates)s already received.")
                % {"accepted": imported.file.accepted, "duplicates": imported.file.duplicates},
            )
        except DomainError as exc:
            messages.error(request, exc.detail)
            errors = exc.extra.get("errors", [])
            result = {
                "file": None,
                "errors": [{**error, "header": COLUMN_HEADERS.get(error["column"], "")} for error in errors],
            }
    refunds = Debit.objects.filter(refund__gt=0).select_related("file").order_by("-value_date", "-id")[:REFUNDS_LISTED]
    context = {
        "today": business_date_get(),
        "may_import": user.is_superuser or user.role in IMPORT_ROLES,
        "result": result,
        "page": paginate(request, files_with_state().order_by("-id"), per_page=20),
        "refunds": refunds,
    }
    return render(request, "corebank/debit_files.html", context)


@login_required
def debit_file(request: HttpRequest, pk: int) -> HttpResponse:
    """One file received: its SHA-256 and counts, and each of its debits with what the close applied."""
    require_role(acting_user(request), *VIEW_ROLES)
    received = get_object_or_404(files_with_state(), pk=pk)
    context = {
        "file": received,
        "page": paginate(request, received.debits.order_by("row"), per_page=50),
        "totals": received.debits.aggregate(amount=Sum("amount"), applied=Sum("applied"), refund=Sum("refund")),
    }
    return render(request, "corebank/debit_file.html", context)
