"""Reads shared by the partners pages and API."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.conf import settings
from django.db.models import Case, OuterRef, QuerySet, Subquery, Value, When

from core.calendar import last_full_quarter
from partners.models import Anchor, AnchorAssessment, OrgNode


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


def org_root() -> OrgNode | None:
    """The branch at the top of the tree, where a user without a node acts.

    ``migrate`` creates it (``BRANCH_CODE``) on a fresh database; should a database hold more than one
    branch, the one named by ``BRANCH_CODE`` is the root, else the oldest.
    """
    named_first = Case(When(code=settings.BRANCH_CODE, then=Value(0)), default=Value(1))
    return OrgNode.objects.filter(kind=OrgNode.Kind.BRANCH).order_by(named_first, "id").first()
