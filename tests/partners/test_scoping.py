from core.roles import Role
from partners.models import User
from partners.scoping import filter_by_subtree, visible_nodes
from tests.factories import make_user


def test_a_sub_branch_user_sees_only_his_subtree(org):
    user = make_user("sub", Role.BRANCH_MANAGER, org.sub_a)
    assert set(visible_nodes(user)) == {org.sub_a, org.outlet_a}


def test_the_branch_sees_everything_below_it(org):
    user = make_user("top", Role.BRANCH_MANAGER, org.branch)
    assert visible_nodes(user).count() == 5


def test_a_user_without_a_node_acts_at_the_branch_root_and_sees_its_subtree(org):
    user = make_user("nowhere", Role.ACCOUNT_MANAGER, None)
    assert set(visible_nodes(user)) == {org.branch, org.sub_a, org.sub_b, org.outlet_a, org.outlet_b}


def test_the_administrator_sees_everything(org):
    user = make_user("root", Role.ADMINISTRATOR, None)
    assert visible_nodes(user).count() == 5


def test_lists_filter_by_the_users_node_subtree(org):
    make_user("in_a", Role.ACCOUNT_MANAGER, org.outlet_a)
    make_user("in_b", Role.ACCOUNT_MANAGER, org.outlet_b)
    viewer = make_user("viewer", Role.BRANCH_MANAGER, org.sub_a)
    names = set(filter_by_subtree(User.objects.all(), viewer).values_list("username", flat=True))
    assert names == {"in_a", "viewer"}
