"""A credit limit's status as people and the API read it, on a business date.

The contract lists three statuses: ``active``, ``frozen`` and ``expired``. The stored status says more
(``closed`` when the bank closed it, ``revoked``), and an active limit past its expiry lends nothing even
before the night's close marks it. So:

- ``shown_status`` (the API's ``status``): an active limit past its expiry reads ``expired``; a frozen
  one reads ``frozen``; a closed or revoked limit reads ``expired`` too: like an expired one it will never
  lend again, and a drawdown on it answers ``limit_expired``. The API tells them apart in ``state``.
- ``limit_state`` (the API's ``state`` and the pages' badge): the stored status, with an active limit past
  its expiry read as ``expired``.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Q, QuerySet

from origination.models import CreditLimit

Status = CreditLimit.Status
SHOWN_STATUSES = (Status.ACTIVE, Status.FROZEN, Status.EXPIRED)


def limit_state(limit: CreditLimit, today: dt.date) -> str:
    if limit.status == Status.ACTIVE and limit.expires_on <= today:
        return Status.EXPIRED.value
    return str(limit.status)


def shown_status(limit: CreditLimit, today: dt.date) -> str:
    state = limit_state(limit, today)
    return state if state in (Status.ACTIVE, Status.FROZEN) else Status.EXPIRED.value


def shown_status_q(status: str, today: dt.date) -> Q:
    """The limits whose ``shown_status`` is ``status`` (one of ``SHOWN_STATUSES``)."""
    lending = Q(status=Status.ACTIVE, expires_on__gt=today)
    if status == Status.ACTIVE:
        return lending
    if status == Status.FROZEN:
        return Q(status=Status.FROZEN)
    return ~lending & ~Q(status=Status.FROZEN)


def state_q(state: str, today: dt.date) -> Q:
    """The limits whose ``limit_state`` is ``state`` (one of the stored statuses)."""
    if state == Status.ACTIVE:
        return Q(status=Status.ACTIVE, expires_on__gt=today)
    if state == Status.EXPIRED:
        return Q(status=Status.EXPIRED) | Q(status=Status.ACTIVE, expires_on__lte=today)
    return Q(status=state)


def limits_in_state(limits: QuerySet[CreditLimit], state: str, today: dt.date) -> QuerySet[CreditLimit]:
    return limits.filter(state_q(state, today)) if state in Status.values else limits
