"""The quarterly ranking of sub-branches within their class (季度分类排名). Pure: no ORM.

Every quarter the sub-branches of a branch are ranked within their class
(优先发展行 / 跟进发展行 / 特色行) on inclusive-loan growth, and the last of
each class is lowered one performance grade. The score is a weighted sum of
three ranks, each shown beside the figure it ranks:

* balance (余额增量): increase of outstanding principal over the quarter, more is better;
* customers (有贷户数增量): increase of borrowers over the quarter, more is better;
* quality (资产质量): NPL ratio at the quarter's end, less is better.

A part's rank is its competition rank within the class (1 is best; equal
figures share the better rank: 1, 2, 2, 4). ``score = 0.4 × balance rank +
0.3 × customers rank + 0.3 × quality rank``, and the lower score ranks higher;
equal scores go by the balance increase, then the customers increase, then
the code. The last of a class is marked for the downgrade only when the class
has at least two sub-branches: a class of one has nobody to be compared with.

Targets met come first (两增一控, set per sub-branch and quarter in ``network``).
Each target met earns its points, with the same weights as the ranks:

* the balance increase reached its target: 40 points;
* the borrowers increase reached its target: 30 points;
* the NPL ratio at the end at or under its ceiling: 30 points.

A target not set earns nothing. Within the class, more target points rank
higher; among equal points the weighted rank score decides as above. So a
sub-branch that met all three targets (100) ranks above one that missed any,
whatever their ranks; when no target is set in a class (everybody 0 points)
the ranking is the weighted rank score alone.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from core.money import ratio

WEIGHTS = {"balance": Decimal("0.4"), "customers": Decimal("0.3"), "quality": Decimal("0.3")}
# Points for each target met, out of 100 (the ranks' weights in points).
TARGET_POINTS = {"balance": 40, "customers": 30, "quality": 30}
CLASS_ORDER = ("priority", "follow_up", "specialty")
MIN_CLASS_FOR_DOWNGRADE = 2


@dataclass(frozen=True)
class SubBranchGrowth:
    """A sub-branch's figures at the two quarter-end snapshots (start and end of the quarter)."""

    node_id: int
    code: str
    name: str
    klass: str
    branch_id: int
    outstanding_start: Decimal
    outstanding_end: Decimal
    customers_start: int
    customers_end: int
    npl_end: Decimal
    # The quarter's targets, when the branch set them: balance increase (元), borrowers increase, NPL ceiling
    target_balance: Decimal | None = None
    target_customers: int | None = None
    npl_ceiling: Decimal | None = None

    @property
    def balance_growth(self) -> Decimal:
        return self.outstanding_end - self.outstanding_start

    @property
    def customers_growth(self) -> int:
        return self.customers_end - self.customers_start

    @property
    def npl_ratio(self) -> Decimal:
        return ratio(self.npl_end, self.outstanding_end)

    @property
    def balance_met(self) -> bool | None:
        """Whether the balance increase reached its target (None: no target set)."""
        return None if self.target_balance is None else self.balance_growth >= self.target_balance

    @property
    def customers_met(self) -> bool | None:
        return None if self.target_customers is None else self.customers_growth >= self.target_customers

    @property
    def quality_met(self) -> bool | None:
        return None if self.npl_ceiling is None else self.npl_ratio <= self.npl_ceiling

    @property
    def targets_set(self) -> bool:
        return not (self.target_balance is None and self.target_customers is None and self.npl_ceiling is None)

    @property
    def target_points(self) -> int:
        """The points of the targets met (TARGET_POINTS), 0 to 100."""
        met = {"balance": self.balance_met, "customers": self.customers_met, "quality": self.quality_met}
        return sum(TARGET_POINTS[part] for part, done in met.items() if done)


@dataclass(frozen=True)
class RankedSubBranch:
    growth: SubBranchGrowth
    balance_rank: int
    customers_rank: int
    quality_rank: int
    score: Decimal
    position: int
    of: int
    last: bool


def competition_ranks(values: list[Decimal], *, higher_is_better: bool) -> list[int]:
    """1 for the best; equal values share the better rank (1, 2, 2, 4)."""
    return [1 + sum(1 for other in values if (other > v if higher_is_better else other < v)) for v in values]


def rank_class(members: list[SubBranchGrowth]) -> list[RankedSubBranch]:
    """Rank the sub-branches of one class of one branch; best first."""
    balance = competition_ranks([m.balance_growth for m in members], higher_is_better=True)
    customers = competition_ranks([Decimal(m.customers_growth) for m in members], higher_is_better=True)
    quality = competition_ranks([m.npl_ratio for m in members], higher_is_better=False)
    scored = [
        (
            WEIGHTS["balance"] * b + WEIGHTS["customers"] * c + WEIGHTS["quality"] * q,
            b,
            c,
            q,
            member,
        )
        for member, b, c, q in zip(members, balance, customers, quality, strict=True)
    ]
    scored.sort(key=lambda s: (-s[4].target_points, s[0], -s[4].balance_growth, -s[4].customers_growth, s[4].code))
    count = len(scored)
    return [
        RankedSubBranch(
            growth=member,
            balance_rank=b,
            customers_rank=c,
            quality_rank=q,
            score=score,
            position=position,
            of=count,
            last=position == count and count >= MIN_CLASS_FOR_DOWNGRADE,
        )
        for position, (score, b, c, q, member) in enumerate(scored, start=1)
    ]


def _class_key(klass: str) -> int:
    return CLASS_ORDER.index(klass) if klass in CLASS_ORDER else len(CLASS_ORDER)


def rank_sub_branches(growths: Iterable[SubBranchGrowth]) -> list[RankedSubBranch]:
    """Every sub-branch ranked within its branch and class; ordered by branch, class, position."""
    groups: dict[tuple[int, str], list[SubBranchGrowth]] = {}
    for growth in growths:
        groups.setdefault((growth.branch_id, growth.klass), []).append(growth)
    keys = sorted(groups, key=lambda key: (key[0], _class_key(key[1])))
    return [ranked for key in keys for ranked in rank_class(groups[key])]
