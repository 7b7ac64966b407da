"""Writing audit rows. Services call ``audit_record`` inside their transaction."""

from __future__ import annotations

from typing import Any

from django.db import models

from core.business_date import business_date_get
from core.models import AuditEvent


def audit_record(*, actor: Any, action: str, subject: models.Model, **data: Any) -> AuditEvent:
    actor_id = getattr(actor, "pk", None) if actor is not None else None
    return AuditEvent.objects.create(
        actor_id=actor_id,
        action=action,
        object_type=subject._meta.label_lower,
        object_id=str(subject.pk),
        business_date=business_date_get(),
        data={key: _jsonable(value) for key, value in data.items()},
    )


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if value is None or isinstance(value, bool | int | str):
        return value
    return str(value)
