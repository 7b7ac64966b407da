"""What every board shares: the figures' latest day and versions, the cache, the organisation tree."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from django.core.cache import cache
from django.db.models import Count, Max, Q
from django.utils.translation import get_language

from core.models import AuditEvent
from partners.models import OrgNode, User
from partners.scoping import home_node, is_anchor_operator, sees_everything
from postloan.models_dashboards import AggregateDay

PERIOD_DAYS = 90


def latest_day(today: dt.date) -> dt.date | None:
    """The last business date, up to ``today``, whose figures are written."""
    day: dt.date | None = AggregateDay.objects.filter(day__lte=today).aggregate(day=Max("day"))["day"]
    return day


def period_start(latest: dt.date) -> dt.date:
    return latest - dt.timedelta(days=PERIOD_DAYS - 1)


@dataclass(frozen=True)
class Figures:
    """Which figures a page reads: the latest day up to today, and versions that tell when they change.

    ``version`` moves whenever aggregates are written. ``live_version`` moves, besides, with the business
    date and with every audit row: the live figures, those read from the tables as they stand rather than
    from the aggregates (open warnings, those closed today, margin balances, programme status), change
    only through audited services (``warning_close``, margin entries, programme status) or through the
    close of business, which moves the date and the version.
    """

    latest: dt.date | None
    version: str
    live_version: str


def figures_of(today: dt.date) -> Figures:
    found = AggregateDay.objects.aggregate(latest=Max("day", filter=Q(day__lte=today)), version=Max("written_at"))
    version = found["version"].isoformat() if found["version"] else "none"
    newest_audit = AuditEvent.objects.aggregate(newest=Max("id"))["newest"]
    return Figures(latest=found["latest"], version=version, live_version=f"{today}/{version}/{newest_audit}")


CACHE_SECONDS = 3600
T = TypeVar("T")


def scope_key(user: User) -> str:
    """Viewers with the same key see the same figures (the whole bank, or one subtree)."""
    if sees_everything(user):
        return "*"
    node = user.org_node if is_anchor_operator(user) else home_node(user)
    return node.path if node else "-"


def cached(
    name: str, user: User, figures: Figures, compute: Callable[[], T], *extra: object, reads_live_figures: bool = False
) -> T:
    """What a page derives, kept per scope and language until the figures it reads change.

    Aggregates change once a day (or when past days are rewritten, which moves the version); a result
    that ``reads_live_figures`` is kept only until the next audited change or close (see ``Figures``), so
    a page never shows a figure older than the last change.
    """
    stamp = figures.live_version if reads_live_figures else figures.version
    key = ":".join(str(part) for part in ("dashboards", name, scope_key(user), get_language(), stamp, *extra))
    found: T | None = cache.get(key)
    if found is None:
        found = compute()
        cache.set(key, found, CACHE_SECONDS)
    return found


# --- the organisation --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Tree:
    """Every node, and for each the sub-branch it lies in (None above the sub-branches)."""

    nodes: dict[int, OrgNode]
    sub_branch: dict[int, int | None]

    def sub_branch_of(self, node_id: int | None) -> OrgNode | None:
        sub_id = self.sub_branch.get(node_id) if node_id is not None else None
        return self.nodes[sub_id] if sub_id is not None else None


def cached_org_tree() -> Tree:
    """The tree, kept until a node is added or changed."""
    stamp = OrgNode.objects.aggregate(n=Count("id"), changed=Max("updated_at"))
    key = f"dashboards:tree:{stamp['n']}:{stamp['changed'].isoformat() if stamp['changed'] else ''}"
    tree: Tree | None = cache.get(key)
    if tree is None:
        tree = org_tree()
        cache.set(key, tree, CACHE_SECONDS)
    return tree


def org_tree() -> Tree:
    nodes = {node.pk: node for node in OrgNode.objects.all()}
    by_path = {node.path: node for node in nodes.values()}
    sub_branch: dict[int, int | None] = {}
    for node in nodes.values():
        parts = node.path.rstrip("/").split("/")
        found = None
        for depth in range(1, len(parts) + 1):
            ancestor = by_path.get("/".join(parts[:depth]) + "/")
            if ancestor is not None and ancestor.kind == OrgNode.Kind.SUB_BRANCH:
                found = ancestor.pk
                break
        sub_branch[node.pk] = found
    return Tree(nodes=nodes, sub_branch=sub_branch)
