"""A person on the operations console asks for a stopped close to be resumed."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from core.audit import AuditAction, audit_record
from core.business_date import business_date_get
from core.error_codes import ErrorCode
from core.errors import DomainError
from core.permissions import require_role
from core.roles import Role
from postloan.close_lock import close_running_elsewhere
from postloan.models import DayClose
from postloan.tasks import close_resume_task

CONSOLE_ROLES = (Role.ADMINISTRATOR, Role.BRANCH_MANAGER)


def close_resume_request(*, actor: Any) -> DayClose:
    """Queue the resume of the business date's close, which failed or stopped half-way (recorded in the audit).

    Without a broker the resume runs here, before the answer; with one, a worker runs it and the console
    shows its progress.
    """
    require_role(actor, *CONSOLE_ROLES)
    close = DayClose.objects.filter(day=business_date_get()).exclude(status=DayClose.Status.DONE).first()
    if close is None:
        raise DomainError(ErrorCode.NOTHING_TO_CLOSE, _("No close of business has stopped: nothing to resume."))
    if close.status == DayClose.Status.RUNNING and close_running_elsewhere():
        raise DomainError(
            ErrorCode.CLOSE_RUNNING, _("The close of business is running; follow it on this page."), status=409
        )
    with transaction.atomic():
        audit_record(actor=actor, action=AuditAction.CLOSE_RESUME, subject=close, day=close.day, status=close.status)
        transaction.on_commit(close_resume_task.delay)
    return close
