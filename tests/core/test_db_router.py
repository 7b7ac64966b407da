"""Reads of the read-only pages from the replica (core/db_router.py), and everything else from the primary.

There is no streaming replica in the test suite (``make cluster-test`` runs one): the ``replica`` alias is a
second connection to the same test database (``TEST: {"MIRROR": "default"}``), added by the fixture below
for these tests only. A second connection sees only committed rows, so the tests that read through it are
transactional. Which alias ran a query is what ``CaptureQueriesContext`` on each connection shows.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest
from django.contrib.auth.models import Group
from django.contrib.sessions.models import Session
from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.template.response import TemplateResponse
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.views.generic import TemplateView
from rest_framework.authtoken.models import Token

from core.business_date import business_date_get
from core.db_router import (
    REPLICA,
    ReplicaReadsMixin,
    replica_read_current,
    replica_reads,
    replica_reads_block,
    replica_retry_reset,
)
from core.models import BusinessDate
from origination.models import CreditLimit, Loan
from partners.models import Farmer, User
from postloan.dashboards.aggregates import aggregates_write
from postloan.models import RiskWarning
from tests.postloan.dashboard_book import DAY, make_book, on, warning

AGE = re.compile(rb'data-replica-age-seconds="(\d+)"')
# The pages marked read-only (the dashboards, one of their XLSX exports, the lists), each with a table of the
# book it reads.
MARKED_PAGES = {
    "/dashboards/warnings/": "postloan_dailywarningfigures",
    "/dashboards/warnings/?export=warnings-by-rule": "postloan_aggregateday",
    "/dashboards/programmes/": "postloan_dailynodefigures",
    "/dashboards/cross-selling/": "postloan_dailycrossselling",
    "/dashboards/ranking/": "postloan_dailynodefigures",
    "/warnings/": "postloan_warning",
    "/loans/": "origination_loan",
    "/limits/": "origination_creditlimit",
    "/batches/": "origination_batch",
}
# Tables whose reads stay on the primary even on a marked page: signing in and the business date.
PRIMARY_TABLES = {"django_session", "partners_user", "core_businessdate", "django_content_type"}
TRANSACTIONAL = pytest.mark.django_db(transaction=True, databases=[DEFAULT_DB_ALIAS, REPLICA])


@pytest.fixture(scope="module")
def _replica_alias(django_db_setup: None, django_db_blocker: Any) -> Iterator[None]:
    """The ``replica`` alias as a second connection to the test database, for the tests of this module.

    Module-scoped so that it exists before the test case that lists it in ``databases`` is set up.
    """
    default = connections[DEFAULT_DB_ALIAS].settings_dict
    connections.settings[REPLICA] = {**default, "TEST": {**default["TEST"], "MIRROR": DEFAULT_DB_ALIAS}}
    try:
        yield
    finally:
        with django_db_blocker.unblock():
            connections[REPLICA].close()
        del connections[REPLICA]
        del connections.settings[REPLICA]


@pytest.fixture
def replica(_replica_alias: None, settings: Any) -> Iterator[BaseDatabaseWrapper]:
    """The replica's connection, with the router on, for one test."""
    settings.DATABASE_ROUTERS = ["core.db_router.ReplicaRouter"]
    replica_retry_reset()
    cache.clear()  # the dashboards keep figures in the cache; each test reads its own database
    yield connections[REPLICA]
    replica_retry_reset()


@pytest.fixture
def book(users: dict[str, User], org: Any) -> Any:
    """The dashboards' small book, with a warning and the day's aggregates, committed."""
    made = make_book(users, org)
    warning(org.outlet_a, raised_on=DAY, assignee=users["manager"], subject_id=made.loan_a.pk)
    aggregates_write(DAY)
    on(DAY)
    return made


def _tables(sql: str) -> list[str]:
    """The tables a statement reads, the one after FROM first."""
    return re.findall(r'(?:FROM|JOIN)\s+"(\w+)"', sql)


def _queries(connection: BaseDatabaseWrapper) -> CaptureQueriesContext:
    return CaptureQueriesContext(connection)


@TRANSACTIONAL
def test_a_marked_page_reads_the_book_from_the_replica_and_says_how_old_it_is(client, users, book, replica):
    client.force_login(users["leader"])
    for url, table in MARKED_PAGES.items():
        # when: the branch manager opens a read-only page
        with _queries(connections[DEFAULT_DB_ALIAS]) as primary, _queries(replica) as replicated:
            response = client.get(url)
        assert response.status_code == 200, url
        # then: the book came from the replica ...
        assert any(table in _tables(query["sql"]) for query in replicated.captured_queries), url
        # ... and the primary answered only what signs the user in and the business date
        for query in primary.captured_queries:
            first = _tables(query["sql"])[:1]
            assert not first or first[0] in PRIMARY_TABLES, (url, query["sql"])
        # and the page (not an export) says how far behind the replica was: a mirror is 0 s behind
        if "export=" in url:
            assert response["Content-Type"].startswith("application/vnd.openxmlformats"), url
        else:
            assert AGE.findall(response.content) == [b"0"], url
            assert "只读副本" in response.content.decode() or "read replica" in response.content.decode(), url


@TRANSACTIONAL
def test_other_pages_read_the_primary_and_say_nothing_of_an_age(client, users, book, replica):
    client.force_login(users["leader"])
    for url in ("/", f"/loans/{book.loan_a.pk}/", f"/limits/{book.loan_a.credit_limit_id}/", "/warnings/mine/"):
        with _queries(replica) as replicated:
            response = client.get(url)
        assert response.status_code == 200, url
        assert replicated.captured_queries == [], url
        assert not AGE.search(response.content), url


@TRANSACTIONAL
def test_in_a_marked_block_writes_transactions_and_sign_in_stay_on_the_primary(users, book, replica):
    primary = connections[DEFAULT_DB_ALIAS]
    Token.objects.create(user=users["leader"])
    Group.objects.create(name="readers").user_set.add(users["leader"])
    with replica_reads_block() as read:
        assert read is not None and read.age_seconds == 0
        # a plain read of the book: the replica
        with _queries(replica) as replicated, _queries(primary) as on_primary:
            loan = Loan.objects.get(pk=book.loan_a.pk)
            assert Farmer.objects.filter(pk=loan.farmer_id).exists()
            limit = loan.credit_limit
        assert len(replicated.captured_queries) == 3 and on_primary.captured_queries == []
        assert loan._state.db == REPLICA
        # sign-in and the day: the primary, whatever the mark says
        with _queries(replica) as replicated:
            user = User.objects.get(pk=users["leader"].pk)
            assert list(user.groups.values_list("name", flat=True)) == ["readers"]
            assert Token.objects.filter(user=user).exists()
            assert Session.objects.count() == 0
            assert BusinessDate.objects.get().date == DAY
            assert business_date_get() == DAY
            assert limit.approved_by.pk == users["approver"].pk  # a user reached from a replica's row
        assert replicated.captured_queries == []
        # writes: the primary, also of a row read from the replica
        with _queries(replica) as replicated, _queries(primary) as on_primary:
            loan.save(update_fields=["classification"])  # an object read from the replica
            Loan.objects.filter(pk=loan.pk).update(classification=Loan.Classification.NORMAL)
            CreditLimit.objects.filter(pk=limit.pk).update(amount=limit.amount)
        assert on_primary.captured_queries
        assert all(not q["sql"].startswith(("UPDATE", "INSERT")) for q in replicated.captured_queries)
        # inside a transaction every read is the primary's: a service sees what it is about to change
        with transaction.atomic(), _queries(replica) as replicated:
            assert Loan.objects.filter(pk=loan.pk).exists()
            assert RiskWarning.objects.count() == 1
            assert Loan.objects.select_for_update().get(pk=loan.pk).pk == loan.pk
        assert replicated.captured_queries == []
        # a block inside the block keeps its choice and does not ask the replica again
        with _queries(replica) as replicated, replica_reads_block() as inner:
            assert inner == read
        assert replicated.captured_queries == []
    # after the block: the primary
    with _queries(replica) as replicated:
        assert Loan.objects.filter(pk=book.loan_a.pk).exists()
    assert replicated.captured_queries == [] and replica_read_current() is None


@TRANSACTIONAL
def test_an_unreachable_or_lagging_replica_leaves_the_page_on_the_primary(client, users, book, replica, settings):
    client.force_login(users["leader"])
    name = replica.settings_dict["NAME"]
    # given: the replica does not answer (a database that does not exist)
    replica.close()
    replica.settings_dict["NAME"] = "scf_replica_nowhere"
    with _queries(connections[DEFAULT_DB_ALIAS]) as primary:
        response = client.get("/loans/")
    # then: the page is served from the primary and says nothing of an age
    assert response.status_code == 200
    assert not AGE.search(response.content)
    assert any("origination_loan" in _tables(q["sql"])[:1] for q in primary.captured_queries)
    # and while it stays given up, the replica is not asked, even once it is back
    replica.settings_dict["NAME"] = name
    with _queries(replica) as replicated:
        assert not AGE.search(client.get("/loans/").content)
    assert replicated.captured_queries == []
    # once the wait is over it is read again
    replica_retry_reset()
    assert AGE.findall(client.get("/loans/").content) == [b"0"]
    # a replica further behind than allowed is not read either
    settings.DATABASE_REPLICA_MAX_LAG = -1
    with _queries(replica) as replicated:
        response = client.get("/loans/")
    assert not AGE.search(response.content)
    assert len(replicated.captured_queries) == 1  # asked its age, and nothing else


@TRANSACTIONAL
def test_a_template_response_and_a_class_based_view_render_inside_the_mark(users, replica):
    request = RequestFactory().get("/")
    request.user = users["leader"]

    @replica_reads
    def page(request: Any) -> TemplateResponse:
        return TemplateResponse(request, "_replica_age.html", {})

    class Page(ReplicaReadsMixin, TemplateView):
        template_name = "_replica_age.html"

    for response in (page(request), Page.as_view()(request)):
        assert response.is_rendered  # type: ignore[attr-defined]
        assert AGE.findall(response.content) == [b"0"]


def _settings_of(env: dict[str, str], code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); from django.conf import settings; {code}"],
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_database_replica_url_adds_the_alias_and_the_router_and_a_malformed_one_stops_start_up():
    shown = _settings_of(
        {"DATABASE_REPLICA_URL": "postgres://reader:pw@replica.example:5433/scf"},
        "r = settings.DATABASES['replica']; "
        "print(r['HOST'], r['PORT'], r['NAME'], r['TEST']['MIRROR'], r['OPTIONS']['connect_timeout'], "
        "settings.DATABASE_REPLICA_MAX_LAG, *settings.DATABASE_ROUTERS)",
    )
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.split() == [
        "replica.example",
        "5433",
        "scf",
        "default",
        "3",
        "300",
        "core.db_router.ReplicaRouter",
    ]
    unset = _settings_of(
        {"DATABASE_REPLICA_URL": ""}, "print('replica' in settings.DATABASES, *settings.DATABASE_ROUTERS)"
    )
    assert unset.stdout.split() == ["False"], unset.stderr
    malformed = _settings_of({"DATABASE_REPLICA_URL": "mysql://replica/scf"}, "pass")
    assert malformed.returncode != 0 and "DATABASE_REPLICA_URL" in malformed.stderr
