"""The demo's network piece: targets for every demo sub-branch, visits with actions (one overdue), training by level;
a second run changes nothing."""

import datetime as dt

import pytest

from core.business_date import business_date_set
from network.demo import demo_network_ensure
from network.models import OutletVisit, SubBranchTarget, TrainingSession, VisitAction
from postloan import demo

pytestmark = pytest.mark.django_db


def test_the_demo_seeds_targets_visits_and_training_once():
    demo.demo_org_tree_ensure()
    demo.demo_users_ensure()
    business_date_set(new_date=dt.date(2027, 7, 28), backwards_allowed=True)
    demo_network_ensure()
    demo_network_ensure()
    assert SubBranchTarget.objects.filter(quarter="2027Q1").count() == 6
    assert SubBranchTarget.objects.filter(quarter="2027Q2").count() == 6
    assert SubBranchTarget.objects.filter(quarter="2027Q3").count() == 6
    assert sorted(OutletVisit.objects.values_list("rating", flat=True)) == ["average", "good", "poor"]
    assert VisitAction.objects.filter(done_on__isnull=False).count() == 1
    assert VisitAction.objects.filter(done_on__isnull=True, due_on__lt=dt.date(2027, 7, 28)).exists()
    assert sorted(TrainingSession.objects.values_list("level", flat=True)) == ["branch", "outlet", "sub_branch"]
