"""Who exchanges files with the core: the branch's operations (administrators and branch managers)."""

from __future__ import annotations

from typing import Any

from core.permissions import require_role
from core.roles import Role

FILE_ROLES = (Role.ADMINISTRATOR, Role.BRANCH_MANAGER)


def require_file_role(actor: Any) -> None:
    """A person must hold a file role; the management commands (no actor) are the operator's own."""
    if actor is not None:
        require_role(actor, *FILE_ROLES)
