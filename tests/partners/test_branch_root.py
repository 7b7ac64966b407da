"""The branch root that migrate makes, where users without a node act, and anchors registered there."""

import importlib

import pytest
from django.apps import apps

from core.errors import DomainError
from core.roles import Role
from partners.models import Anchor, OrgNode
from partners.scoping import home_node, visible_anchors
from partners.selectors import org_root
from partners.services.anchors import anchor_create
from tests.conftest import api_as
from tests.factories import make_anchor, make_user, uscc_with_check

root_migration = importlib.import_module("partners.migrations.0005_branch_root_from_settings")

ANCHOR = {"name": "特驱集团", "uscc": uscc_with_check("91510100MA6CX0002"), "guarantee_capacity": "500000000.00"}


def test_the_root_migration_names_the_root_from_the_settings(db, settings):
    # The migrated test database had it too, but a transactional test run before on the same worker
    # empties the tables; the fresh-install test (tests/test_contract_fresh_install.py) migrates a
    # database of its own and checks the root there through the API.
    OrgNode.objects.all().delete()
    root_migration.create_root(apps, None)
    root = org_root()
    assert root is not None
    assert (root.code, root.name, root.kind, root.path) == (
        settings.BRANCH_CODE,
        settings.BRANCH_NAME,
        "branch",
        f"{settings.BRANCH_CODE}/",
    )


def test_the_root_migration_makes_the_root_only_when_no_branch_exists(db, settings):
    OrgNode.objects.all().delete()
    settings.BRANCH_CODE, settings.BRANCH_NAME = "SC", "四川分行"
    root_migration.create_root(apps, None)
    root_migration.create_root(apps, None)
    assert list(OrgNode.objects.values_list("code", "name", "path")) == [("SC", "四川分行", "SC/")]


def test_a_superuser_without_a_node_acts_at_the_root(org):
    admin = make_user("su", Role.ACCOUNT_MANAGER, None, is_superuser=True, is_staff=True)
    assert home_node(admin) == org.branch


def test_a_user_without_a_node_sees_the_anchors_of_the_roots_subtree(org, users):
    anchor = make_anchor(users["manager_b"], org.sub_b, name="乙企业")
    nobody = make_user("nobody", Role.BRANCH_MANAGER, None)
    assert list(visible_anchors(nobody)) == [anchor]


def test_an_anchor_operator_without_a_node_still_sees_only_his_enterprise(org, users):
    make_anchor(users["manager_b"], org.sub_b, name="乙企业")
    operator = make_user("clerk", Role.ANCHOR_OPERATOR, None)
    assert not visible_anchors(operator).exists()


def test_a_superuser_without_a_node_registers_an_anchor_with_the_three_contract_fields_at_the_root(org):
    admin = make_user("su", Role.ADMINISTRATOR, None, is_superuser=True, is_staff=True)
    response = api_as(admin).post("/api/v1/anchors/", ANCHOR, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["status"] == "pending"
    assert response.json()["org_node"] == org.branch.pk


def test_an_anchor_is_managed_by_the_users_own_node_unless_another_is_given(users, org):
    client = api_as(users["manager"])
    mine = client.post("/api/v1/anchors/", ANCHOR, format="json").json()
    other = {**ANCHOR, "uscc": uscc_with_check("91510100MA6CX0003"), "org_node": org.sub_a.pk}
    above = client.post("/api/v1/anchors/", other, format="json")
    assert mine["org_node"] == org.outlet_a.pk
    assert above.status_code == 201, above.json()
    assert above.json()["org_node"] == org.sub_a.pk


def test_a_node_out_of_the_users_reach_is_refused_like_one_that_does_not_exist(users, org):
    client = api_as(users["manager"])
    elsewhere = client.post("/api/v1/anchors/", {**ANCHOR, "org_node": org.outlet_b.pk}, format="json")
    missing = client.post("/api/v1/anchors/", {**ANCHOR, "org_node": 999_999}, format="json")
    assert elsewhere.status_code == missing.status_code == 404
    assert elsewhere.json()["code"] == missing.json()["code"] == "not_found"
    assert elsewhere.json() == missing.json()
    assert not Anchor.objects.exists()


def test_the_service_refuses_a_node_out_of_reach_as_not_found(users, org):
    from decimal import Decimal

    with pytest.raises(DomainError) as refused:
        anchor_create(
            actor=users["manager"],
            name="乙企业",
            uscc=ANCHOR["uscc"],
            guarantee_capacity=Decimal("1.00"),
            org_node=org.outlet_b,
        )
    assert (refused.value.code, refused.value.status) == ("not_found", 404)
    assert not Anchor.objects.exists()
