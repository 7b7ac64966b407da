"""Audit scenario of the operations console: a person resumes a close that failed."""

from __future__ import annotations

from core.audit import AuditAction
from tests.core.audit_scenarios import Act, World, scenario, users


@scenario(AuditAction.CLOSE_RESUME)
def _close_resume(world: World) -> Act:
    from core.business_date import business_date_get
    from postloan.close_requests import close_resume_request
    from postloan.models import DayClose

    DayClose.objects.create(day=business_date_get(), status=DayClose.Status.FAILED, error_step="breaker")
    return lambda: close_resume_request(actor=users(world)["leader"])
