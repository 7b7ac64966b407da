"""The funnel on the dashboards: whitelisted → contacted → reached → drew by group and by SMS campaign, each
outlet's conversion over time, the chart's data and the XLSX exports; scoped to the viewer's subtree."""

import datetime as dt
import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from campaigns.models import Campaign, Message, SmsTemplate
from core.business_date import business_date_set
from core.roles import Role
from distribution.models import ListEntry, OutreachList, Stage
from postloan.dashboards.selectors.funnel import funnel_dashboard, periods_before
from tests.factories import make_farmer, make_user

pytestmark = pytest.mark.django_db
TODAY = dt.date(2027, 7, 20)
BODIES = ["51152119700819196", "51152119810203141", "51018119680413303", "51018119750101123"]


@pytest.fixture
def lists(users, org):
    business_date_set(new_date=TODAY, backwards_allowed=True)
    book = OutreachList.objects.create(
        name="经营快贷预授信名单",
        kind=OutreachList.Kind.PREAPPROVED,
        owner_node=org.branch,
        list_date=dt.date(2027, 5, 1),
        created_by=users["admin"],
    )
    # outlet A: three customers, one drew (joined in May) and one reached (June); outlet B: one contacted (June)
    plan = [
        (org.outlet_a, Stage.DREW, dt.date(2027, 5, 10)),
        (org.outlet_a, Stage.REACHED, dt.date(2027, 6, 3)),
        (org.outlet_a, Stage.WHITELISTED, dt.date(2027, 6, 4)),
        (org.outlet_b, Stage.CONTACTED, dt.date(2027, 6, 5)),
    ]
    farmers = []
    for index, (node, stage, added_on) in enumerate(plan):
        farmer = make_farmer(node, body17=BODIES[index][:17], name=f"客户{index}")
        farmers.append(farmer)
        ListEntry.objects.create(
            outreach_list=book,
            farmer=farmer,
            name=farmer.name,
            reference=f"R{index}",
            node=node,
            assignee=users["manager"] if node == org.outlet_a else users["manager_b"],
            stage=stage,
            added_on=added_on,
        )
    template = SmsTemplate.objects.create(name="夏季营销", body="{name}您好", created_by=users["admin"])
    campaign = Campaign.objects.create(
        name="七月短信", template=template, org_node=org.branch, created_by=users["admin"], status="done"
    )
    for index, (farmer, status) in enumerate(zip(farmers[:3], ["delivered", "sent", "opted_out"], strict=True)):
        Message.objects.create(
            campaign=campaign,
            farmer=farmer,
            phone="13900000000",
            text="您好",
            idempotency_key=f"k{index}",
            status=status,
        )
    return book


def test_the_funnel_counts_each_step_by_outlet_and_campaign(users, org, lists):
    board = funnel_dashboard(users["leader"], "node", "month", TODAY)
    assert (board.total.whitelisted, board.total.contacted, board.total.reached, board.total.drew) == (4, 3, 2, 1)
    by_outlet = {row.label: (row.whitelisted, row.contacted, row.reached, row.drew) for row in board.rows}
    assert by_outlet == {"天府网点": (3, 2, 2, 1), "东升网点": (1, 1, 0, 0)}
    # the campaign messaged two of them (the third opted out), one delivered; of those one reached and one drew
    [campaign] = board.campaigns
    assert (campaign.messaged, campaign.delivered, campaign.reached, campaign.drew) == (2, 1, 2, 1)
    # the conversion over time: May at outlet A, 1 of 1; June 0 of 2
    labels = [p.label for p in board.periods]
    assert labels == ["2027-02", "2027-03", "2027-04", "2027-05", "2027-06", "2027-07"]
    trend = dict(board.trend)
    assert [(c.whitelisted, c.drew) if c else None for c in trend["天府网点"]][3:5] == [(1, 1), (2, 0)]
    assert [p.label for p in periods_before(TODAY, "quarter")] == ["2026Q4", "2027Q1", "2027Q2", "2027Q3"]


def test_an_outlet_sees_only_its_own_funnel(users, org, lists):
    board = funnel_dashboard(users["manager_b"], "person", "quarter", TODAY)
    assert (board.total.whitelisted, board.total.drew) == (1, 0)
    assert [row.whitelisted for row in board.rows] == [1]


def test_the_funnel_page_draws_the_chart_and_exports_each_table(client, users, org, lists):
    client.force_login(users["leader"])
    page = client.get(reverse("dashboard-funnel"), {"by": "anchor", "period": "quarter"})
    assert page.status_code == 200
    html = page.content.decode()
    assert 'id="funnelChart"' in html and '"total": [4, 3, 2, 1]' in html
    assert 'data-testid="funnel-campaigns"' in html and "七月短信" in html
    for name, rows in (("funnel", 3), ("campaigns", 2), ("trend", 3)):  # the header and a row each
        export = client.get(reverse("dashboard-funnel"), {"export": name})
        assert export.status_code == 200
        assert len(list(load_workbook(io.BytesIO(export.content)).active.iter_rows())) == rows
    assert client.get(reverse("dashboard-funnel"), {"export": "nothing"}).status_code == 404
    # a bad grouping falls back to the outlets rather than failing
    assert client.get(reverse("dashboard-funnel"), {"by": "x" * 50}).status_code == 200
    anchor = make_user("anchor_op", Role.ANCHOR_OPERATOR, None)
    client.force_login(anchor)
    assert client.get(reverse("dashboard-funnel")).status_code == 403
