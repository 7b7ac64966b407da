"""The monthly statements on Celery: the beat's look for a month without its statements, and staff's request.

Registered by ``PostloanConfig.ready`` (Celery's discovery reads only ``postloan.tasks``). Both write only
what is missing, so the beat may look every half hour and a request may be repeated.
"""

from __future__ import annotations

import datetime as dt

from celery import shared_task

from partners.models import User
from postloan.statements import statements_due, statements_write_month


@shared_task(name="postloan.statements_due", ignore_result=True)
def statements_due_task() -> int:
    """Beat: once the business date is in a new month, the previous month's statements (idempotent)."""
    return statements_due()


@shared_task(name="postloan.statements_write", acks_late=True)
def statements_write_task(month: str, program_ids: list[int], actor_id: int | None = None) -> int:
    """A month's missing statements of these programmes, asked for by a member of staff."""
    actor = User.objects.get(pk=actor_id) if actor_id is not None else None
    return statements_write_month(dt.date.fromisoformat(month), program_ids, actor=actor)
