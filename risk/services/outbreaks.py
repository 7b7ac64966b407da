"""Regional outbreaks (区域疫情), e.g. African swine fever, recorded by staff for the warning run."""

from __future__ import annotations

import datetime as dt
import re

from django.db import transaction
from django.utils.translation import gettext as _

from core.audit import AuditAction, audit_record
from core.business_date import business_date_get
from core.error_codes import ErrorCode
from core.errors import DomainError
from core.identifiers import normalize_text
from core.permissions import require_role
from core.roles import Role
from partners.models import User
from risk.models import Outbreak

REGION_CODE_RE = re.compile(r"[0-9]{6}")
OUTBREAK_ROLES = (Role.ACCOUNT_MANAGER, Role.RISK_APPROVER, Role.ADMINISTRATOR)


@transaction.atomic
def outbreak_create(*, actor: User, region_code: str, disease: str, declared_on: dt.date, note: str = "") -> Outbreak:
    require_role(actor, *OUTBREAK_ROLES)
    code = normalize_text(region_code)
    if not REGION_CODE_RE.fullmatch(code):
        raise DomainError(ErrorCode.INVALID_REGION_CODE, _("A region code has 6 digits."))
    disease = disease.strip()
    if not disease:
        raise DomainError(ErrorCode.DISEASE_REQUIRED, _("Name the disease."))
    if declared_on > business_date_get():
        raise DomainError(ErrorCode.DATE_IN_FUTURE, _("An outbreak cannot be declared after the business date."))
    outbreak = Outbreak.objects.create(
        region_code=code, disease=disease, declared_on=declared_on, note=note.strip(), created_by=actor
    )
    audit_record(
        actor=actor, action=AuditAction.OUTBREAK_CREATE, subject=outbreak, region=code, disease=disease, on=declared_on
    )
    return outbreak
