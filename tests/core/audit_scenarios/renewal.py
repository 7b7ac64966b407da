"""Audit scenarios of renewal (年审): starting a renewal batch for limits about to expire."""

from __future__ import annotations

import datetime as dt

from core.audit import AuditAction
from tests.core.audit_scenarios import Act, World, scenario, users


@scenario(AuditAction.LIMIT_RENEWAL_START)
def _renewal_start(world: World) -> Act:
    from core.business_date import business_date_get
    from origination.models import CreditLimit
    from origination.services.renewal import renewal_batch_create

    # The world's limit expires in 30 days; its farmer has no batch row, so the list takes his farmer record.
    limit: CreditLimit = world["limit"]
    CreditLimit.objects.filter(pk=limit.pk).update(expires_on=business_date_get() + dt.timedelta(days=30))
    limit.refresh_from_db()
    return lambda: renewal_batch_create(program=world["program"], limits=[limit], actor=users(world)["manager"])
