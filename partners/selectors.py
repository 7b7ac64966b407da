"""Reads shared by the partners pages and API."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db.models import OuterRef, QuerySet, Subquery

from core.calendar import last_full_quarter
from partners.models import Anchor, AnchorAssessment


def with_latest_capacity(anchors: QuerySet[Anchor]) -> QuerySet[Anchor]:
    """Annotate each anchor with its latest assessed guarantee capacity (one query, no N+1)."""
    latest = AnchorAssessment.objects.filter(anchor=OuterRef("pk")).order_by("-assessed_on", "-id")
    return anchors.annotate(latest_capacity=Subquery(latest.values("guarantee_capacity")[:1]))


def latest_capacity(anchor: Anchor) -> Decimal | None:
    value = getattr(anchor, "latest_capacity", None)
    if value is not None:
        return Decimal(value)
    assessment = anchor.assessments.order_by("-assessed_on", "-id").first()
    return assessment.guarantee_capacity if assessment else None


def quarterly_review_done(anchor: Anchor, today: dt.date) -> tuple[bool, tuple[dt.date, dt.date]]:
    """Whether the anchor was assessed in the last full quarter (the quarterly anchor review, 按季度评估)."""
    start, end = last_full_quarter(today)
    return anchor.assessments.filter(assessed_on__range=(start, end)).exists(), (start, end)
