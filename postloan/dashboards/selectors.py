"""Reads behind the dashboards: grouped queries over the daily aggregates, and the live open warnings.

Every read is scoped like the lists it summarises: warnings, cross-selling
and the ranking to the viewer's subtree (``filter_by_subtree``); programmes
to those the viewer may see (``visible_programs``), with their programme-wide
figures, because the circuit breaker's lines and the cap apply to the whole
programme (the programme page shows the same figures).

A page reads a few hundred to a few thousand aggregate rows: the latest day
for the tables and the last ``PERIOD_DAYS`` days for the trends. Open
warnings and those closed today are read live from the warning table, so
that a leader sees handling as it happens (实时).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, TypeVar

from django.core.cache import cache
from django.db.models import Case, Count, DecimalField, F, Max, Min, Q, Sum, When
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from core.calendar import quarter_label, quarter_of
from core.models import AuditEvent
from core.money import ZERO, money, ratio
from partners.models import MarginEntry, OrgNode, Product, Program, User
from partners.scoping import filter_by_subtree, sees_everything, visible_nodes, visible_programs
from postloan.dashboards.ranking import RankedSubBranch, SubBranchGrowth, rank_sub_branches
from postloan.models import HANDLED_RESOLUTIONS, Severity, Warning, WarningRule
from postloan.models_dashboards import (
    AggregateDay,
    DailyCrossSelling,
    DailyNodeFigures,
    DailyWarningCloseTimes,
    DailyWarningFigures,
)

PERIOD_DAYS = 90
HANDLED = HANDLED_RESOLUTIONS
WARNING_KEYS = ("org_node_id", "rule_id", "severity", "assignee_id")


def latest_day(today: dt.date) -> dt.date | None:
    """The last business date, up to ``today``, whose figures are written."""
    day: dt.date | None = AggregateDay.objects.filter(day__lte=today).aggregate(day=Max("day"))["day"]
    return day


def period_start(latest: dt.date) -> dt.date:
    return latest - dt.timedelta(days=PERIOD_DAYS - 1)


@dataclass(frozen=True)
class Figures:
    """Which figures a page reads: the latest day up to today, and versions that tell when they change.

    ``version`` moves whenever aggregates are written. ``live`` moves, besides, with the business date
    and with every audit row: the live figures (open warnings, those closed today, margin balances,
    programme status) change only through audited services (``warning_close``, margin entries,
    programme status) or through the close of business, which moves the date and the version.
    """

    latest: dt.date | None
    version: str
    live: str


def figures_of(today: dt.date) -> Figures:
    found = AggregateDay.objects.aggregate(latest=Max("day", filter=Q(day__lte=today)), version=Max("written_at"))
    version = found["version"].isoformat() if found["version"] else "none"
    newest_audit = AuditEvent.objects.aggregate(newest=Max("id"))["newest"]
    return Figures(latest=found["latest"], version=version, live=f"{today}/{version}/{newest_audit}")


CACHE_SECONDS = 3600
T = TypeVar("T")


def scope_key(user: User) -> str:
    """Viewers with the same key see the same figures (the whole bank, or one subtree)."""
    return "*" if sees_everything(user) else (user.org_node.path if user.org_node else "-")


def cached(name: str, user: User, figures: Figures, compute: Callable[[], T], *extra: object, live: bool = False) -> T:
    """What a page derives, kept per scope and language until the figures it reads change.

    Aggregates change once a day (or when past days are rewritten, which moves the version); with
    ``live`` the result is kept only until the next audited change or close (see ``Figures``), so a
    page never shows a figure older than the last change.
    """
    stamp = figures.live if live else figures.version
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


# --- warnings ------------------------------------------------------------------------------------------


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
    closed_today = filter_by_subtree(Warning.objects.filter(closed_on=today, resolution__in=HANDLED), user)
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
    live = filter_by_subtree(Warning.objects.filter(status=Warning.Status.OPEN), user)
    for row in live.values(*WARNING_KEYS).annotate(n=Count("id"), late=Count("id", filter=Q(deadline__lt=today))):
        cells.append((_key(row), WarningCounts(open=row["n"], overdue=row["late"])))
    return cells, handled_today


def _person(user: User) -> str:
    return user.display_name or user.username


def warning_dashboard(user: User, today: dt.date) -> WarningDashboard:
    figures = figures_of(today)
    return cached("warning-board", user, figures, lambda: _warning_board(user, today, figures), today, live=True)


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


# --- programmes ---------------------------------------------------------------------------------------

CLASSES = ("normal", "special_mention", "substandard", "doubtful", "loss")
MONEY_SUMS = (
    "outstanding",
    "npl",
    *CLASSES,
    "principal_overdue",
    "interest_overdue",
    "compensated",
    "shadow_delinquent",
    "limits_approved",
)


@dataclass
class ProgrammeHealth:
    program: Program
    figures: dict[str, Any]
    margin_balance: Decimal

    @property
    def npl_ratio(self) -> Decimal:
        return ratio(self.figures["npl"], self.figures["outstanding"])

    @property
    def band(self) -> str:
        """Where the NPL ratio stands against the programme's lines: ok, warning or suspension."""
        if self.npl_ratio >= self.program.npl_suspend_ratio:
            return "suspension"
        if self.npl_ratio >= self.program.npl_warning_ratio:
            return "warning"
        return "ok"

    @property
    def headroom(self) -> Decimal:
        return max(ZERO, Decimal(self.program.total_cap - self.figures["limits_approved"]))

    @property
    def cap_used_ratio(self) -> Decimal:
        return ratio(self.figures["limits_approved"], self.program.total_cap)

    @property
    def limit_usage_ratio(self) -> Decimal:
        """Used (outstanding) ÷ approved limits."""
        return ratio(self.figures["outstanding"], self.figures["limits_approved"])

    @property
    def gross_delinquency(self) -> Decimal:
        """What borrowers failed to pay on time, whoever paid it since: overdue plus compensated."""
        f = self.figures
        return Decimal(f["principal_overdue"] + f["interest_overdue"] + f["compensated"])

    @property
    def gross_delinquency_ratio(self) -> Decimal:
        return ratio(self.gross_delinquency, self.figures["outstanding"])

    @property
    def margin_required(self) -> Decimal:
        return money(self.program.margin_ratio * self.figures["outstanding"])

    @property
    def margin_coverage(self) -> Decimal | None:
        return ratio(self.margin_balance, self.margin_required) if self.margin_required else None

    @property
    def margin_shortfall(self) -> Decimal:
        return max(ZERO, self.margin_required - self.margin_balance)


@dataclass
class ProgrammeDashboard:
    latest: dt.date | None
    rows: list[ProgrammeHealth]
    trend_days: list[dt.date]
    trend: dict[int, dict[str, list[Decimal]]]  # programme id → series name → one value per day


def _money_sums() -> dict[str, Sum]:
    return {name: Sum(name) for name in MONEY_SUMS}


def margin_balances(program_ids: Iterable[int]) -> dict[int, Decimal]:
    signed = Case(
        When(kind=MarginEntry.Kind.DEPOSIT, then=F("amount")),
        default=-F("amount"),
        output_field=DecimalField(max_digits=18, decimal_places=2),
    )
    rows = MarginEntry.objects.filter(program_id__in=list(program_ids)).values("program_id").annotate(total=Sum(signed))
    return {row["program_id"]: money(row["total"] or ZERO) for row in rows}


def _zero_figures() -> dict[str, Any]:
    return {**dict.fromkeys(MONEY_SUMS, ZERO), "loans": 0, "customers": 0, "limits_count": 0}


def _programme_figures(
    ids: list[int], latest: dt.date | None
) -> tuple[dict[int, dict[str, Any]], list[dt.date], dict[int, dict[str, list[Decimal]]]]:
    """Programme-wide figures of the latest day and the daily series behind the trend charts."""
    figures: dict[int, dict[str, Any]] = {pk: _zero_figures() for pk in ids}
    trend_days: list[dt.date] = []
    trend: dict[int, dict[str, list[Decimal]]] = {}
    if latest is None:
        return figures, trend_days, trend
    rows = DailyNodeFigures.objects.filter(day=latest, program_id__in=ids).values("program_id")
    for row in rows.annotate(
        loans=Sum("loans"), customers=Sum("customers"), limits_count=Sum("limits_count"), **_money_sums()
    ):
        pk = row.pop("program_id")
        figures[pk] = {k: money(v or 0) if k in MONEY_SUMS else (v or 0) for k, v in row.items()}
    daily = (
        DailyNodeFigures.objects.filter(day__range=(period_start(latest), latest), program_id__in=ids)
        .values("day", "program_id")
        .annotate(
            outstanding=Sum("outstanding"),
            npl=Sum("npl"),
            overdue=Sum(F("principal_overdue") + F("interest_overdue")),
            compensated=Sum("compensated"),
        )
        .order_by("day")
    )
    by_day: dict[dt.date, dict[int, dict[str, Decimal]]] = {}
    for row in daily:
        by_day.setdefault(row["day"], {})[row["program_id"]] = row
    trend_days = sorted(by_day)
    for pk in ids:
        points = [by_day[day].get(pk) for day in trend_days]
        trend[pk] = {
            "outstanding": [money(p["outstanding"]) if p else ZERO for p in points],
            "npl_ratio": [ratio(p["npl"], p["outstanding"]) if p else ZERO for p in points],
            "gross_delinquency": [money(p["overdue"] + p["compensated"]) if p else ZERO for p in points],
        }
    return figures, trend_days, trend


def programme_dashboard(user: User, today: dt.date) -> ProgrammeDashboard:
    version = figures_of(today)
    return cached("programme-board", user, version, lambda: _programme_board(user, version), live=True)


def _programme_board(user: User, version: Figures) -> ProgrammeDashboard:
    """Programmes, their status and margin are read live; the aggregates' figures come through the cache."""
    programs = list(visible_programs(user).select_related("anchor").order_by("anchor__name", "name"))
    ids = [p.pk for p in programs]
    figures, trend_days, trend = cached(
        "programmes", user, version, lambda: _programme_figures(ids, version.latest), version.latest, *ids
    )
    margins = margin_balances(ids)
    rows_out = [ProgrammeHealth(p, figures[p.pk], margins.get(p.pk, ZERO)) for p in programs]
    return ProgrammeDashboard(latest=version.latest, rows=rows_out, trend_days=trend_days, trend=trend)


# --- cross-selling --------------------------------------------------------------------------------------


@dataclass
class Penetration:
    key: str
    label: str
    borrowers: int
    holders: dict[int, int]  # product id → borrowers holding it

    def rate(self, product_id: int) -> Decimal | None:
        if not self.borrowers:
            return None
        return ratio(Decimal(self.holders.get(product_id, 0)), Decimal(self.borrowers))

    @property
    def products_per_borrower(self) -> Decimal | None:
        if not self.borrowers:
            return None
        return (Decimal(sum(self.holders.values())) / self.borrowers).quantize(Decimal("0.01"))


@dataclass
class CrossSellingDashboard:
    latest: dt.date | None
    products: list[Product]
    total: Penetration
    by_sub_branch: list[Penetration]
    by_program: list[Penetration]
    trend_days: list[dt.date]
    trend: dict[int, list[Decimal]]  # product id → penetration per day


def _cross_selling(user: User, latest: dt.date | None, products: list[Product]) -> CrossSellingDashboard:
    total = Penetration("total", _("All borrowers"), 0, {})
    if latest is None:
        return CrossSellingDashboard(None, products, total, [], [], [], {})
    tree = cached_org_tree()
    scoped = filter_by_subtree(DailyCrossSelling.objects.filter(day=latest), user)
    subs: dict[int | None, Penetration] = {}
    for row in scoped.filter(program__isnull=True).values("org_node_id", "product_id").annotate(n=Sum("borrowers")):
        sub = tree.sub_branch_of(row["org_node_id"])
        if sub is None:
            item = subs.setdefault(None, Penetration("branch-level", _("Above the sub-branches"), 0, {}))
        else:
            item = subs.setdefault(sub.pk, Penetration(f"branch-{sub.code}", sub.name, 0, {}))
        for target in (item, total):
            if row["product_id"] is None:
                target.borrowers += row["n"]
            else:
                target.holders[row["product_id"]] = target.holders.get(row["product_id"], 0) + row["n"]
    by_sub = sorted(subs.values(), key=lambda p: (p.key == "branch-level", p.key))
    names = dict(Program.objects.values_list("id", "name"))
    programs: dict[int, Penetration] = {}
    for row in scoped.filter(program__isnull=False).values("program_id", "product_id").annotate(n=Sum("borrowers")):
        item = programs.setdefault(
            row["program_id"], Penetration(f"program-{row['program_id']}", names[row["program_id"]], 0, {})
        )
        if row["product_id"] is None:
            item.borrowers += row["n"]
        else:
            item.holders[row["product_id"]] = row["n"]
    daily = filter_by_subtree(
        DailyCrossSelling.objects.filter(day__range=(period_start(latest), latest), program__isnull=True), user
    )
    by_day: dict[dt.date, dict[int | None, int]] = {}
    for row in daily.values("day", "product_id").annotate(n=Sum("borrowers")):
        by_day.setdefault(row["day"], {})[row["product_id"]] = row["n"]
    days = sorted(by_day)
    trend = {
        product.pk: [ratio(Decimal(by_day[day].get(product.pk, 0)), Decimal(by_day[day].get(None, 0))) for day in days]
        for product in products
    }
    return CrossSellingDashboard(
        latest=latest,
        products=products,
        total=total,
        by_sub_branch=by_sub,
        by_program=sorted(programs.values(), key=lambda p: p.label),
        trend_days=days,
        trend=trend,
    )


def cross_selling_dashboard(user: User, today: dt.date) -> CrossSellingDashboard:
    products = list(Product.objects.filter(active=True))
    figures = figures_of(today)
    return cached(
        "cross-selling",
        user,
        figures,
        lambda: _cross_selling(user, figures.latest, products),
        figures.latest,
        *(p.pk for p in products),
    )


# --- quarterly ranking ------------------------------------------------------------------------------------


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
        )
        for node in tree.nodes.values()
        if node.kind == OrgNode.Kind.SUB_BRANCH
    ]
    return RankingPage(chosen, quarters, start_day, end_day, complete, rank_sub_branches(growths))


def ranking_page(user: User, label: str | None, today: dt.date) -> RankingPage:
    """The quarter's ranking, with the rows of the sub-branches in the viewer's subtree."""
    figures = figures_of(today)
    everyone: RankingPage = cached("ranking", user, figures, lambda: _ranking(label, today), "bank", label, today)
    visible = set(visible_nodes(user).filter(kind=OrgNode.Kind.SUB_BRANCH).values_list("id", flat=True))
    everyone.rows = [ranked for ranked in everyone.rows if ranked.growth.node_id in visible]
    return everyone
