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
HOME = MenuItem(_("Home"), "home", EVERYONE)
# The menu in groups, each a dropdown (a group the user sees one item of is that item's link): a flat bar of
# two dozen links no longer fits a laptop's width.
MENU_GROUPS: tuple[tuple[Any, tuple[MenuItem, ...]], ...] = (
    (
        _("Customers and limits"),
        (
            MenuItem(_("Anchors"), "anchor-list", EVERYONE),
            MenuItem(_("Programmes"), "program-list", EVERYONE),
            MenuItem(_("Batches"), "batch-list", EVERYONE),
            MenuItem(_("Farmers"), "farmer-list", EVERYONE),
            MenuItem(_("Whitelist"), "whitelist", EVERYONE),
            MenuItem(_("Credit limits"), "limit-list", EVERYONE),
            MenuItem(_("Renewals"), "renewal-list", (Role.ACCOUNT_MANAGER, Role.RISK_APPROVER, Role.BRANCH_MANAGER)),
        ),
    ),
    (
        _("Marketing"),
        (
            MenuItem(_("Lists and distribution"), "distribution-lists", ALL_STAFF),
            MenuItem(_("SMS campaigns"), "campaign-list", ALL_STAFF),
            MenuItem(_("Outlet support"), "network-support", ALL_STAFF),
        ),
    ),
    (
        _("Loans"),
        (
            MenuItem(_("Loans"), "loan-list", ALL_STAFF),
            MenuItem(_("Compensation"), "compensation", EVERYONE),
            MenuItem(
                _("Write-offs"), "write-off-list", (Role.ACCOUNT_MANAGER, Role.RISK_APPROVER, Role.BRANCH_MANAGER)
            ),
        ),
    ),
    (
        _("Warnings"),
        (
            MenuItem(_("My warnings"), "my-warnings", (Role.ACCOUNT_MANAGER, Role.BRANCH_MANAGER, Role.RISK_APPROVER)),
            MenuItem(_("Warnings"), "warning-list", ALL_STAFF),
        ),
    ),
    (
        _("Data"),
        (
            MenuItem(
                _("Third-party data"),
                "provider-data",
                (Role.ACCOUNT_MANAGER, Role.RISK_APPROVER, Role.ADMINISTRATOR),
            ),
            MenuItem(
                _("Settlement accounts"),
                "settlement-accounts",
                (Role.ACCOUNT_MANAGER, Role.RISK_APPROVER, Role.ADMINISTRATOR),
            ),
        ),
    ),
    (
        _("Reports"),
        (
            MenuItem(_("Dashboards"), "dashboards", ALL_STAFF),
            MenuItem(
                _("Monthly statements"),
                "statement-list",
                (Role.ANCHOR_OPERATOR, Role.BRANCH_MANAGER, Role.RISK_APPROVER, Role.ADMINISTRATOR),
            ),
        ),
    ),
    (
        _("Operations"),
        (
            MenuItem(_("Close of business"), "close-list", (Role.ADMINISTRATOR, Role.BRANCH_MANAGER)),
            MenuItem(
                _("Disbursement instructions and journal"), "core-files", (Role.ADMINISTRATOR, Role.BRANCH_MANAGER)
            ),
            MenuItem(_("Core debit files"), "core-debit-files", (Role.ADMINISTRATOR, Role.BRANCH_MANAGER)),
            MenuItem(_("Administration"), "system-admin", (Role.ADMINISTRATOR,)),
        ),
    ),
)
MENU: tuple[MenuItem, ...] = (HOME, *(item for _label, items in MENU_GROUPS for item in items))


def menu(request: HttpRequest) -> dict[str, Any]:
    """The user's menu: ``menu_items``, each a link (``url``) or a group of links (``links``)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}

    def link(item: MenuItem) -> dict[str, Any]:
        return {"label": item.label, "url": reverse(item.url_name), "active": _is_active(request.path, item.url_name)}

    def allowed(item: MenuItem) -> bool:
        return bool(user.is_superuser or user.role in item.roles)

    entries: list[dict[str, Any]] = [link(HOME)] if allowed(HOME) else []
    for label, group in MENU_GROUPS:
        links = [link(item) for item in group if allowed(item)]
        if len(links) == 1:
            entries.append(links[0])
        elif links:
            entries.append({"label": label, "links": links, "active": any(x["active"] for x in links)})
    return {"menu_items": entries}


def _is_active(path: str, url_name: str) -> bool:
    url = reverse(url_name)
    return path == url if url == "/" else path.startswith(url)
