"""Farmer-list uploads as jobs (上传任务): kept once checked, then read into a batch by one state machine.

The upload page and the API take the same path. ``upload_job_create``
refuses what can be refused before anything is kept (the uploader's right, a
suspended programme, a list already uploaded, a file too large, unsafe or in
no accepted encoding) and keeps the files with a queued job;
``upload_job_run`` reads the list into a batch (``intake.batch_upload``),
records the outcome on the job and lets go of the files it was given: an
accepted list is then the batch's own file, a refused one is kept nowhere.
The page runs the job in the background (``origination.batch_intake_run``)
and polls it; the API runs it within the request
(``upload_job_create_and_run``) and answers with the batch or the refusal.
"""

from __future__ import annotations

import logging
from contextlib import ExitStack
from dataclasses import dataclass
from typing import IO, cast, overload

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils.translation import gettext as _

from core.error_codes import ErrorCode
from core.errors import DomainError
from core.files import files_kept_only_on_commit, sha256_of, stored_file_create, stored_files_delete
from core.models import StoredFile
from core.uploads import check_uploaded_table, refuse_oversized, upload_read
from origination.models import Batch, UploadJob
from origination.services.intake import ATTACHMENTS, Upload, batch_upload, batch_upload_refusals
from partners.models import Program, User

log = logging.getLogger(__name__)

FINISHED = frozenset({UploadJob.State.DONE, UploadJob.State.FAILED})


@overload
def upload_of(file: UploadedFile, *, default_name: str) -> Upload: ...
@overload
def upload_of(file: UploadedFile | None, *, default_name: str) -> Upload | None: ...
def upload_of(file: UploadedFile | None, *, default_name: str) -> Upload | None:
    """A file of the request as an ``Upload``, refused unread when it is larger than any upload may be."""
    if file is None:
        return None
    content, name = upload_read(file, max_bytes=settings.UPLOAD_MAX_BYTES, default_name=default_name)
    return Upload(content=content, name=name, content_type=file.content_type or "")


@dataclass(frozen=True)
class UploadJobOutcome:
    """How a run left the job: its batch, or what refused the list (``failure``) for a caller answering at once."""

    job: UploadJob
    batch: Batch | None = None
    failure: Exception | None = None

    def batch_or_raise(self) -> Batch:
        if self.failure is not None:
            raise self.failure
        if self.batch is None:
            raise RuntimeError(f"upload job {self.job.pk} ended without a batch or a refusal")
        return self.batch


def upload_job_create(
    *,
    program: Program,
    actor: User,
    farmer_list: Upload,
    scorecard: Upload | None = None,
    recommendation_letter: Upload | None = None,
    guarantee_letter: Upload | None = None,
) -> UploadJob:
    """Refuse what needs no full reading, then keep the files with a queued job.

    The refusals come in the order the intake gives them (the uploader's
    right, the programme, a duplicate list, then the file itself), so that an
    upload is answered the same whichever surface it came through; a file
    refused here is never stored.
    """
    batch_upload_refusals(program=program, actor=actor, digest=sha256_of(farmer_list.content))
    max_bytes = settings.UPLOAD_MAX_BYTES
    check_uploaded_table(farmer_list.content, farmer_list.name, max_bytes=max_bytes, max_rows=settings.UPLOAD_MAX_ROWS)
    given = (scorecard, recommendation_letter, guarantee_letter)
    attachments = {name: upload for name, upload in zip(ATTACHMENTS, given, strict=True) if upload is not None}
    for upload in attachments.values():
        refuse_oversized(upload.content, upload.name, max_bytes)
    with files_kept_only_on_commit(), transaction.atomic():
        stored = _kept(farmer_list, actor)
        kept = {name: _kept(upload, actor).pk for name, upload in attachments.items()}
        return UploadJob.objects.create(
            program=program, uploaded_by=actor, farmer_list=stored, file_name=farmer_list.name[:255], attachments=kept
        )


def _kept(upload: Upload, actor: User) -> StoredFile:
    return stored_file_create(
        content=upload.content, name=upload.name, content_type=upload.content_type, uploaded_by=actor
    )


def upload_job_run(job_id: int) -> UploadJobOutcome:
    """Read the job's list into a batch, reporting progress on the job: queued → running → done or failed.

    A job already decided is left as it is (a redelivered task does nothing
    twice). A refusal is recorded with its code, sentence and row errors; any
    other failure as ``internal_error``, logged. Either way the files given to
    the job are let go once it has decided.
    """
    job = UploadJob.objects.select_related("program", "uploaded_by", "farmer_list").get(pk=job_id)
    if job.state in FINISHED:
        return UploadJobOutcome(job=job, batch=job.batch)
    if job.farmer_list is None:
        # Decided by a run that ended between its update and this read.
        job.refresh_from_db()
        return UploadJobOutcome(job=job, batch=job.batch)

    def progress(percent: int, stage: str) -> None:
        UploadJob.objects.filter(pk=job_id).update(state=UploadJob.State.RUNNING, progress=percent, stage=stage[:100])

    batch: Batch | None = None
    failure: Exception | None = None
    try:
        kept = StoredFile.objects.in_bulk(job.attachments.values())
        with ExitStack() as opened:
            attachments = {name: _upload_of(kept[file_id], opened) for name, file_id in job.attachments.items()}
            batch = batch_upload(
                program=job.program,
                actor=job.uploaded_by,
                farmer_list=_upload_of(job.farmer_list, opened),
                progress=progress,
                **attachments,
            )
    except DomainError as exc:
        failure = exc
        UploadJob.objects.filter(pk=job_id).update(
            state=UploadJob.State.FAILED,
            progress=100,
            error_code=exc.code,
            error_detail=exc.detail,
            errors=exc.report or exc.extra.get("errors", []),
            batch_id=exc.extra.get("batch"),
        )
    except Exception as exc:
        failure = exc
        log.exception("upload job %s failed", job_id)
        UploadJob.objects.filter(pk=job_id).update(
            state=UploadJob.State.FAILED,
            progress=100,
            error_code=ErrorCode.INTERNAL_ERROR,
            error_detail=_("The file could not be processed. Nothing was saved; please try again."),
        )
    finally:
        _uploaded_files_release(job, batch)
    if batch is not None:
        UploadJob.objects.filter(pk=job_id).update(state=UploadJob.State.DONE, progress=100, batch=batch)
    job.refresh_from_db()
    return UploadJobOutcome(job=job, batch=batch, failure=failure)


def upload_job_create_and_run(
    *,
    program: Program,
    actor: User,
    farmer_list: Upload,
    scorecard: Upload | None = None,
    recommendation_letter: Upload | None = None,
    guarantee_letter: Upload | None = None,
) -> Batch:
    """The upload answered at once (the API): the same job as the page's, run within the call.

    Raises what refused the list, as the intake raised it, so that the answer
    (code, detail, status, row errors) is the intake's own.
    """
    job = upload_job_create(
        program=program,
        actor=actor,
        farmer_list=farmer_list,
        scorecard=scorecard,
        recommendation_letter=recommendation_letter,
        guarantee_letter=guarantee_letter,
    )
    return upload_job_run(job.pk).batch_or_raise()


def _upload_of(stored: StoredFile, opened: ExitStack) -> Upload:
    """The kept file as an upload, open (until ``opened`` closes) rather than read: the intake reads it in chunks."""
    handle = opened.enter_context(stored.content.open("rb"))
    return Upload(content=cast(IO[bytes], handle), name=stored.name, content_type=stored.content_type)


def _uploaded_files_release(job: UploadJob, batch: Batch | None) -> None:
    """The files kept for the job go: an accepted list is now the batch's own file, a refused one nothing."""
    given = [job.farmer_list_id, *job.attachments.values()]
    UploadJob.objects.filter(pk=job.pk).update(farmer_list=batch.farmer_list if batch else None, attachments={})
    stored_files_delete(file_id for file_id in given if file_id is not None)
