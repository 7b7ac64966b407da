"""The warning board: open and handled warnings by rule, severity, sub-branch and account manager."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q, Sum
from django.utils.translation import gettext as _

from core.money import ratio
from partners.models import User
from partners.scoping import filter_by_subtree
from postloan.dashboards.selectors.common import (
    Figures,
    Tree,
    cached,
    cached_org_tree,
    figures_of,
    period_start,
)
from postloan.models import HANDLED_RESOLUTIONS, RiskWarning, Severity, WarningRule
from postloan.models_dashboards import DailyWarningCloseTimes, DailyWarningFigures

HANDLED = HANDLED_RESOLUTIONS
WARNING_KEYS = ("org_node_id", "rule_id", "severity", "assignee_id")


def median(histogram: Counter[int]) -> Decimal | None:
    """The median of a histogram {value: count}: the middle value, or the mean of the two middle ones."""
    total = sum(histogram.values())
    if total == 0:
        return None

    def nth(position: int) -> int:  # the value at 0-based ``position`` of the sorted values
        seen = 0
        for value in sorted(histogram):
            seen += histogram[value]
            if position < seen:
                return value
        raise IndexError(position)

    middle = total // 2
    if total % 2:
        return Decimal(nth(middle))
    return (Decimal(nth(middle - 1)) + Decimal(nth(middle))) / 2


@dataclass(slots=True)
class WarningCounts:
    open: int = 0
    overdue: int = 0
    raised: int = 0
    handled: int = 0
    handled_in_time: int = 0
    cleared: int = 0
    close_days: Counter[int] = field(default_factory=Counter)

    def add(self, other: WarningCounts) -> None:
        self.open += other.open
        self.overdue += other.overdue
        self.raised += other.raised
        self.handled += other.handled
        self.handled_in_time += other.handled_in_time
        self.cleared += other.cleared
        if other.close_days:
            self.close_days.update(other.close_days)

    @property
    def handling_rate(self) -> Decimal | None:
        """Of the warnings that needed a person in the period: the share he closed (closed ÷ closed + open)."""
        base = self.handled + self.open
        return ratio(Decimal(self.handled), Decimal(base)) if base else None

    @property
    def on_time_rate(self) -> Decimal | None:
        return ratio(Decimal(self.handled_in_time), Decimal(self.handled)) if self.handled else None

    @property
    def median_days(self) -> Decimal | None:
        return median(self.close_days)


@dataclass
class WarningRow:
    key: str  # stable, for tests and exports
    label: str
    query: str  # the drill-down filter of the warning list, "" when there is none
    counts: WarningCounts
    # Computed once when the row is made (pages read each several times).
    handling_rate: Decimal | None = field(init=False)
    on_time_rate: Decimal | None = field(init=False)
    median_days: Decimal | None = field(init=False)

    def __post_init__(self) -> None:
        self.handling_rate = self.counts.handling_rate
        self.on_time_rate = self.counts.on_time_rate
        self.median_days = self.counts.median_days


@dataclass
class WarningDashboard:
    today: dt.date
    latest: dt.date | None
    start: dt.date | None
    total: WarningCounts
    handled_today: int
    by_rule: list[WarningRow]
    by_severity: list[WarningRow]
    by_sub_branch: list[WarningRow]
    by_assignee: list[WarningRow]
    trend: list[dict[str, Any]]

    @property
    def handled_since(self) -> dt.date | None:
        """The first close the period's handled figures count: a day's figures hold the day before's closes."""
        return self.start - dt.timedelta(days=1) if self.start else None


Key = tuple[int, int, str, int | None]  # node, rule, severity, assignee
DIMENSIONS = ("rule", "severity", "sub_branch", "assignee")


def _dimension_keys(tree: Tree, key: Key) -> tuple[object, ...]:
    """The value of each dimension for a (node, rule, severity, assignee) cell."""
    return (key[1], key[2], tree.sub_branch.get(key[0]), key[3])


def _key(row: dict[str, Any]) -> Key:
    return (row["org_node_id"], row["rule_id"], row["severity"], row["assignee_id"])


@dataclass
class WarningPeriod:
    """What the aggregates say over the period, grouped by each dimension once (cached).

    ``opening`` is (open, overdue) per cell at the start of the latest day.
    """

    groups: dict[str, dict[object, WarningCounts]]
    total: WarningCounts
    trend: list[dict[str, Any]]
    opening: dict[Key, tuple[int, int]]


def _warning_period(user: User, latest: dt.date | None, tree: Tree) -> WarningPeriod:
    groups: dict[str, dict[object, WarningCounts]] = {name: {} for name in DIMENSIONS}
    total = WarningCounts()
    if latest is None:
        return WarningPeriod(groups, total, [], {})

    def add(key: Key, counts: WarningCounts) -> None:
        total.add(counts)
        for name, value in zip(DIMENSIONS, _dimension_keys(tree, key), strict=True):
            groups[name].setdefault(value, WarningCounts()).add(counts)

    window = {"day__range": (period_start(latest), latest)}
    flows = filter_by_subtree(DailyWarningFigures.objects.filter(**window), user)
    for row in flows.values(*WARNING_KEYS).annotate(
        r=Sum("raised"), h=Sum("handled"), t=Sum("handled_in_time"), c=Sum("cleared")
    ):
        add(_key(row), WarningCounts(raised=row["r"], handled=row["h"], handled_in_time=row["t"], cleared=row["c"]))
    times = filter_by_subtree(DailyWarningCloseTimes.objects.filter(**window), user)
    for row in times.values(*WARNING_KEYS, "days").annotate(n=Sum("handled")):
        add(_key(row), WarningCounts(close_days=Counter({row["days"]: row["n"]})))
    trend = list(
        filter_by_subtree(DailyWarningFigures.objects.filter(**window), user)
        .values("day")
        .annotate(
            open=Sum("open"),
            overdue=Sum("overdue"),
            raised=Sum("raised"),
            handled=Sum("handled"),
            cleared=Sum("cleared"),
        )
        .order_by("day")
    )
    opening = {
        _key(row): (row["o"], row["d"])
        for row in filter_by_subtree(DailyWarningFigures.objects.filter(day=latest), user)
        .values(*WARNING_KEYS)
        .annotate(o=Sum("open"), d=Sum("overdue"))
    }
    return WarningPeriod(groups, total, trend, opening)


def _warning_live(
    user: User, today: dt.date, opening: dict[Key, tuple[int, int]] | None
) -> tuple[list[tuple[Key, WarningCounts]], int]:
    """Open warnings now, and those a person closed today (no aggregate holds them until tonight's close).

    During a business day open warnings change only when a person closes one: the warning run raises
    and clears them in the close, before the day's figures are written. So with the figures of today
    (``opening``), open now = open at the day's start − closed today, and the open warnings need not be
    read; without them (the close of yesterday has not written today's figures) they are counted live.
    """
    cells: list[tuple[Key, WarningCounts]] = []
    handled_today = 0
    left = dict(opening) if opening is not None else None
    closed_today = filter_by_subtree(RiskWarning.objects.filter(closed_on=today, resolution__in=HANDLED), user)
    for row in closed_today.values(*WARNING_KEYS, "raised_on", "deadline").annotate(n=Count("id")):
        key, n = _key(row), row["n"]
        handled_today += n
        counts = WarningCounts(handled=n, handled_in_time=n if today <= row["deadline"] else 0)
        counts.close_days[(today - row["raised_on"]).days] = n
        cells.append((key, counts))
        if left is not None:
            was_open, was_overdue = left.get(key, (0, 0))
            left[key] = (max(was_open - n, 0), max(was_overdue - (n if row["deadline"] < today else 0), 0))
    if left is not None:
        cells += [(key, WarningCounts(open=o, overdue=d)) for key, (o, d) in left.items() if o or d]
        return cells, handled_today
    live = filter_by_subtree(RiskWarning.objects.filter(status=RiskWarning.Status.OPEN), user)
    for row in live.values(*WARNING_KEYS).annotate(n=Count("id"), late=Count("id", filter=Q(deadline__lt=today))):
        cells.append((_key(row), WarningCounts(open=row["n"], overdue=row["late"])))
    return cells, handled_today


def _person(user: User) -> str:
    return user.display_name or user.username


def warning_dashboard(user: User, today: dt.date) -> WarningDashboard:
    figures = figures_of(today)
    return cached(
        "warning-board", user, figures, lambda: _warning_board(user, today, figures), today, reads_live_figures=True
    )


def _warning_board(user: User, today: dt.date, figures: Figures) -> WarningDashboard:
    latest = figures.latest
    tree = cached_org_tree()
    period = cached("warnings", user, figures, lambda: _warning_period(user, latest, tree), latest)
    live, handled_today = _warning_live(user, today, period.opening if latest == today else None)
    groups, total = period.groups, period.total
    for key, counts in live:
        total.add(counts)
        for name, value in zip(DIMENSIONS, _dimension_keys(tree, key), strict=True):
            groups[name].setdefault(value, WarningCounts()).add(counts)

    rules = {rule.pk: rule for rule in WarningRule.objects.all()}
    by_rule = [
        WarningRow(f"rule-{rules[pk].code}", rules[pk].name, f"rule={rules[pk].code}", counts)
        for pk, counts in groups["rule"].items()
        if isinstance(pk, int) and pk in rules
    ]
    by_rule.sort(key=lambda r: (-r.counts.open, -r.counts.raised, r.key))
    by_severity = [
        WarningRow(f"severity-{value}", str(label), f"severity={value}", groups["severity"][value])
        for value, label in Severity.choices
        if value in groups["severity"]
    ]
    by_sub: list[WarningRow] = []
    for sub_id, counts in groups["sub_branch"].items():
        if isinstance(sub_id, int):
            node = tree.nodes[sub_id]
            by_sub.append(WarningRow(f"branch-{node.code}", node.name, f"branch={node.code}", counts))
        else:
            by_sub.append(WarningRow("branch-level", _("Above the sub-branches"), "", counts))
    by_sub.sort(key=lambda r: (r.query == "", r.key))
    assignees = groups["assignee"]
    people = {u.pk: u for u in User.objects.filter(pk__in=[pk for pk in assignees if isinstance(pk, int)])}
    by_assignee = [
        WarningRow(f"assignee-{pk}", _person(people[pk]), f"assignee={pk}", counts)
        if isinstance(pk, int)
        else WarningRow("assignee-none", _("Not assigned"), "", counts)
        for pk, counts in assignees.items()
        if pk is None or pk in people
    ]
    by_assignee.sort(key=lambda r: (-r.counts.open, -r.counts.handled, r.label))
    return WarningDashboard(
        today=today,
        latest=latest,
        start=period_start(latest) if latest else None,
        total=total,
        handled_today=handled_today,
        by_rule=by_rule,
        by_severity=by_severity,
        by_sub_branch=by_sub,
        by_assignee=by_assignee,
        trend=period.trend,
    )
