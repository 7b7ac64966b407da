"""Targets per sub-branch and quarter (两增一控): set by the branch with their history, progress on the dashboards,
and the ranking's rule that targets met come first (40, 30 and 30 points)."""

import datetime as dt
import io
import itertools
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from core.business_date import business_date_set
from core.error_codes import ErrorCode
from core.errors import DomainError
from core.roles import Role
from network.models import SubBranchTarget, TargetChange
from network.services import target_set
from postloan.dashboards.ranking import TARGET_POINTS, SubBranchGrowth, rank_class, rank_sub_branches
from postloan.dashboards.selectors.targets import targets_page
from postloan.models_dashboards import AggregateDay, DailyCrossSelling, DailyNodeFigures
from tests.factories import make_anchor, make_program, make_user

D = Decimal


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()


def _growth(code, *, end=0, customers=0, npl=0, targets=None, klass="priority"):
    balance, borrowers, ceiling = targets or (None, None, None)
    return SubBranchGrowth(
        node_id=abs(hash(code)) % 10_000,
        code=code,
        name=code,
        klass=klass,
        branch_id=1,
        outstanding_start=D(0),
        outstanding_end=D(end),
        customers_start=0,
        customers_end=customers,
        npl_end=D(npl),
        target_balance=balance,
        target_customers=borrowers,
        npl_ceiling=ceiling,
    )


# --- the rule (pure) ---------------------------------------------------------------------------------------


def test_targets_met_earn_their_points_and_a_target_not_set_earns_nothing():
    met_all = _growth("A", end=100, customers=5, npl=1, targets=(D(100), 5, D("0.01")))
    assert (met_all.balance_met, met_all.customers_met, met_all.quality_met, met_all.target_points) == (
        True,
        True,
        True,
        100,
    )
    over_ceiling = _growth("B", end=100, customers=5, npl=2, targets=(D(100), 5, D("0.01")))
    assert (over_ceiling.quality_met, over_ceiling.target_points) == (False, 70)
    unset = _growth("C", end=100, customers=5)
    assert (unset.balance_met, unset.targets_set, unset.target_points) == (None, False, 0)
    assert sum(TARGET_POINTS.values()) == 100


def test_a_sub_branch_that_met_its_targets_ranks_above_a_better_ranked_one_that_missed():
    # A grows far more, but missed its borrowers target; B met all three
    a = _growth("A", end=1000, customers=1, targets=(D(500), 5, D("0.02")))
    b = _growth("B", end=100, customers=3, targets=(D(100), 3, D("0.02")))
    ranked = rank_class([a, b])
    assert [(r.growth.code, r.growth.target_points, r.score, r.last) for r in ranked] == [
        ("B", 100, D("1.4"), False),  # 0.4×2 + 0.3×1 + 0.3×1: the worse score, and yet first
        ("A", 70, D("1.3"), True),
    ]


growths = st.builds(
    lambda code, end, customers, npl_share, targets: _growth(
        code,
        end=end,
        customers=customers,
        npl=(D(end) * D(npl_share) / 100).quantize(D("0.01")),
        targets=targets,
    ),
    code=st.text(alphabet="ABCDEFGH", min_size=3, max_size=3),
    end=st.integers(min_value=0, max_value=10_000),
    customers=st.integers(min_value=-5, max_value=50),
    npl_share=st.integers(min_value=0, max_value=20),
    targets=st.one_of(
        st.none(),
        st.tuples(
            st.one_of(st.none(), st.integers(0, 10_000).map(D)),
            st.one_of(st.none(), st.integers(0, 50)),
            st.one_of(st.none(), st.integers(0, 20).map(lambda p: D(p) / 100)),
        ),
    ),
)


@settings(suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large], deadline=None)
@given(st.lists(growths, min_size=1, max_size=6, unique_by=lambda g: g.code))
def test_within_a_class_target_points_never_rise_and_equal_points_go_by_the_score(members):
    ranked = rank_class(members)
    assert sorted(r.growth.code for r in ranked) == sorted(m.code for m in members)
    assert [r.position for r in ranked] == list(range(1, len(members) + 1))
    for before, after in itertools.pairwise(ranked):
        assert before.growth.target_points >= after.growth.target_points
        if before.growth.target_points == after.growth.target_points:
            assert before.score <= after.score
    assert [r.last for r in ranked].count(True) == (1 if len(members) >= 2 else 0)
    assert ranked[-1].last == (len(members) >= 2)


@settings(suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large], deadline=None)
@given(st.lists(growths, min_size=1, max_size=6, unique_by=lambda g: g.code))
def test_without_targets_the_ranking_is_the_weighted_rank_score_alone(members):
    bare = [_growth(m.code, end=int(m.outstanding_end), customers=m.customers_end, npl=m.npl_end) for m in members]
    ranked = rank_sub_branches(bare)
    assert all(r.growth.target_points == 0 for r in ranked)
    scores = [r.score for r in ranked]
    assert scores == sorted(scores)


# --- the service ---------------------------------------------------------------------------------------------


def _set(org, actor, **values):
    arguments = {
        "node": org.sub_a,
        "quarter": "2027Q2",
        "balance_growth": D("3000000.00"),
        "borrowers_growth": 20,
        "npl_ceiling": D("0.0150"),
        "actor": actor,
        **values,
    }
    return target_set(**arguments)


def test_the_branch_sets_a_target_and_every_change_is_kept(users, org):
    business_date_set(new_date=dt.date(2027, 4, 1), backwards_allowed=True)
    target = _set(org, users["leader"])
    _set(org, users["admin"], borrowers_growth=25, reason="季度中调整")
    target.refresh_from_db()
    assert (target.borrowers_growth, target.set_by) == (25, users["admin"])
    changes = list(TargetChange.objects.filter(target=target).order_by("id").values_list("borrowers_growth", "reason"))
    assert changes == [(20, ""), (25, "季度中调整")]
    with pytest.raises(DomainError) as refused:
        _set(org, users["admin"], borrowers_growth=25)
    assert refused.value.code == ErrorCode.NO_CHANGE


@pytest.mark.parametrize(
    ("values", "code"),
    [
        ({"quarter": "2027-2"}, ErrorCode.INVALID_QUARTER),
        ({"balance_growth": D("-1")}, ErrorCode.INVALID_TARGET),
        ({"balance_growth": D("1.001")}, ErrorCode.INVALID_TARGET),
        ({"borrowers_growth": -3}, ErrorCode.INVALID_TARGET),
        ({"npl_ceiling": D("1.5")}, ErrorCode.INVALID_TARGET),
    ],
)
def test_a_bad_target_is_refused_and_nothing_is_written(users, org, values, code):
    with pytest.raises(DomainError) as refused:
        _set(org, users["leader"], **values)
    assert refused.value.code == code
    assert not SubBranchTarget.objects.exists() and not TargetChange.objects.exists()


def test_only_the_branch_sets_targets_and_only_for_sub_branches(users, org):
    leader_a = make_user("leader_a", Role.BRANCH_MANAGER, org.sub_a)
    for actor in (leader_a, users["manager"], users["approver"]):
        with pytest.raises(DomainError) as refused:
            _set(org, actor)
        assert refused.value.code == ErrorCode.PERMISSION_DENIED
    with pytest.raises(DomainError) as refused:
        _set(org, users["leader"], node=org.outlet_a)
    assert refused.value.code == ErrorCode.INVALID_KIND
    assert not SubBranchTarget.objects.exists()


# --- progress and the pages ----------------------------------------------------------------------------------


def _figures(day, node, program, outstanding, npl=0, borrowers=0):
    AggregateDay.objects.get_or_create(day=day)
    DailyNodeFigures.objects.create(
        day=day, org_node=node, program=program, outstanding=D(outstanding), npl=D(npl), loans=borrowers
    )
    DailyCrossSelling.objects.create(day=day, org_node=node, borrowers=borrowers)


@pytest.fixture
def quarter_book(users, org):
    """Q2 2027: SA grows 3,000,000 and 10 borrowers with a clean book; SB grows 500,000 with an NPL of 2 %."""
    program = make_program(make_anchor(users["manager"], approver=users["approver"]), users["approver"])
    start, end = dt.date(2027, 4, 1), dt.date(2027, 7, 1)
    _figures(start, org.outlet_a, program, 1_000_000, borrowers=10)
    _figures(start, org.outlet_b, program, 1_000_000, borrowers=10)
    _figures(end, org.outlet_a, program, 4_000_000, borrowers=20)
    _figures(end, org.outlet_b, program, 1_500_000, npl=30_000, borrowers=12)
    business_date_set(new_date=dt.date(2027, 7, 5), backwards_allowed=True)
    _set(org, users["leader"])  # SA: 3,000,000, 20 borrowers, 1.5 %
    _set(org, users["leader"], node=org.sub_b, balance_growth=D("400000"), borrowers_growth=2)
    return end


def test_progress_against_the_targets_comes_from_the_quarter_snapshots(users, org, quarter_book):
    page = targets_page(users["leader"], "2027Q2", dt.date(2027, 7, 5))
    rows = {r.row.growth.code: r for r in page.rows}
    sa, sb = rows["SA"].row.growth, rows["SB"].row.growth
    assert (sa.balance_met, sa.customers_met, sa.quality_met, sa.target_points) == (True, False, True, 70)
    assert (rows["SA"].balance_bar, rows["SA"].customers_bar) == (100, 50)  # 10 of 20 borrowers
    assert (sb.balance_met, sb.customers_met, sb.quality_met, sb.target_points) == (True, True, False, 70)
    assert (page.met_all, page.set_count) == (0, 2)


def test_the_targets_dashboard_shows_progress_and_exports_it(client, users, org, quarter_book):
    client.force_login(users["leader"])
    page = client.get(reverse("dashboard-targets"), {"quarter": "2027Q2"})
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-testid="points-SA">70<' in html and 'data-testid="not-met"' in html
    export = client.get(reverse("dashboard-targets"), {"quarter": "2027Q2", "export": "targets"})
    assert export.status_code == 200
    sheet = load_workbook(io.BytesIO(export.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert len(rows) == 3
    assert rows[1][0] == "高新支行" and rows[1][-1] == 70
    # the ranking shows the target points beside the weighted rank
    ranking = client.get(reverse("dashboard-ranking"), {"quarter": "2027Q2"}).content.decode()
    assert 'data-testid="target-points-SA">70<' in ranking


def test_the_targets_page_sets_a_target_and_shows_its_history(client, users, org):
    business_date_set(new_date=dt.date(2027, 4, 1), backwards_allowed=True)
    client.force_login(users["leader"])
    url = reverse("network-targets")
    assert client.get(url).status_code == 200
    answer = client.post(
        url,
        {
            "node": str(org.sub_b.pk),
            "quarter": "2027Q2",
            "balance_growth": "2000000",
            "borrowers_growth": "15",
            "npl_ceiling": "1.5",
        },
    )
    assert answer.status_code == 302
    target = SubBranchTarget.objects.get(org_node=org.sub_b, quarter="2027Q2")
    assert (target.balance_growth, target.borrowers_growth, target.npl_ceiling) == (D("2000000"), 15, D("0.015"))
    page = client.get(answer["Location"]).content.decode()
    assert 'data-testid="target-SB"' in page and "1.50%" in page
    # a sub-branch's leader reads the targets but cannot set them
    client.force_login(make_user("leader_b", Role.BRANCH_MANAGER, org.sub_b))
    assert 'data-testid="target-form"' not in client.get(url).content.decode()
    refused = client.post(
        url,
        {
            "node": str(org.sub_b.pk),
            "quarter": "2027Q2",
            "balance_growth": "1",
            "borrowers_growth": "1",
            "npl_ceiling": "1",
        },
    )
    assert refused.status_code == 200
    assert TargetChange.objects.count() == 1
    assert client.get(url, {"quarter": "bogus"}).status_code == 400
