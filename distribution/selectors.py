"""Reads of the lists that pages, the API and the dashboards share, scoped to the viewer's subtree.

``funnel`` is the one place the funnel (whitelisted → contacted → reached → drew) is counted: the list pages,
the API and the ``network`` dashboards' funnel charts all read it.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal

from django.db.models import Case, Count, Exists, F, IntegerField, OuterRef, Q, QuerySet, Value, When

from distribution.models import ListEntry, OutreachList, Stage
from origination.models import Loan
from partners.models import OrgNode, User
from partners.scoping import filter_by_subtree, home_node, is_anchor_operator, sees_everything

FunnelBy = Literal["total", "node", "person", "list", "anchor", "kind"]
FUNNEL_BY: tuple[str, ...] = ("total", "node", "person", "list", "anchor", "kind")


def visible_entries(user: User) -> QuerySet[ListEntry]:
    """The entries sitting in the user's subtree (an anchor operator sees none)."""
    if is_anchor_operator(user):
        return ListEntry.objects.none()
    return filter_by_subtree(ListEntry.objects.all(), user, "node")


def visible_lists(user: User) -> QuerySet[OutreachList]:
    """Lists owned in the user's subtree, and lists owned above him that have entries handed down to it."""
    if is_anchor_operator(user):
        return OutreachList.objects.none()
    if sees_everything(user):
        return OutreachList.objects.all()
    node = home_node(user)
    if node is None:
        return OutreachList.objects.none()
    below = ListEntry.objects.filter(outreach_list=OuterRef("pk"), node__path__startswith=node.path)
    return OutreachList.objects.filter(Q(owner_node__path__startswith=node.path) | Exists(below))


def assignable_nodes(user: User) -> QuerySet[OrgNode]:
    """The nodes the user may hand entries to: his own subtree."""
    if is_anchor_operator(user):
        return OrgNode.objects.none()
    if sees_everything(user):
        return OrgNode.objects.order_by("path")
    node = home_node(user)
    if node is None:
        return OrgNode.objects.none()
    return OrgNode.objects.filter(path__startswith=node.path).order_by("path")


def assignable_people(user: User) -> QuerySet[User]:
    """The staff the user may hand entries to: active users on a node of his subtree."""
    from core.roles import STAFF_ROLES

    return User.objects.filter(
        is_active=True, role__in=list(STAFF_ROLES), org_node__in=assignable_nodes(user)
    ).order_by("org_node__path", "username")


def with_effective_stage(entries: QuerySet[ListEntry]) -> QuerySet[ListEntry]:
    """Each entry with ``effective_stage``: its stage, or ``drew`` when its farmer has a loan disbursed on or
    after the day the entry joined its list (the loans table says so even if nobody recorded it)."""
    drew = Loan.objects.filter(farmer_id=OuterRef("farmer_id"), disbursed_on__gte=OuterRef("added_on"))
    return entries.annotate(
        effective_stage=Case(
            When(stage=Stage.DREW, then=Value(int(Stage.DREW))),
            When(Q(farmer__isnull=False) & Exists(drew), then=Value(int(Stage.DREW))),
            default=F("stage"),
            output_field=IntegerField(),
        )
    )


@dataclass(frozen=True)
class FunnelRow:
    """One group's funnel: the counts are cumulative (a customer who drew was also contacted and reached)."""

    key: int | str | None
    label: str
    whitelisted: int
    contacted: int
    reached: int
    drew: int

    def rate(self, step: str) -> Decimal | None:
        """``step`` ("contacted", "reached" or "drew") as a share of the whitelisted, to four places."""
        if not self.whitelisted:
            return None
        return (Decimal(getattr(self, step)) / Decimal(self.whitelisted)).quantize(Decimal("0.0001"))

    @property
    def contacted_share(self) -> Decimal | None:
        return self.rate("contacted")

    @property
    def reached_share(self) -> Decimal | None:
        return self.rate("reached")

    @property
    def conversion(self) -> Decimal | None:
        """Drew as a share of the whitelisted."""
        return self.rate("drew")

    def as_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "label": self.label,
            "whitelisted": self.whitelisted,
            "contacted": self.contacted,
            "reached": self.reached,
            "drew": self.drew,
        }


_GROUP_FIELDS: dict[str, tuple[str, ...]] = {
    "total": (),
    "node": ("node_id", "node__name"),
    "person": ("assignee_id", "assignee__display_name", "assignee__username"),
    "list": ("outreach_list_id", "outreach_list__name"),
    "anchor": ("anchor_id", "anchor__name"),
    "kind": ("outreach_list__kind",),
}


def funnel(
    *,
    viewer: User,
    by: FunnelBy = "total",
    list_ids: Sequence[int] | None = None,
    kinds: Sequence[str] | None = None,
    node: OrgNode | None = None,
    anchor_id: int | None = None,
    added_from: dt.date | None = None,
    added_to: dt.date | None = None,
    include_unavailable: bool = True,
) -> list[FunnelRow]:
    """The funnel (whitelisted → contacted → reached → drew) of the entries the viewer sees, grouped.

    - ``viewer``: only entries sitting in his subtree count (``visible_entries``).
    - ``by``: ``"total"`` (one row, key ``None``), ``"node"`` (the node an entry sits at: an outlet once
      handed down, the sub-branch or branch before), ``"person"`` (the assignee; key ``None`` for entries
      not yet given to anyone), ``"list"``, ``"anchor"`` (key ``None`` for entries without one) or
      ``"kind"`` (the list's kind, key the kind's code).
    - ``list_ids``, ``kinds`` (``OutreachList.Kind`` values), ``node`` (only that node's subtree),
      ``anchor_id``, ``added_from``/``added_to`` (the day an entry joined its list, both included) narrow
      the entries; ``include_unavailable=False`` leaves out whitelist entries whose limit lends no more.

    Counts are cumulative by the entry's effective stage (``with_effective_stage``): ``contacted`` counts
    every entry contacted at least once, ``reached`` those reached (declined, interested and "thought it a
    fraud" are reached too), ``drew`` those recorded as drawn or whose farmer has a loan disbursed on or
    after the day the entry joined its list (``added_on``; for a programme's whitelist, the day the farmer
    was whitelisted). Rows come sorted by label; ``FunnelRow.rate`` gives the shares.
    """
    if by not in _GROUP_FIELDS:
        raise ValueError(f"unknown funnel grouping {by!r}")
    entries = visible_entries(viewer)
    if list_ids is not None:
        entries = entries.filter(outreach_list_id__in=list(list_ids))
    if kinds is not None:
        entries = entries.filter(outreach_list__kind__in=list(kinds))
    if node is not None:
        entries = entries.filter(node__path__startswith=node.path)
    if anchor_id is not None:
        entries = entries.filter(anchor_id=anchor_id)
    if added_from is not None:
        entries = entries.filter(added_on__gte=added_from)
    if added_to is not None:
        entries = entries.filter(added_on__lte=added_to)
    if not include_unavailable:
        entries = entries.filter(available=True)
    fields = _GROUP_FIELDS[by]
    counts = {
        "n_whitelisted": Count("id"),
        "n_contacted": Count("id", filter=Q(effective_stage__gte=Stage.CONTACTED)),
        "n_reached": Count("id", filter=Q(effective_stage__gte=Stage.REACHED)),
        "n_drew": Count("id", filter=Q(effective_stage__gte=Stage.DREW)),
    }
    staged = with_effective_stage(entries).order_by()
    counted = [staged.aggregate(**counts)] if not fields else list(staged.values(*fields).annotate(**counts))
    rows = [
        FunnelRow(
            key=row[fields[0]] if fields else None,
            label=_label(by, row, fields),
            whitelisted=row["n_whitelisted"],
            contacted=row["n_contacted"],
            reached=row["n_reached"],
            drew=row["n_drew"],
        )
        for row in counted
    ]
    return sorted(rows, key=lambda row: (row.key is None, row.label))


def _label(by: str, row: dict[str, Any], fields: tuple[str, ...]) -> str:
    from django.utils.translation import gettext

    if by == "total":
        return ""
    if by == "kind":
        return str(OutreachList.Kind(row[fields[0]]).label)
    if row[fields[0]] is None:
        return gettext("Not assigned") if by == "person" else gettext("None")
    if by == "person":
        return str(row["assignee__display_name"] or row["assignee__username"])
    return str(row[fields[1]])


AMOUNT_FILTER_LIMIT = Decimal(10) ** 16
ID_TEXT = re.compile(r"[0-9]{1,18}")


def parse_id(text: object) -> int | None:
    """A row id written in a query or a form: ASCII digits that a database key can hold, else None."""
    value = str(text or "").strip()
    return int(value) if ID_TEXT.fullmatch(value) else None


ENTRY_FILTERS = ("list", "node", "assignee", "stage", "region", "breed", "anchor", "amount_min", "amount_max", "q")


def entries_filtered(entries: QuerySet[ListEntry], params: Any) -> QuerySet[ListEntry]:
    """Narrow entries by the filters of the pages and the API (``ENTRY_FILTERS``; bad values are ignored).

    ``node`` is a subtree (the node and everything below it); ``assignee`` a user id or ``none`` for entries
    not yet given to anyone; ``region`` a prefix of the region code; ``amount_min``/``amount_max`` yuan,
    both included; ``q`` a part of the name or the reference.
    """
    from decimal import InvalidOperation

    def value(name: str) -> str:
        return str(params.get(name) or "").strip()

    if (list_id := parse_id(value("list"))) is not None:
        entries = entries.filter(outreach_list_id=list_id)
    if (node_id := parse_id(value("node"))) is not None:
        node = OrgNode.objects.filter(pk=node_id).first()
        entries = entries.filter(node__path__startswith=node.path) if node else entries.none()
    if value("assignee") == "none":
        entries = entries.filter(assignee__isnull=True)
    elif (assignee_id := parse_id(value("assignee"))) is not None:
        entries = entries.filter(assignee_id=assignee_id)
    if value("stage") in {str(stage) for stage in Stage.values}:
        entries = entries.filter(stage=int(value("stage")))
    if value("region"):
        entries = entries.filter(region_code__startswith=value("region"))
    if value("breed"):
        entries = entries.filter(breed__icontains=value("breed"))
    if (anchor_id := parse_id(value("anchor"))) is not None:
        entries = entries.filter(anchor_id=anchor_id)
    for name, lookup in (("amount_min", "amount__gte"), ("amount_max", "amount__lte")):
        if value(name):
            try:
                amount = Decimal(value(name).replace(",", ""))
            except InvalidOperation:
                continue
            if amount.is_finite() and abs(amount) < AMOUNT_FILTER_LIMIT:
                entries = entries.filter(**{lookup: amount})
    if value("q"):
        entries = entries.filter(Q(name__icontains=value("q")) | Q(reference__icontains=value("q")))
    return entries
