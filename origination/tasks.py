"""Celery tasks: take ids, call one service, nothing else."""

from __future__ import annotations

import logging

from celery import chord, shared_task
from django.utils.translation import gettext as _
from django.utils.translation import override

from core.errors import DomainError
from core.files import stored_files_delete
from core.models import StoredFile
from origination.models import Batch, UploadJob
from origination.services.intake import Upload, batch_upload
from origination.services.processing import (
    Chunk,
    batch_chunk_process,
    batch_process_finish,
    batch_process_start,
)
from partners.models import User

log = logging.getLogger(__name__)


def _upload_of(stored: StoredFile) -> Upload:
    with stored.content.open("rb") as handle:
        return Upload(content=handle.read(), name=stored.name, content_type=stored.content_type)


@shared_task(name="origination.batch_intake_run")
def batch_intake_run(job_id: int) -> str:
    """Read and store an uploaded farmer list in the background, reporting progress on the job."""
    job = UploadJob.objects.select_related("program", "uploaded_by", "farmer_list").get(pk=job_id)
    if job.state in {UploadJob.State.DONE, UploadJob.State.FAILED}:
        return job.state  # a redelivered message does nothing twice
    if job.farmer_list is None:
        return UploadJob.State.FAILED  # decided by a run that ended between its update and this read

    def progress(percent: int, stage: str) -> None:
        UploadJob.objects.filter(pk=job_id).update(state=UploadJob.State.RUNNING, progress=percent, stage=stage[:100])

    attachments = {name: _upload_of(StoredFile.objects.get(pk=file_id)) for name, file_id in job.attachments.items()}
    batch: Batch | None = None
    with override("zh-hans"):
        try:
            batch = batch_upload(
                program=job.program,
                actor=job.uploaded_by,
                farmer_list=_upload_of(job.farmer_list),
                progress=progress,
                **attachments,
            )
        except DomainError as exc:
            UploadJob.objects.filter(pk=job_id).update(
                state=UploadJob.State.FAILED,
                progress=100,
                error_code=exc.code,
                error_detail=exc.detail,
                errors=exc.report or exc.extra.get("errors", []),
                batch_id=exc.extra.get("batch"),
            )
        except Exception:
            log.exception("upload job %s failed", job_id)
            UploadJob.objects.filter(pk=job_id).update(
                state=UploadJob.State.FAILED,
                progress=100,
                error_code="internal_error",
                error_detail=_("The file could not be processed. Nothing was saved; please try again."),
            )
        finally:
            _uploaded_files_release(job, batch)
    if batch is None:
        return UploadJob.State.FAILED
    UploadJob.objects.filter(pk=job_id).update(state=UploadJob.State.DONE, progress=100, batch=batch)
    return UploadJob.State.DONE


def _uploaded_files_release(job: UploadJob, batch: Batch | None) -> None:
    """The files kept for the job go: an accepted list is now the batch's own file, a refused one nothing."""
    given = [job.farmer_list_id, *job.attachments.values()]
    UploadJob.objects.filter(pk=job.pk).update(farmer_list=batch.farmer_list if batch else None, attachments={})
    stored_files_delete(file_id for file_id in given if file_id is not None)


@shared_task(name="origination.batch_chunk_process", acks_late=True)
def batch_chunk_process_task(batch_id: int, first_row_id: int, last_row_id: int) -> int:
    return batch_chunk_process(Chunk(batch_id, first_row_id, last_row_id))


@shared_task(name="origination.batch_process_finish")
def batch_process_finish_task(batch_id: int, actor_id: int) -> str:
    batch = batch_process_finish(batch_id=batch_id, actor=User.objects.get(pk=actor_id))
    return batch.status


def batch_process_dispatch(batch: Batch, actor: User) -> None:
    """Process a batch as a chord of chunk tasks followed by the finishing step (inline without a broker)."""
    chunks = batch_process_start(batch=batch, actor=actor)
    finish = batch_process_finish_task.si(batch.pk, actor.pk)
    if not chunks:
        finish.apply_async()
        return
    chord(batch_chunk_process_task.si(c.batch_id, c.first_row_id, c.last_row_id) for c in chunks)(finish)
