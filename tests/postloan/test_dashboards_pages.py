"""The dashboard pages: who may open them, what a sub-branch leader sees, the drill-down links and XLSX."""

import datetime as dt
import io
import re

import pytest
from django.core.cache import cache
from openpyxl import load_workbook

from core.roles import Role
from postloan.dashboards.aggregates import aggregates_write
from tests.factories import make_user
from tests.postloan.dashboard_book import DAY, hold, make_book, on, warning

NEXT = DAY + dt.timedelta(days=1)
PAGES = ("/dashboards/warnings/", "/dashboards/programmes/", "/dashboards/cross-selling/", "/dashboards/ranking/")


@pytest.fixture(autouse=True)
def _fresh_cache():
    """The dashboards keep derived figures in the cache; every test starts from its own database."""
    cache.clear()


@pytest.fixture
def dashboards(users, org):
    book = make_book(users, org)
    hold(book.farmer_a, "DEBIT_CARD", DAY - dt.timedelta(days=100))
    warning(org.outlet_a, raised_on=DAY - dt.timedelta(days=5), assignee=users["manager"], subject_id=book.loan_a.pk)
    warning(org.outlet_b, raised_on=DAY, assignee=users["manager_b"], subject_id=book.loan_b.pk)
    aggregates_write(NEXT)
    on(NEXT)
    return book


def _workbook(response):
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(response.content)).active
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def test_a_branch_manager_opens_every_dashboard(client, users, dashboards):
    client.force_login(users["leader"])
    for url in PAGES:
        page = client.get(url)
        assert page.status_code == 200, url
        assert b'data-chart="' in page.content, url
    assert client.get("/dashboards/").url == "/dashboards/warnings/"


def test_an_anchor_operator_may_not_open_the_dashboards(client, dashboards):
    client.force_login(make_user("anchor", Role.ANCHOR_OPERATOR, None))
    for url in PAGES:
        assert client.get(url).status_code == 403, url


def test_the_warning_dashboard_drills_down_to_the_filtered_list(client, users, org, dashboards):
    client.force_login(users["leader"])
    page = client.get("/dashboards/warnings/").content.decode()
    assert 'href="/warnings/?rule=INTEREST_OVERDUE&status=open"' in page
    assert 'href="/warnings/?branch=SA&status=open"' in page
    assert f'href="/warnings/?assignee={users["manager_b"].pk}&status=open"' in page
    # the list honours the account manager's filter
    listed = client.get(f"/warnings/?assignee={users['manager_b'].pk}&status=open").content.decode()
    assert len(re.findall(r'href="/warnings/\d+/"', listed)) == 1


def test_the_handled_figure_drills_down_to_the_warnings_closed_by_a_person_in_the_period(client, users, org):
    make_book(users, org)
    kinds = (("confirmed_risk", 11), ("false_alarm", 12), ("cleared", 13))
    for resolution, subject in kinds:  # closed on DAY; the warning run's own close is not "handled"
        warning(
            org.outlet_a, raised_on=DAY - dt.timedelta(days=4), closed_on=DAY, resolution=resolution, subject_id=subject
        )
    # closed by a person long before the dashboards' 90 days
    warning(
        org.outlet_a,
        raised_on=DAY - dt.timedelta(days=200),
        closed_on=DAY - dt.timedelta(days=190),
        resolution="confirmed_risk",
        subject_id=14,
    )
    aggregates_write(NEXT)
    on(NEXT)
    client.force_login(users["leader"])

    page = client.get("/dashboards/warnings/").content.decode()
    link = re.search(
        r'href="(/warnings/\?branch=SA&handled_since=[0-9-]+)"\s+data-testid="drill-branch-SA-handled">(\d+)<', page
    )
    assert link is not None and link.group(2) == "2"

    listed = client.get(link.group(1).replace("&amp;", "&")).content.decode()
    assert len(re.findall(r'href="/warnings/\d+/"', listed)) == 2
    assert 'data-testid="dashboard-filters"' in listed
    assert client.get("/warnings/?handled_since=yesterday").status_code == 200  # a bad date is ignored, said


def test_a_sub_branch_leader_sees_only_his_subtree_on_the_pages(client, org, dashboards):
    client.force_login(make_user("leader_a", Role.BRANCH_MANAGER, org.sub_a))
    warnings_page = client.get("/dashboards/warnings/").content.decode()
    assert "branch=SA" in warnings_page and "branch=SB" not in warnings_page
    ranking = client.get("/dashboards/ranking/").content.decode()
    assert 'data-testid="rank-SA"' in ranking and 'data-testid="rank-SB"' not in ranking


def test_every_table_exports_to_xlsx_with_chinese_headers(client, users, dashboards):
    client.force_login(users["leader"])
    by_rule = _workbook(client.get("/dashboards/warnings/?export=warnings-by-rule"))
    assert by_rule[0][:2] == ["规则", "待处置"] and len(by_rule) == 2
    by_branch = _workbook(client.get("/dashboards/warnings/?export=warnings-by-sub-branch"))
    assert by_branch[0][0] == "支行" and {row[0] for row in by_branch[1:]} == {"高新支行", "双流支行"}
    programs = _workbook(client.get("/dashboards/programmes/?export=programme-health"))
    assert programs[0][0] == "合作方案" and programs[1][4] == 80000
    selling = _workbook(client.get("/dashboards/cross-selling/?export=cross-selling-by-sub-branch"))
    assert selling[0][0] == "支行" and len(selling) == 4  # two sub-branches and the total
    ranking = _workbook(client.get("/dashboards/ranking/?export=ranking"))
    assert ranking[0][:2] == ["支行分类", "支行"] and len(ranking) == 3
    for name in ("warnings-by-severity", "warnings-by-account-manager", "warnings-trend"):
        assert len(_workbook(client.get(f"/dashboards/warnings/?export={name}"))) >= 2, name
    assert len(_workbook(client.get("/dashboards/cross-selling/?export=cross-selling-by-programme"))) == 2
    assert client.get("/dashboards/warnings/?export=nothing").status_code == 404
