"""The home page of each role: every count is the number of rows of the list its card links to."""

from __future__ import annotations

import datetime as dt
import html
import itertools
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from core.models import StoredFile
from core.roles import Role
from origination.figures import NPL_CLASS_VALUES
from origination.models import Batch, Loan
from partners.models import Program
from tests.factories import make_anchor, make_anchor_operator, make_program, make_user
from tests.postloan.dashboard_book import DAY, Book, make_book, warning

_files = itertools.count(1)


def _batch(program: Program, status: str, user: object) -> Batch:
    n = next(_files)
    stored = StoredFile.objects.create(sha256=f"{n:064x}", name="list.csv", size=1, content="list.csv")
    return Batch.objects.create(
        program=program,
        status=status,
        submitted_on=DAY,
        farmer_list=stored,
        farmer_list_sha256=f"{n:064x}",
        uploaded_by=user,
    )


@pytest.fixture
def book(users, org) -> Book:  # type: ignore[no-untyped-def]
    """The dashboards' small book, and around it work for every role, some of it out of each one's reach."""
    book = make_book(users, org)
    # a second anchor managed at outlet B, out of the outlet-A manager's reach
    other = make_anchor(users["manager_b"], org.outlet_b, approver=users["approver"], name="新希望")
    other_program = make_program(other, users["approver"])
    make_anchor(users["manager"], name="待批企业")  # pending approval
    suspended = make_program(other, users["approver"])
    Program.objects.filter(pk=suspended.pk).update(status=Program.Status.SUSPENDED, name="暂停方案")
    for status in ("uploaded", "validated", "processed", "processed", "submitted", "approved"):
        _batch(book.program, status, users["manager"])
    for status in ("validated", "submitted", "rejected"):
        _batch(other_program, status, users["manager_b"])
    # the outlet-A manager's loan A is overdue as well
    Loan.objects.filter(pk=book.loan_a.pk).update(oldest_due_date=DAY - dt.timedelta(days=5))
    manager, manager_b = users["manager"], users["manager_b"]
    warning(org.outlet_a, raised_on=DAY - dt.timedelta(days=3), deadline_days=3, assignee=manager)  # due today
    warning(org.outlet_a, raised_on=DAY - dt.timedelta(days=10), assignee=manager, subject_id=2)  # overdue
    warning(org.outlet_a, raised_on=DAY, assignee=manager, subject_id=3)  # due in 3 days
    warning(
        org.outlet_a,
        raised_on=DAY - dt.timedelta(days=10),
        assignee=manager,
        subject_id=4,
        closed_on=DAY - dt.timedelta(days=1),
        resolution="resolved",
    )
    warning(org.outlet_b, raised_on=DAY - dt.timedelta(days=10), assignee=manager_b, subject_id=5)
    book.other_program = other_program  # type: ignore[attr-defined]
    return book


def _rows(client, url: str) -> int:  # type: ignore[no-untyped-def]
    """How many rows the list at ``url`` shows (over all its pages)."""
    response = client.get(url)
    assert response.status_code == 200, url
    if "page" in response.context:
        return int(response.context["page"].paginator.count)
    return len(response.context["rows"])  # the programme list


def _home(client, user):  # type: ignore[no-untyped-def]
    client.force_login(user)
    response = client.get(reverse("home"))
    assert response.status_code == 200
    return response, response.context["home"]


def _counts_follow_their_links(client, response, cards) -> dict[str, int]:  # type: ignore[no-untyped-def]
    page = response.content.decode()
    counts = {}
    for card in cards:
        assert html.escape(card.url) in page, card.key  # the card links there
        if card.kind == "count":
            assert card.value == _rows(client, card.url), card.key
            counts[card.key] = card.value
    return counts


def test_an_account_manager_lands_on_his_batches_warnings_and_overdue_loans(client, users, book):
    response, home = _home(client, users["manager"])
    counts = _counts_follow_their_links(client, response, home.cards)
    # his programme's validated and two processed batches, not the other anchor's validated one
    assert counts == {"batches-to-review": 3, "warnings-due": 2, "warnings-overdue": 1, "loans-overdue": 1}


def test_the_other_outlets_manager_sees_his_own_work(client, users, book):
    response, home = _home(client, users["manager_b"])
    counts = _counts_follow_their_links(client, response, home.cards)
    assert counts == {"batches-to-review": 1, "warnings-due": 1, "warnings-overdue": 1, "loans-overdue": 1}


def test_a_risk_approver_lands_on_his_queue(client, users, book):
    response, home = _home(client, users["approver"])
    counts = _counts_follow_their_links(client, response, home.cards)
    assert counts == {"batches-submitted": 2, "anchors-pending": 1, "programs-suspended": 1}


@pytest.mark.parametrize("node", ["branch", "sub_a"])
def test_a_branch_manager_sees_the_headline_figures_of_his_subtree(client, users, org, book, node):
    leader = users["leader"] if node == "branch" else make_user("leader_a", Role.BRANCH_MANAGER, org.sub_a)
    response, home = _home(client, leader)
    counts = _counts_follow_their_links(client, response, home.cards)
    cards = {card.key: card for card in home.cards}
    # the figures are those of the loans the outstanding card's list shows
    listed = client.get(cards["outstanding"].url).context["page"].paginator.object_list
    outstanding = sum((loan.principal_outstanding for loan in listed), Decimal(0))
    npl = sum((loan.principal_outstanding for loan in listed if loan.classification in NPL_CLASS_VALUES), Decimal(0))
    assert cards["outstanding"].value == outstanding
    assert cards["npl-ratio"].value == (npl / outstanding).quantize(Decimal("0.000001"))
    if node == "branch":
        assert outstanding == Decimal("80000.00") and npl == Decimal("30000.00")
        assert counts == {"warnings-open": 4, "warnings-overdue": 2}
    else:  # sub-branch A: loan A only, and outlet A's warnings
        assert outstanding == Decimal("50000.00") and npl == 0
        assert counts == {"warnings-open": 3, "warnings-overdue": 1}
    assert f"{outstanding:,.2f}" in response.content.decode()


def test_an_anchor_operator_sees_his_batches_limits_and_margin_only(client, users, book):
    operator = make_anchor_operator("anchor", book.program.anchor)
    response, home = _home(client, operator)
    assert home.cards == []
    counts = _counts_follow_their_links(client, response, home.batches)
    assert counts == {
        "batches-uploaded": 1,
        "batches-validated": 1,
        "batches-processed": 2,
        "batches-submitted": 1,
        "batches-approved": 1,
        "batches-rejected": 0,  # the other anchor's rejected batch is not his
    }
    assert [row.program for row in home.programs] == [book.program]
    figures = home.programs[0].figures
    # loans A and B outstanding on his programme (C is paid off); 50,000 of margin deposited
    assert figures.outstanding_principal == Decimal("80000.00")
    assert figures.margin_balance == Decimal("50000.00")
    page = response.content.decode()
    assert reverse("program-detail", args=[book.program.pk]) in page
    assert reverse("program-detail", args=[book.other_program.pk]) not in page
    assert book.other_program.name not in page and "暂停方案" not in page
    assert book.program.anchor.name in page and "新希望" not in page


def test_an_administrator_lands_on_the_admin(client, users, book):
    response, home = _home(client, users["admin"])
    assert home.cards == []
    for _label, url in home.admin_links:
        assert html.escape(url) in response.content.decode()
        assert client.get(url).status_code == 200


def _queries(client, user) -> int:  # type: ignore[no-untyped-def]
    client.force_login(user)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse("home")).status_code == 200
    return len(queries)


@pytest.mark.parametrize("role", ["manager", "approver", "leader", "anchor"])
def test_the_home_page_reads_a_bounded_number_of_queries(client, users, book, role):
    user = make_anchor_operator("anchor", book.program.anchor) if role == "anchor" else users[role]
    before = _queries(client, user)
    for n in range(3):  # more programmes, batches and warnings: not one more query
        program = make_program(book.program.anchor, users["approver"])
        for status in Batch.Status.values:
            _batch(program, status, users["manager"])
        warning(
            book.farmer_a.org_node, raised_on=DAY - dt.timedelta(days=9), assignee=users["manager"], subject_id=10 + n
        )
    assert _queries(client, user) == before
    # The anchor operator's window adds its batches' decisions, limits held, demands, payments and statements.
    assert before <= (17 if role == "anchor" else 15)
