"""An anchor operator is never shown the provider's verified figures: not in a warning's fact, not as the
programme's mismatch tolerance (he could tune his declared figures to them)."""

import datetime as dt

import pytest
from django.template import Context, Template
from django.test import RequestFactory
from django.utils.translation import gettext

from postloan.rules import PROVIDER_FACT_RULES
from postloan.services import warning_fact
from tests.conftest import api_as
from tests.factories import make_anchor, make_anchor_operator, make_program
from tests.postloan.dashboard_book import warning


def neutral() -> str:
    """The sentence in the active language (the catalogue translates it)."""
    return gettext("Please contact your account manager for details.")


@pytest.fixture
def operator(users):
    anchor = make_anchor(users["manager"], approver=users["approver"])
    program = make_program(anchor, users["approver"])
    clerk = make_anchor_operator("clerk", anchor)
    return clerk, program


def _warning(org, rule: str, fact: str):
    fired = warning(org.outlet_a, rule=rule, raised_on=dt.date(2027, 5, 3))
    fired.fact = fact
    fired.save()
    return fired


def test_the_orders_rules_are_the_providers_facts():
    assert {"ORDERS_DROP", "ORDERS_STOPPED"} <= PROVIDER_FACT_RULES
    assert "INTEREST_OVERDUE" not in PROVIDER_FACT_RULES


@pytest.mark.parametrize(("rule", "fact"), [("ORDERS_DROP", "8123.45"), ("ORDERS_STOPPED", "2027-02-11")])
def test_an_anchor_operator_reads_a_neutral_sentence_for_a_provider_fact(users, org, operator, rule, fact):
    fired = _warning(org, rule, fact)
    clerk, _ = operator
    assert warning_fact(fired, clerk) == neutral()
    assert warning_fact(fired, users["manager"]) == fact


def test_a_bank_fact_is_the_anchor_operators_to_read(org, operator):
    fired = _warning(org, "INTEREST_OVERDUE", "321.00")
    assert warning_fact(fired, operator[0]) == "321.00"


def test_pages_render_a_warnings_fact_through_the_viewer(users, org, operator):
    fired = _warning(org, "ORDERS_DROP", "8123.45")
    page = Template("{% load warning_facts %}{% warning_fact w as fact %}[{{ fact }}]")
    in_words = f"[{gettext('Orders last month')} {gettext('%(amount)s yuan') % {'amount': '8,123.45'}}]"
    for viewer, expected in ((operator[0], f"[{neutral()}]"), (users["manager"], in_words)):
        request = RequestFactory().get("/")
        request.user = viewer
        assert page.render(Context({"w": fired, "request": request})) == expected


def test_the_warning_api_shows_staff_the_providers_fact(users, org):
    fired = _warning(org, "ORDERS_DROP", "8123.45")
    client = api_as(users["manager"])
    assert client.get(f"/api/v1/warnings/{fired.pk}/").json()["fact"] == "8123.45"
    assert client.get("/api/v1/warnings/").json()["results"][0]["fact"] == "8123.45"


def test_an_anchor_operator_is_not_shown_the_mismatch_tolerance(users, operator):
    clerk, program = operator
    client = api_as(clerk)
    detail = client.get(f"/api/v1/programs/{program.pk}/")
    assert detail.status_code == 200
    assert "mismatch_tolerance" not in detail.json()
    assert "annual_rate" in detail.json()
    assert all("mismatch_tolerance" not in item for item in client.get("/api/v1/programs/").json()["results"])
    # bank staff still see it
    assert "mismatch_tolerance" in api_as(users["manager"]).get(f"/api/v1/programs/{program.pk}/").json()


def test_an_anchor_operators_program_page_has_no_tolerance(client, users, operator):
    clerk, program = operator
    client.force_login(clerk)
    page = client.get(f"/programs/{program.pk}/")
    assert page.status_code == 200
    assert 'data-param="mismatch_tolerance"' not in page.content.decode()
    assert 'data-param="annual_rate"' in page.content.decode()
    client.force_login(users["manager"])
    assert 'data-param="mismatch_tolerance"' in client.get(f"/programs/{program.pk}/").content.decode()
