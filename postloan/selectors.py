"""Reads of warnings that more than one caller needs: the warning list's filters, for its page and its API.

A filter means one thing wherever it is given: the page (``postloan.views.warning_list``) and the API
(``GET /warnings/``, ``postloan.api.WarningFilter``) both filter through ``warnings_filter``, so the same
filters give the same rows. The names are those the API gives them (docs/contract.md); the page also
has two drill-downs of the dashboards the API does not offer (``overdue``, ``handled_since``) and one of the
home page (``due_by``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Q, QuerySet

from core.business_date import business_date_get
from partners.models import User
from postloan.models import HANDLED_RESOLUTIONS, RiskWarning
from postloan.services import visible_warnings


@dataclass(frozen=True)
class WarningFilters:
    """The warning list's filters; a filter left empty (or None) does not filter."""

    rule: str = ""  # a rule's code
    status: str = ""  # open or closed
    severity: str = ""
    subject_type: str = ""  # loan, farmer, anchor or program
    branch: str = ""  # an org node's code: the warnings of its subtree
    assignee: int | None = None  # a user's id
    escalated: bool | None = None
    overdue: bool = False  # open and past the deadline on the business date (the page's drill-down)
    handled_since: dt.date | None = None  # closed by a person on or after the date (the page's drill-down)
    due_by: dt.date | None = None  # open with a deadline on or before the date (the home page's drill-down)


def warnings_filter(warnings: QuerySet[RiskWarning], filters: WarningFilters) -> QuerySet[RiskWarning]:
    """``warnings`` narrowed by ``filters``, one condition per filter given."""
    if filters.rule:
        warnings = warnings.filter(rule__code=filters.rule)
    if filters.status:
        warnings = warnings.filter(status=filters.status)
    if filters.severity:
        warnings = warnings.filter(severity=filters.severity)
    if filters.subject_type:
        warnings = warnings.filter(subject_type=filters.subject_type)
    if filters.branch:
        code = filters.branch
        warnings = warnings.filter(Q(org_node__path__startswith=f"{code}/") | Q(org_node__path__contains=f"/{code}/"))
    if filters.assignee is not None:
        warnings = warnings.filter(assignee_id=filters.assignee)
    if filters.escalated is not None:
        warnings = warnings.filter(escalated=filters.escalated)
    if filters.overdue:
        warnings = warnings.filter(status=RiskWarning.Status.OPEN, deadline__lt=business_date_get())
    if filters.handled_since is not None:
        warnings = warnings.filter(resolution__in=HANDLED_RESOLUTIONS, closed_on__gte=filters.handled_since)
    if filters.due_by is not None:
        warnings = warnings.filter(status=RiskWarning.Status.OPEN, deadline__lte=filters.due_by)
    return warnings


def warnings_filtered(user: User, filters: WarningFilters) -> QuerySet[RiskWarning]:
    """The warnings ``user`` sees (``visible_warnings``) that pass ``filters``."""
    return warnings_filter(visible_warnings(user), filters)
