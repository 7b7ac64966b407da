"""Roles of the people who use the system (see docs/domain: Actors)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    ANCHOR_OPERATOR = "anchor_operator", _("Anchor operator")
    ACCOUNT_MANAGER = "account_manager", _("Account manager")
    RISK_APPROVER = "risk_approver", _("Risk approver")
    BRANCH_MANAGER = "branch_manager", _("Branch manager")
    ADMINISTRATOR = "administrator", _("Administrator")


STAFF_ROLES = frozenset({Role.ACCOUNT_MANAGER, Role.RISK_APPROVER, Role.BRANCH_MANAGER, Role.ADMINISTRATOR})
