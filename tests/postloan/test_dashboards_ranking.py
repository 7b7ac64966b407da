"""The quarterly ranking of sub-branches within each class: a transparent score, the last of each class marked."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.cache import cache

from core.roles import Role
from partners.models import OrgNode
from partners.services.org import org_node_create
from postloan.dashboards.ranking import SubBranchGrowth, competition_ranks, rank_sub_branches
from postloan.dashboards.selectors import nearest_day, quarters_available, ranking_page
from postloan.models_dashboards import AggregateDay, DailyCrossSelling, DailyNodeFigures
from tests.factories import make_anchor, make_program, make_user

D = Decimal


@pytest.fixture(autouse=True)
def _fresh_cache():
    """The dashboards keep derived figures in the cache; every test starts from its own database."""
    cache.clear()


def _growth(code, klass="priority", *, start=0, end=0, customers=(0, 0), npl=0, branch=1):
    return SubBranchGrowth(
        node_id=hash(code) % 1000,
        code=code,
        name=code,
        klass=klass,
        branch_id=branch,
        outstanding_start=D(start),
        outstanding_end=D(end),
        customers_start=customers[0],
        customers_end=customers[1],
        npl_end=D(npl),
    )


def test_equal_figures_share_the_better_rank():
    assert competition_ranks([D(5), D(9), D(5), D(1)], higher_is_better=True) == [2, 1, 2, 4]
    assert competition_ranks([D("0.01"), D(0), D(0)], higher_is_better=False) == [3, 1, 1]


def test_the_score_weighs_the_three_ranks_and_the_last_of_each_class_is_marked():
    ranked = rank_sub_branches(
        [
            # priority: A grows most but lends badly, B grows steadily and cleanly, C shrinks
            _growth("A", start=100, end=300, customers=(10, 12), npl=20),
            _growth("B", start=100, end=200, customers=(10, 15), npl=0),
            _growth("C", start=100, end=90, customers=(10, 9), npl=0),
            # follow-up: D and E
            _growth("D", "follow_up", start=50, end=60, customers=(5, 6)),
            _growth("E", "follow_up", start=50, end=55, customers=(5, 6)),
            # specialty: only F — nobody to be compared with, so no downgrade
            _growth("F", "specialty", start=10, end=5),
        ]
    )
    table = [
        (r.growth.code, r.position, r.balance_rank, r.customers_rank, r.quality_rank, r.score, r.last) for r in ranked
    ]
    assert table == [
        ("B", 1, 2, 1, 1, D("1.4"), False),  # 0.4×2 + 0.3×1 + 0.3×1
        ("A", 2, 1, 2, 3, D("1.9"), False),
        ("C", 3, 3, 3, 1, D("2.4"), True),
        ("D", 1, 1, 1, 1, D("1.0"), False),
        ("E", 2, 2, 1, 1, D("1.4"), True),
        ("F", 1, 1, 1, 1, D("1.0"), False),
    ]


def test_equal_scores_go_by_the_balance_increase_then_the_code():
    ranked = rank_sub_branches(
        [
            _growth("X", start=0, end=100, customers=(0, 1)),
            _growth("Y", start=0, end=100, customers=(0, 1)),
            _growth("Z", start=0, end=50, customers=(0, 9)),
        ]
    )
    assert [(r.growth.code, r.score) for r in ranked] == [("X", D("1.3")), ("Y", D("1.3")), ("Z", D("1.8"))]
    assert [r.last for r in ranked] == [False, False, True]


def test_each_branch_ranks_its_own_sub_branches():
    ranked = rank_sub_branches([_growth("A", end=10), _growth("B", end=5), _growth("C", end=1, branch=2)])
    assert [(r.growth.code, r.position, r.of, r.last) for r in ranked] == [
        ("A", 1, 2, False),
        ("B", 2, 2, True),
        ("C", 1, 1, False),
    ]


def _figures(day, node, program, outstanding, npl=0, borrowers=0):
    AggregateDay.objects.get_or_create(day=day)
    DailyNodeFigures.objects.create(
        day=day, org_node=node, program=program, outstanding=D(outstanding), npl=D(npl), loans=borrowers
    )
    DailyCrossSelling.objects.create(day=day, org_node=node, borrowers=borrowers)


def test_the_ranking_compares_quarter_end_snapshots_and_falls_back_to_the_nearest_day(users, org):
    # given a second priority sub-branch, and figures on 2 April (start of Q2, none on 1 April), 1 July and today
    sub_c = org_node_create(
        code="SC", name="锦江支行", kind=OrgNode.Kind.SUB_BRANCH, parent=org.branch, sub_branch_class="priority"
    )
    outlet_c = org_node_create(code="OC", name="春熙网点", kind=OrgNode.Kind.OUTLET, parent=sub_c)
    program = make_program(make_anchor(users["manager"], approver=users["approver"]), users["approver"])
    start, end, today = dt.date(2027, 4, 2), dt.date(2027, 7, 1), dt.date(2027, 7, 20)
    for day, (a, b, c) in ((start, (100, 100, 100)), (end, (400, 150, 120)), (today, (900, 150, 100))):
        _figures(day, org.outlet_a, program, a * 10_000, borrowers=a // 10)
        _figures(day, org.outlet_b, program, b * 10_000, borrowers=b // 10)
        _figures(day, outlet_c, program, c * 10_000, npl=10_000 if day != start else 0, borrowers=c // 10)

    # when the leader of the branch opens the ranking without choosing a quarter
    page = ranking_page(users["leader"], None, today)

    # then the last full quarter is compared: 2 April (nearest to 1 April) with 1 July (the state at 30 June)
    assert [q.label for q in quarters_available()] == ["2027Q3", "2027Q2"]
    assert (page.quarter.label, page.start_day, page.end_day, page.complete) == ("2027Q2", start, end, True)
    rows = {r.growth.code: r for r in page.rows}
    assert (rows["SA"].growth.balance_growth, rows["SA"].position, rows["SA"].last) == (D(3_000_000), 1, False)
    assert (rows["SC"].growth.balance_growth, rows["SC"].position, rows["SC"].last) == (D(200_000), 2, True)
    assert (rows["SB"].position, rows["SB"].of, rows["SB"].last) == (1, 1, False)  # alone in its class
    # the quarter in progress runs to the latest figures
    current = ranking_page(users["leader"], "2027Q3", today)
    assert (current.start_day, current.end_day, current.complete) == (end, today, False)
    # 17 May is as near to 2 April as to 1 July: the earlier wins
    assert (nearest_day(dt.date(2027, 5, 17)), nearest_day(dt.date(2027, 5, 18))) == (start, end)


def test_a_sub_branch_leader_sees_his_own_row_with_its_place_in_the_class(users, org):
    program = make_program(make_anchor(users["manager"], approver=users["approver"]), users["approver"])
    _figures(dt.date(2027, 4, 1), org.outlet_a, program, 100)
    _figures(dt.date(2027, 7, 1), org.outlet_a, program, 200)
    page = ranking_page(make_user("leader_a", Role.BRANCH_MANAGER, org.sub_a), "2027Q2", dt.date(2027, 7, 5))
    assert [(r.growth.code, r.position, r.of) for r in page.rows] == [("SA", 1, 1)]
    manager_page = ranking_page(users["manager"], "2027Q2", dt.date(2027, 7, 5))  # an outlet holds no sub-branch
    assert manager_page.rows == []
