"""Celery tasks of the lists: take ids, call one service, nothing else."""

from __future__ import annotations

from celery import shared_task

from distribution.services import whitelist_sync


@shared_task(name="distribution.whitelist_sync")
def whitelist_sync_task(program_id: int | None = None) -> dict[str, int]:
    """Keep the programmes' lists in step with their limits (idempotent; the close may call it every day)."""
    return whitelist_sync(program_id=program_id).as_dict()
