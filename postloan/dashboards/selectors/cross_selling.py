"""The cross-selling board: which other products the borrowers hold (综合营销)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Sum
from django.utils.translation import gettext as _

from core.money import ratio
from partners.models import Product, Program, User
from partners.scoping import filter_by_subtree
from postloan.dashboards.selectors.common import (
    cached,
    cached_org_tree,
    figures_of,
    period_start,
)
from postloan.models_dashboards import DailyCrossSelling


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
