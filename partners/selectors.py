"""Reads shared by the partners pages and API."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

from django.conf import settings
from django.db.models import Case, OuterRef, Q, QuerySet, Subquery, Value, When

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


PHONE_TAIL_RE = re.compile(r"\d{4}")
ID_TAIL_RE = re.compile(r"\d{3,5}[\dX]")  # the last 4 to 6 characters of a resident ID, a final X allowed


def farmer_search_q(query: str, prefix: str = "") -> Q:
    """What one search box finds a farmer by: the name (any part), the phone's last 4 digits, the resident ID's
    last 4 to 6 characters; ``prefix`` (``"farmer"``) for a model that points at the farmer.

    The numbers are compared in SQL, where they are stored; no index serves a tail (the name's ``icontains``
    reads the rows in scope anyway, and the identity number is never indexed in clear), so the search is a
    filter on the viewer's scope. An empty query is no condition.
    """
    text = query.strip()
    if not text:
        return Q()
    field = f"{prefix}__" if prefix else ""
    condition = Q(**{f"{field}name__icontains": text})
    if PHONE_TAIL_RE.fullmatch(text):
        condition |= Q(**{f"{field}phone__endswith": text})
    if ID_TAIL_RE.fullmatch(text.upper()):
        condition |= Q(**{f"{field}id_number__endswith": text.upper()})
    return condition
