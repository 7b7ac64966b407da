"""The cross-selling dashboard's search by a full identity number is a use of personal data: only users
who may see identity numbers search by one, and every such search is logged like a reveal."""

import pytest
from django.core.cache import cache

from core.models import AuditEvent
from core.roles import Role
from tests.factories import make_farmer, make_user

URL = "/dashboards/cross-selling/"


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()


@pytest.fixture
def farmer(org):
    return make_farmer(org.outlet_a, name="胡磊涛")


def _searches():
    return AuditEvent.objects.filter(action="farmer_identity_search")


def test_a_branch_manager_may_not_search_by_a_full_identity_number(client, users, farmer):
    client.force_login(users["leader"])
    page = client.get(URL, {"q": farmer.id_number})
    assert page.status_code == 200
    said = [str(message) for message in page.context["messages"]]
    assert len(said) == 1, said
    assert "胡磊涛" not in page.content.decode()
    assert not _searches().exists()


def test_a_branch_manager_still_searches_by_name(client, users, farmer):
    client.force_login(users["leader"])
    page = client.get(URL, {"q": "胡磊"})
    assert "胡磊涛" in page.content.decode()
    assert not _searches().exists()


def test_a_search_by_a_full_number_is_logged_found_or_not(client, users, org, farmer):
    client.force_login(users["manager"])
    page = client.get(URL, {"q": farmer.id_number})
    assert "胡磊涛" in page.content.decode()
    found = _searches().get()
    assert (found.actor_id, found.object_type, found.object_id) == (
        users["manager"].pk,
        "partners.farmer",
        str(farmer.pk),
    )
    assert found.data["found"] == [farmer.pk]
    assert farmer.id_number not in str(found.data)  # the keyed hash and the masked number only
    # a number that is nobody's, or a farmer outside his subtree, is a search all the same
    other = make_farmer(org.outlet_b, body17="51018119680413303", name="马丽军")
    assert "马丽军" not in client.get(URL, {"q": other.id_number}).content.decode()
    assert _searches().count() == 2
    assert _searches().order_by("-id").first().data["found"] == []


def test_a_superuser_may_search_by_a_full_number_whatever_his_role(client, org, farmer):
    auditor = make_user("auditor", Role.BRANCH_MANAGER, org.branch, is_superuser=True)
    client.force_login(auditor)
    assert "胡磊涛" in client.get(URL, {"q": farmer.id_number}).content.decode()
    assert _searches().count() == 1
