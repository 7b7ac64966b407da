"""Celery tasks: take ids, call one service, nothing else."""

from __future__ import annotations

from celery import chord, shared_task
from django.utils.translation import override

from origination.models import Batch
from origination.services.processing import (
    Chunk,
    batch_chunk_process,
    batch_process_finish,
    batch_process_start,
)
from origination.services.uploads import upload_job_run
from partners.models import User


@shared_task(name="origination.batch_intake_run")
def batch_intake_run(job_id: int) -> str:
    """Read an uploaded farmer list in the background (the upload page's job), reporting progress on the job."""
    # A worker has no request to take a language from: the job's sentences are written in the
    # language the pages are shown in by default.
    with override("zh-hans"):
        return upload_job_run(job_id).job.state


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
