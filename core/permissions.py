"""Role checks shared by pages and the API."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from core.error_codes import ErrorCode
from core.errors import DomainError


def require_role(user: Any, *roles: str) -> None:
    """Refuse (403) unless the user holds one of the roles; a superuser holds them all."""
    if user.is_superuser or user.role in roles:
        return
    raise DomainError(ErrorCode.PERMISSION_DENIED, _("Your role may not do this."), status=403)


def require_other_person(actor: Any, maker: Any, what: str) -> None:
    """Maker-checker: the person who checks is never the person who made."""
    if maker is not None and actor.pk == maker.pk:
        raise DomainError(
            ErrorCode.MAKER_CHECKER,
            _("%(what)s must be checked by someone other than the person who made it.") % {"what": what},
            status=403,
        )
