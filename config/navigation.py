"""The menu for each role. Built here, at the composition root, because it links every app's pages."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from core.roles import Role

ALL_STAFF = (Role.ACCOUNT_MANAGER, Role.RISK_APPROVER, Role.BRANCH_MANAGER, Role.ADMINISTRATOR)


@dataclass(frozen=True)
class MenuItem:
    label: Any
    url_name: str
    roles: tuple[str, ...]


EVERYONE = (*ALL_STAFF, Role.ANCHOR_OPERATOR)
MENU: tuple[MenuItem, ...] = (
    MenuItem(_("Home"), "home", EVERYONE),
    MenuItem(_("Anchors"), "anchor-list", EVERYONE),
    MenuItem(_("Programmes"), "program-list", EVERYONE),
    MenuItem(_("Batches"), "batch-list", EVERYONE),
    MenuItem(_("Farmers"), "farmer-list", EVERYONE),
    MenuItem(_("Whitelist"), "whitelist", EVERYONE),
    MenuItem(_("Lists and distribution"), "distribution-lists", ALL_STAFF),
    MenuItem(_("SMS campaigns"), "campaign-list", ALL_STAFF),
    MenuItem(_("Credit limits"), "limit-list", EVERYONE),
    MenuItem(_("Renewals"), "renewal-list", (Role.ACCOUNT_MANAGER, Role.RISK_APPROVER, Role.BRANCH_MANAGER)),
    MenuItem(_("Third-party data"), "provider-data", (Role.ACCOUNT_MANAGER, Role.RISK_APPROVER, Role.ADMINISTRATOR)),
    MenuItem(
        _("Settlement accounts"), "settlement-accounts", (Role.ACCOUNT_MANAGER, Role.RISK_APPROVER, Role.ADMINISTRATOR)
    ),
    MenuItem(_("Loans"), "loan-list", ALL_STAFF),
    MenuItem(_("Compensation"), "compensation", EVERYONE),
    MenuItem(_("Write-offs"), "write-off-list", (Role.ACCOUNT_MANAGER, Role.RISK_APPROVER, Role.BRANCH_MANAGER)),
    MenuItem(_("My warnings"), "my-warnings", (Role.ACCOUNT_MANAGER, Role.BRANCH_MANAGER, Role.RISK_APPROVER)),
    MenuItem(_("Warnings"), "warning-list", ALL_STAFF),
    MenuItem(_("Dashboards"), "dashboards", ALL_STAFF),
    MenuItem(_("Outlet support"), "network-support", ALL_STAFF),
    MenuItem(
        _("Monthly statements"),
        "statement-list",
        (Role.ANCHOR_OPERATOR, Role.BRANCH_MANAGER, Role.RISK_APPROVER, Role.ADMINISTRATOR),
    ),
    MenuItem(_("Close of business"), "close-list", (Role.ADMINISTRATOR, Role.BRANCH_MANAGER)),
    MenuItem(_("Disbursement instructions and journal"), "core-files", (Role.ADMINISTRATOR, Role.BRANCH_MANAGER)),
    MenuItem(_("Core debit files"), "core-debit-files", (Role.ADMINISTRATOR, Role.BRANCH_MANAGER)),
    MenuItem(_("Administration"), "system-admin", (Role.ADMINISTRATOR,)),
)


def menu(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    items = [
        {
            "label": item.label,
            "url": reverse(item.url_name),
            "active": _is_active(request.path, item.url_name),
        }
        for item in MENU
        if user.is_superuser or user.role in item.roles
    ]
    return {"menu_items": items}


def _is_active(path: str, url_name: str) -> bool:
    url = reverse(url_name)
    return path == url if url == "/" else path.startswith(url)
