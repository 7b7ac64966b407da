"""Progress of each sub-branch against its quarter targets (两增一控), from the ranking's quarter snapshots."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from core.money import ratio
from partners.models import User
from postloan.dashboards.ranking import RankedSubBranch
from postloan.dashboards.selectors.ranking import RankingPage, ranking_page

HUNDRED = Decimal(100)


def progress(done: Decimal, target: Decimal | None) -> Decimal | None:
    """How far ``done`` went towards ``target`` (1 is reached); a target of zero is reached by anything not below."""
    if target is None:
        return None
    if target <= 0:
        return Decimal(1) if done >= target else Decimal(0)
    return max(Decimal(0), ratio(done, target))


def bar(value: Decimal | None) -> int:
    """A progress bar's width in percent (0 to 100)."""
    return 0 if value is None else int(min(HUNDRED, value * HUNDRED))


@dataclass(frozen=True)
class TargetProgress:
    row: RankedSubBranch
    balance: Decimal | None  # share of the balance increase target reached
    customers: Decimal | None
    balance_bar: int
    customers_bar: int
    quality_bar: int  # the NPL ratio as a share of its ceiling (100: at or over it)


@dataclass
class TargetsPage:
    ranking: RankingPage
    rows: list[TargetProgress]
    met_all: int
    set_count: int


def targets_page(user: User, label: str | None, today: dt.date) -> TargetsPage:
    page = ranking_page(user, label, today)
    rows = []
    for ranked in page.rows:
        g = ranked.growth
        balance = progress(g.balance_growth, g.target_balance)
        customers = progress(
            Decimal(g.customers_growth), None if g.target_customers is None else Decimal(g.target_customers)
        )
        quality = None if g.npl_ceiling is None else (ratio(g.npl_ratio, g.npl_ceiling) if g.npl_ceiling > 0 else None)
        rows.append(
            TargetProgress(
                row=ranked,
                balance=balance,
                customers=customers,
                balance_bar=bar(balance),
                customers_bar=bar(customers),
                quality_bar=bar(quality) if quality is not None else (100 if g.quality_met is False else 0),
            )
        )
    rows.sort(key=lambda r: r.row.growth.code)
    met_all = sum(1 for r in rows if r.row.growth.target_points == 100)
    set_count = sum(1 for r in rows if r.row.growth.targets_set)
    return TargetsPage(page, rows, met_all, set_count)
