"""The page of the files exchanged with the core: instruction files, the core's confirmations, journals.

Personal data on the page is masked (the borrower's name and identity number); the files themselves
carry the full identity number for the core, so each instruction file download is audited.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounting.confirmations import COLUMNS as CONFIRMATION_COLUMNS
from accounting.confirmations import confirmations_import
from accounting.files import CSV_CONTENT_TYPE
from accounting.forms import ConfirmationForm, DayForm
from accounting.instructions import instruction_file_download, instruction_file_generate
from accounting.journal import journal_file_bytes, journal_file_generate
from accounting.models import ConfirmationFile, DisbursementInstruction, InstructionFile, JournalFile
from accounting.permissions import require_file_role
from core.business_date import business_date_get
from core.error_codes import ErrorCode
from core.errors import DomainError
from core.masking import mask_name
from core.uploads import upload_read
from partners.auth import acting_user

LISTED = 30  # files and open instructions shown on the page
COLUMN_HEADERS = {spec.field: spec.aliases[0] for spec in CONFIRMATION_COLUMNS}


def _page(request: HttpRequest, *, upload_form: ConfirmationForm | None = None, errors: Any = None) -> HttpResponse:
    today = business_date_get()
    open_instructions = (
        DisbursementInstruction.objects.exclude(status=DisbursementInstruction.Status.ACCEPTED)
        .select_related("loan__farmer", "file")
        .order_by("number")[:LISTED]
    )
    context = {
        "today": today,
        "instruction_form": DayForm(initial={"business_date": today}),
        "journal_form": DayForm(initial={"business_date": today - dt.timedelta(days=1)}),
        "upload_form": upload_form or ConfirmationForm(),
        "instruction_files": InstructionFile.objects.select_related("stored_file")[:LISTED],
        "journal_files": JournalFile.objects.select_related("stored_file")[:LISTED],
        "confirmations": ConfirmationFile.objects.select_related("stored_file")[:LISTED],
        "open_instructions": [
            {"instruction": instruction, "borrower": mask_name(instruction.loan.farmer.name)}
            for instruction in open_instructions
        ],
        "open_count": DisbursementInstruction.objects.exclude(status=DisbursementInstruction.Status.ACCEPTED).count(),
        "errors": [{**error, "header": COLUMN_HEADERS.get(error["column"], "")} for error in errors or []],
    }
    return render(request, "accounting/core_files.html", context)


@login_required
def core_files(request: HttpRequest) -> HttpResponse:
    require_file_role(acting_user(request))
    return _page(request)


def _day(request: HttpRequest) -> dt.date:
    form = DayForm(request.POST)
    if not form.is_valid():
        raise DomainError(ErrorCode.INVALID_DATE, _("This is not a date: write it like 2027-02-13."))
    day: dt.date = form.cleaned_data["business_date"]
    return day


@login_required
@require_POST
def instruction_generate(request: HttpRequest) -> HttpResponse:
    record = instruction_file_generate(day=_day(request), actor=acting_user(request))
    messages.success(
        request,
        _("The instruction file of %(day)s holds %(lines)s instructions.")
        % {"day": record.business_date.isoformat(), "lines": record.lines},
    )
    return redirect("core-files")


@login_required
def instruction_download(request: HttpRequest, pk: int) -> HttpResponse:
    require_file_role(acting_user(request))
    record = get_object_or_404(InstructionFile.objects.select_related("stored_file"), pk=pk)
    content = instruction_file_download(record=record, actor=acting_user(request))
    return _attachment(record.stored_file.name, content)


@login_required
@require_POST
def confirmation_upload(request: HttpRequest) -> HttpResponse:
    user = acting_user(request)
    require_file_role(user)
    form = ConfirmationForm(request.POST, request.FILES)
    if not form.is_valid():
        return _page(request, upload_form=form)
    content, name = upload_read(form.cleaned_data["file"], max_bytes=settings.UPLOAD_MAX_BYTES)
    try:
        result = confirmations_import(content=content, filename=name, actor=user)
    except DomainError as exc:
        if exc.code != ErrorCode.FILE_REJECTED:
            raise
        messages.error(request, exc.detail)
        return _page(request, upload_form=form, errors=exc.extra.get("errors", []))
    messages.success(
        request,
        _("%(accepted)s paid out, %(rejected)s rejected, %(unchanged)s already applied.")
        % {"accepted": result.file.accepted, "rejected": result.file.rejected, "unchanged": result.file.unchanged},
    )
    return redirect("core-files")


@login_required
@require_POST
def journal_generate(request: HttpRequest) -> HttpResponse:
    record = journal_file_generate(day=_day(request), actor=acting_user(request))
    messages.success(
        request,
        _("The journal of %(day)s: %(lines)s lines, debits equal credits.")
        % {"day": record.business_date.isoformat(), "lines": record.lines},
    )
    return redirect("core-files")


@login_required
def journal_download(request: HttpRequest, pk: int) -> HttpResponse:
    require_file_role(acting_user(request))
    record = get_object_or_404(JournalFile.objects.select_related("stored_file"), pk=pk)
    return _attachment(record.stored_file.name, journal_file_bytes(record))


def _attachment(name: str, content: bytes) -> HttpResponse:
    response = HttpResponse(content, content_type=CSV_CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
