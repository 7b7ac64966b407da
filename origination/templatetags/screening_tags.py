"""Screening (准入筛查) on the pages: a reason's name, and a batch's outcomes counted for the viewer."""

from __future__ import annotations

from typing import Any

from django import template
from django.db.models import Count

from origination.models import Batch, BatchRow
from origination.screening import REASON_LABELS
from origination.selectors import sees_provider_figures, visible_batch_rows

register = template.Library()


@register.filter
def screening_reason(code: str) -> str:
    """The name of a screening reason (``dishonest`` → 失信被执行人); an unknown code as it is."""
    return str(REASON_LABELS.get(code, code))


@register.simple_tag(takes_context=True)
def batch_screening_counts(context: dict[str, Any], batch: Batch) -> dict[str, int]:
    """The viewer's rows of ``batch`` by screening outcome; empty for an anchor operator (he sees no
    screening) and for a batch not screened yet."""
    user = context["request"].user
    if not sees_provider_figures(user):
        return {}
    found = dict(visible_batch_rows(user, batch).exclude(screening="").values_list("screening").annotate(n=Count("id")))
    return {value: found.get(value, 0) for value in BatchRow.Screening.values} if found else {}
