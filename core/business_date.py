"""The business date (营业日): the only clock the domain reads."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.error_codes import ErrorCode
from core.errors import DomainError
from core.models import BusinessDate


def business_date_get() -> dt.date:
    """Today's business date. The first read ever starts it at the local calendar date."""
    row = BusinessDate.objects.filter(id=1).only("date").first()
    if row is None:
        row, _ = BusinessDate.objects.get_or_create(id=1, defaults={"date": timezone.localdate()})
    return row.date


@transaction.atomic
def business_date_set(*, new_date: dt.date, backwards_allowed: bool) -> dt.date:
    """Move the business date. Moving it back is refused once the book has loans."""
    row = BusinessDate.objects.select_for_update().filter(id=1).first()
    if row is None:
        return BusinessDate.objects.create(id=1, date=new_date).date
    if new_date < row.date and not backwards_allowed:
        raise DomainError(
            ErrorCode.BUSINESS_DATE_BACKWARDS,
            _("The business date cannot move back from %(old)s to %(new)s: loans already exist.")
            % {"old": row.date.isoformat(), "new": new_date.isoformat()},
        )
    row.date = new_date
    row.save(update_fields=["date", "updated_at"])
    return row.date
