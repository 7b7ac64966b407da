"""The warning list's page and its API filter through one selector: the same filters give the same rows."""

import datetime as dt
from urllib.parse import urlencode

import pytest

from postloan.models import RiskWarning, WarningRule
from postloan.warning_run import rules_ensure
from tests.conftest import api_as

RAISED = dt.date(2027, 6, 1)


@pytest.fixture
def listed(users, org):
    """Five warnings that differ in every filter: rule, status, severity, subject, node, assignee, escalation."""
    rules_ensure()

    def warning(code, subject_type, node, assignee=None, **extra):
        rule = WarningRule.objects.get(code=code)
        return RiskWarning.objects.create(
            rule=rule,
            subject_type=subject_type,
            subject_id=1,
            severity=rule.severity,
            org_node=node,
            assignee=assignee,
            raised_on=RAISED,
            deadline=RAISED + dt.timedelta(days=rule.deadline_days),
            **extra,
        )

    return {
        "interest": warning("INTEREST_OVERDUE", "loan", org.outlet_a, users["manager"]),
        "principal": warning("PRINCIPAL_OVERDUE", "loan", org.outlet_b, users["manager_b"], escalated=True),
        "orders": warning(
            "ORDERS_DROP",
            "farmer",
            org.outlet_a,
            users["manager"],
            status="closed",
            resolution="confirmed_risk",
            closed_on=RAISED,
            active=False,
        ),
        "margin": warning("MARGIN_SHORTFALL", "program", org.branch, users["approver"]),
        "anchor": warning("ANCHOR_ABNORMAL", "anchor", org.sub_a),
    }


def _page_rows(client, user, filters):
    client.force_login(user)
    response = client.get(f"/warnings/?{urlencode(filters)}")
    assert response.status_code == 200
    return {warning.pk for warning in response.context["page"].object_list}


def _api_rows(user, filters):
    response = api_as(user).get(f"/api/v1/warnings/?{urlencode(filters)}")
    assert response.status_code == 200, response.json()
    return {row["id"] for row in response.json()["results"]}


def test_the_page_and_the_api_list_the_same_warnings_for_the_same_filters(client, users, listed):
    ids = {name: warning.pk for name, warning in listed.items()}
    expected = [
        ({}, set(ids.values())),
        ({"rule": "INTEREST_OVERDUE"}, {ids["interest"]}),
        ({"status": "closed"}, {ids["orders"]}),
        ({"severity": "high"}, {ids["principal"], ids["margin"], ids["anchor"]}),
        ({"subject_type": "loan"}, {ids["interest"], ids["principal"]}),
        ({"branch": "SA"}, {ids["interest"], ids["orders"], ids["anchor"]}),
        ({"branch": "SB", "status": "open"}, {ids["principal"]}),
        ({"assignee": users["manager"].pk}, {ids["interest"], ids["orders"]}),
        ({"escalated": "true"}, {ids["principal"]}),
        ({"escalated": "false", "status": "open"}, {ids["interest"], ids["margin"], ids["anchor"]}),
        ({"rule": "ORDERS_DROP", "status": "open"}, set()),
    ]
    for filters, rows in expected:
        assert _api_rows(users["leader"], filters) == rows, filters
        assert _page_rows(client, users["leader"], filters) == rows, filters


def test_the_page_and_the_api_keep_to_the_viewers_scope_alike(client, users, listed):
    # an outlet's account manager sees his outlet's warnings only, filtered or not
    for filters in ({}, {"status": "open"}, {"branch": "SB"}):
        assert _page_rows(client, users["manager"], filters) == _api_rows(users["manager"], filters), filters
    assert _api_rows(users["manager"], {}) == {listed["interest"].pk, listed["orders"].pk}
