"""Pages of the recommendation intake: upload with progress, the batch and its row errors."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from core.db_router import replica_reads
from core.error_codes import ErrorCode
from core.errors import DomainError
from core.roles import Role
from core.views import paginate
from origination.exports import row_errors_xlsx
from origination.models import Batch, UploadJob
from origination.selectors import blocking_batches, visible_batches
from origination.services.intake import ATTACHMENTS, UPLOAD_ROLES
from origination.services.uploads import upload_job_create, upload_of
from origination.tasks import batch_intake_run
from partners.auth import acting_user
from partners.models import Program, User
from partners.scoping import is_anchor_operator, visible_programs


def _uploadable_program(user: User, pk: int) -> Program:
    program = get_object_or_404(visible_programs(user).select_related("anchor"), pk=pk)
    if not user.has_role(*UPLOAD_ROLES):
        raise DomainError(ErrorCode.PERMISSION_DENIED, _("Your role may not upload farmer lists."), status=403)
    return program


@login_required
def batch_upload_page(request: HttpRequest, pk: int) -> HttpResponse:
    """Check the list as far as it can be checked unread, keep it while the background job reads it.

    ``upload_job_create`` refuses before anything is kept (the programme, a
    duplicate list, size, safety, encoding): a file refused now leaves nothing
    behind. What only a full reading tells (headers, rows) is the job's, which
    removes the files it was given once it has decided, so a refused list is
    kept nowhere.
    """
    user = acting_user(request)
    program = _uploadable_program(user, pk)
    if request.method != "POST":
        return render(request, "origination/batch_upload.html", {"program": program})
    farmer_list = request.FILES.get("farmer_list")
    if farmer_list is None:
        return _refused(request, program, _("Choose the farmer list to upload."), ErrorCode.FARMER_LIST_REQUIRED)
    try:
        job = upload_job_create(
            program=program,
            actor=user,
            farmer_list=upload_of(farmer_list, default_name="farmer_list"),
            scorecard=upload_of(request.FILES.get("scorecard"), default_name="scorecard"),
            recommendation_letter=upload_of(
                request.FILES.get("recommendation_letter"), default_name="recommendation_letter"
            ),
            guarantee_letter=upload_of(request.FILES.get("guarantee_letter"), default_name="guarantee_letter"),
        )
    except DomainError as exc:
        return _refused(request, program, exc.detail, exc.code, status=exc.status, batch_id=exc.extra.get("batch"))
    transaction.on_commit(lambda: batch_intake_run.delay(job.pk))
    target = reverse("upload-job", args=[job.pk])
    if request.headers.get("HX-Request"):
        response = HttpResponse(status=204)
        response["HX-Redirect"] = target
        return response
    return redirect(target)


def _refused(
    request: HttpRequest,
    program: Program,
    detail: str,
    code: ErrorCode,
    *,
    status: int = 400,
    batch_id: int | None = None,
) -> HttpResponse:
    """The upload form again with the refusal; ``batch_id`` names the batch that holds the same list."""
    context = {
        "program": program,
        "error": detail,
        "error_code": code,
        "blocking_batch_id": batch_id,
        "show_codes": not is_anchor_operator(acting_user(request)),
    }
    return render(request, "origination/batch_upload.html", context, status=status)


def _job_for(request: HttpRequest, pk: int) -> UploadJob:
    user = acting_user(request)
    return get_object_or_404(
        UploadJob.objects.filter(program__in=visible_programs(user)).select_related("program", "batch"), pk=pk
    )


@dataclass
class ErrorGroup:
    """Row errors with the same column, code and reason: how many, the first rows, the batches behind them."""

    column: str
    code: str
    detail: str
    count: int = 0
    rows: list[int] = field(default_factory=list)
    batches: list[int] = field(default_factory=list)


FIRST_ROWS = 5  # row numbers listed per group


def row_error_groups(errors: list[dict[str, Any]]) -> list[ErrorGroup]:
    """Identical refusals once, with their count, in the order of their first row."""
    groups: dict[tuple[str, str, str], ErrorGroup] = {}
    for error in errors:
        key = (error["column"], error["code"], str(error["detail"]))
        group = groups.setdefault(key, ErrorGroup(*key))
        group.count += 1
        if len(group.rows) < FIRST_ROWS:
            group.rows.append(error["row"])
        batch = error.get("batch")
        if batch is not None and batch not in group.batches:
            group.batches.append(batch)
    for group in groups.values():
        group.batches.sort()
    return list(groups.values())


@login_required
def upload_job_page(request: HttpRequest, pk: int) -> HttpResponse:
    job = _job_for(request, pk)
    if job.state == UploadJob.State.DONE and job.batch_id:
        return redirect("batch-detail", pk=job.batch_id)
    context = {
        "job": job,
        "error_groups": row_error_groups(job.errors),
        "error_count": len(job.errors),
        "show_codes": not is_anchor_operator(acting_user(request)),
    }
    return render(request, "origination/upload_job.html", context)


@login_required
def upload_job_status(request: HttpRequest, pk: int) -> HttpResponse:
    """The progress fragment htmx polls; when the job has finished the whole page reloads."""
    job = _job_for(request, pk)
    if job.state in {UploadJob.State.DONE, UploadJob.State.FAILED}:
        response = HttpResponse(status=204)
        response["HX-Redirect"] = reverse("upload-job", args=[job.pk])
        return response
    return render(request, "origination/_upload_progress.html", {"job": job})


@login_required
def upload_job_errors(request: HttpRequest, pk: int) -> HttpResponse:
    job = _job_for(request, pk)
    return row_errors_xlsx(f"upload-{job.pk}-errors.xlsx", job.errors, actor=acting_user(request), subject=job)


@login_required
@replica_reads
def batch_list(request: HttpRequest) -> HttpResponse:
    batches = visible_batches(acting_user(request)).select_related("program", "program__anchor").order_by("-id")
    # ?status=… (repeatable): the batches in any of these statuses (the home page's links)
    statuses = [status for status in request.GET.getlist("status") if status in Batch.Status.values]
    if statuses:
        batches = batches.filter(status__in=statuses)
    context = {
        "page": paginate(request, batches),
        "statuses": [Batch.Status(status).label for status in statuses],
        "querystring": "".join(f"status={status}&" for status in statuses),
    }
    return render(request, "origination/batch_list.html", context)


@login_required
def batch_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = acting_user(request)
    batch = get_object_or_404(visible_batches(user).select_related("program", "program__anchor", "farmer_list"), pk=pk)
    errors = batch.row_errors.order_by("row", "id")
    errors_page = paginate(request, errors, per_page=100)
    holders = blocking_batches(batch, errors_page)
    for error in errors_page:
        error.blocking_batch = holders.get(error.pk)
    context = {
        "batch": batch,
        "errors_page": errors_page,
        "error_count": errors.count(),
        "status_changes": batch.status_changes.select_related("actor"),
        "attachments": [(name, getattr(batch, name)) for name in ATTACHMENTS if getattr(batch, name) is not None],
        "is_staff_user": user.role != Role.ANCHOR_OPERATOR or user.is_superuser,
    }
    return render(request, "origination/batch_detail.html", context)


@login_required
def batch_errors_download(request: HttpRequest, pk: int) -> HttpResponse:
    batch = get_object_or_404(visible_batches(acting_user(request)), pk=pk)
    errors = batch.row_errors.order_by("row", "id").values("row", "column", "code", "detail", "original")
    rows = (dict(e) for e in errors.iterator())
    return row_errors_xlsx(f"batch-{batch.pk}-errors.xlsx", rows, actor=acting_user(request), subject=batch)
