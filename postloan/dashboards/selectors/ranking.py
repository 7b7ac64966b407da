"""The quarterly ranking of the sub-branches within their class."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Max, Min, Sum

from core.calendar import quarter_label, quarter_of
from core.money import ZERO, money
from network.selectors import targets_of_quarter
from partners.models import OrgNode, User
from partners.scoping import visible_nodes
from postloan.dashboards.ranking import RankedSubBranch, SubBranchGrowth, rank_sub_branches
from postloan.dashboards.selectors.common import (
    Tree,
    cached,
    cached_org_tree,
    figures_of,
    latest_day,
)
from postloan.models_dashboards import (
    AggregateDay,
    DailyCrossSelling,
    DailyNodeFigures,
)


@dataclass(frozen=True)
class Quarter:
    label: str
    start: dt.date
    end: dt.date

    @classmethod
    def of(cls, day: dt.date) -> Quarter:
        start, end = quarter_of(day)
        return cls(quarter_label(day), start, end)


def quarters_available() -> list[Quarter]:
    """Every quarter from the first to the last day with figures, latest first."""
    bounds = AggregateDay.objects.aggregate(first=Min("day"), last=Max("day"))
    if bounds["first"] is None:
        return []
    quarters: list[Quarter] = []
    quarter = Quarter.of(bounds["first"])
    while quarter.start <= bounds["last"]:
        quarters.append(quarter)
        quarter = Quarter.of(quarter.end + dt.timedelta(days=1))
    return list(reversed(quarters))


def nearest_day(target: dt.date) -> dt.date | None:
    """The day with figures nearest to ``target`` (the earlier of two equally near)."""
    before: dt.date | None = AggregateDay.objects.filter(day__lte=target).aggregate(day=Max("day"))["day"]
    after: dt.date | None = AggregateDay.objects.filter(day__gte=target).aggregate(day=Min("day"))["day"]
    if before is None or after is None:
        return before or after
    return before if (target - before) <= (after - target) else after


@dataclass
class RankingPage:
    quarter: Quarter | None
    quarters: list[Quarter]
    start_day: dt.date | None  # the snapshots compared
    end_day: dt.date | None
    complete: bool  # the quarter has ended and its closing snapshot is written
    rows: list[RankedSubBranch]  # those the viewer may see


def _sub_branch_figures(tree: Tree, day: dt.date) -> tuple[dict[int, tuple[Decimal, Decimal]], dict[int, int]]:
    """Outstanding and NPL, and distinct borrowers, per sub-branch on ``day``."""
    money_by_sub: dict[int, tuple[Decimal, Decimal]] = {}
    for row in (
        DailyNodeFigures.objects.filter(day=day).values("org_node_id").annotate(o=Sum("outstanding"), n=Sum("npl"))
    ):
        sub = tree.sub_branch.get(row["org_node_id"])
        if sub is not None:
            outstanding, npl = money_by_sub.get(sub, (ZERO, ZERO))
            money_by_sub[sub] = (outstanding + row["o"], npl + row["n"])
    customers: dict[int, int] = {}
    rows = DailyCrossSelling.objects.filter(day=day, program__isnull=True, product__isnull=True)
    for row in rows.values("org_node_id").annotate(n=Sum("borrowers")):
        sub = tree.sub_branch.get(row["org_node_id"])
        if sub is not None:
            customers[sub] = customers.get(sub, 0) + row["n"]
    return money_by_sub, customers


def _ranking(label: str | None, today: dt.date) -> RankingPage:
    """Every sub-branch of the bank ranked for the quarter (the viewer's rows are picked afterwards)."""
    quarters = quarters_available()
    if not quarters:
        return RankingPage(None, [], None, None, False, [])
    latest = latest_day(today) or quarters[0].end
    last_full = [q for q in quarters if q.end < latest]
    chosen = next((q for q in quarters if q.label == label), None) or (last_full[0] if last_full else quarters[0])
    # The state at a quarter's end is the snapshot that opens the next day.
    start_day = nearest_day(chosen.start)
    end_day = nearest_day(min(chosen.end + dt.timedelta(days=1), latest))
    complete = chosen.end < latest
    tree = cached_org_tree()
    start_money, start_customers = _sub_branch_figures(tree, start_day) if start_day else ({}, {})
    end_money, end_customers = _sub_branch_figures(tree, end_day) if end_day else ({}, {})
    targets = targets_of_quarter(chosen.label)
    growths = [
        SubBranchGrowth(
            node_id=node.pk,
            code=node.code,
            name=node.name,
            klass=node.sub_branch_class,
            branch_id=node.parent_id or 0,
            outstanding_start=money(start_money.get(node.pk, (ZERO, ZERO))[0]),
            outstanding_end=money(end_money.get(node.pk, (ZERO, ZERO))[0]),
            customers_start=start_customers.get(node.pk, 0),
            customers_end=end_customers.get(node.pk, 0),
            npl_end=money(end_money.get(node.pk, (ZERO, ZERO))[1]),
            target_balance=targets[node.pk].balance_growth if node.pk in targets else None,
            target_customers=targets[node.pk].borrowers_growth if node.pk in targets else None,
            npl_ceiling=targets[node.pk].npl_ceiling if node.pk in targets else None,
        )
        for node in tree.nodes.values()
        if node.kind == OrgNode.Kind.SUB_BRANCH
    ]
    return RankingPage(chosen, quarters, start_day, end_day, complete, rank_sub_branches(growths))


def ranking_page(user: User, label: str | None, today: dt.date) -> RankingPage:
    """The quarter's ranking, with the rows of the sub-branches in the viewer's subtree."""
    figures = figures_of(today)
    # the targets are set during the day: the ranking is kept only until the next audited change
    everyone: RankingPage = cached(
        "ranking", user, figures, lambda: _ranking(label, today), "bank", label, today, reads_live_figures=True
    )
    visible = set(visible_nodes(user).filter(kind=OrgNode.Kind.SUB_BRANCH).values_list("id", flat=True))
    everyone.rows = [ranked for ranked in everyone.rows if ranked.growth.node_id in visible]
    return everyone
