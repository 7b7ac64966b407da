from __future__ import annotations

import os
from importlib import import_module

import pytest
from rest_framework.test import APIClient

from core.roles import Role
from tests.factories import OrgTree, make_org_tree, make_user
from tests.samples import SampleFiles, sample_files_make

# Playwright's sync API runs an event loop in the test thread; Django's ORM
# then refuses to be called from it unless told that this is intended.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def pytest_configure(config: pytest.Config) -> None:
    """Processes the tests start (manage.py, runserver, a Celery worker) run on this session's key.

    With DATABASE_URL set and DEBUG off the settings refuse to start without SECRET_KEY; a child
    process started by a test inherits the key the session itself runs on.
    """
    from django.conf import settings

    os.environ.setdefault("SECRET_KEY", settings.SECRET_KEY)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The slow tests first, shared out among the xdist workers.

    ``--dist worksteal`` gives each worker an equal run of the collection to start with, and idle
    workers later take half of a busy one's queue. So every run starts with its share of the slow
    tests, which then never end the session alone on one worker while the others wait.
    """
    _restore_migration_data_after_transactional_tests(items)
    workers = max(1, int(getattr(config, "workerinput", {}).get("workercount", 1)))
    slow = [item for item in items if item.get_closest_marker("slow")]
    rest = [item for item in items if not item.get_closest_marker("slow")]
    runs: list[list[pytest.Item]] = [slow[worker::workers] for worker in range(workers)]
    for worker, run in enumerate(runs):
        share = len(items) // workers + (1 if worker < len(items) % workers else 0)
        taken = max(0, share - len(run))
        run.extend(rest[:taken])
        rest = rest[taken:]
    runs[-1].extend(rest)
    items[:] = [item for run in runs for item in run]


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    """Before a test of the database, the rows the data migrations wrote are there again if a transactional
    test's flush took them away.

    ``serialized_rollback`` reloads them only at the start of the next transactional test; a plain test that
    follows one on the same worker (the slow transactional ones are scheduled first) would find no branch
    root and no cross-selling products.
    """
    if item.get_closest_marker("django_db") is None and "db" not in getattr(item, "fixturenames", ()):
        return
    _migration_rows_restore(item.config)


def _migration_rows_restore(config: pytest.Config) -> None:
    """What serialized rollback itself reloads (the rows as migrate left them, with their ids), when they are
    missing; only once the worker's test database exists (before that the connection names no test database)."""
    from django.db import connections
    from pytest_django.plugin import blocking_manager_key

    from partners.models import OrgNode, Product

    seeding = import_module("partners.migrations.0003_seed_products")
    seeded_products = [code for code, _name, _position in seeding.PRODUCTS]

    for connection in connections.all():
        contents = getattr(connection, "_test_serialized_contents", None)
        if not contents:
            continue
        with config.stash[blocking_manager_key].unblock():
            seeded = Product.objects.filter(code__in=seeded_products).count() == len(seeded_products)
            if not (seeded and OrgNode.objects.filter(kind=OrgNode.Kind.BRANCH).exists()):
                connection.creation.deserialize_db_from_string(contents)


def _restore_migration_data_after_transactional_tests(items: list[pytest.Item]) -> None:
    """A transactional test empties every table at its end, the rows that migrations wrote among them
    (the branch root, the cross-selling products). With ``serialized_rollback`` they are put back, so a
    test that runs after it on the same worker finds the database as migrate left it."""
    for item in items:
        marker = item.get_closest_marker("django_db")
        if marker is not None and marker.kwargs.get("transaction") and "serialized_rollback" not in marker.kwargs:
            restoring = pytest.mark.django_db(*marker.args, **marker.kwargs, serialized_rollback=True)
            item.add_marker(restoring, append=False)


@pytest.fixture(scope="session")
def _media_folder(tmp_path_factory: pytest.TempPathFactory) -> object:
    return tmp_path_factory.mktemp("media")


@pytest.fixture(autouse=True)
def _media_root(settings: object, _media_folder: object) -> None:
    """Uploaded files go to a folder of the test session's own (one per xdist worker), not the project's."""
    settings.MEDIA_ROOT = str(_media_folder)  # type: ignore[attr-defined]


@pytest.fixture
def org(db: None) -> OrgTree:
    return make_org_tree()


@pytest.fixture
def users(org: OrgTree) -> dict[str, object]:
    return {
        "admin": make_user("admin", Role.ADMINISTRATOR, org.branch, is_superuser=True, is_staff=True),
        "leader": make_user("leader", Role.BRANCH_MANAGER, org.branch),
        "approver": make_user("approver", Role.RISK_APPROVER, org.branch),
        "approver2": make_user("approver2", Role.RISK_APPROVER, org.branch),
        "manager": make_user("manager", Role.ACCOUNT_MANAGER, org.outlet_a),
        "manager_b": make_user("manager_b", Role.ACCOUNT_MANAGER, org.outlet_b),
    }


@pytest.fixture
def api() -> APIClient:
    return APIClient()


def api_as(user: object) -> APIClient:
    client = APIClient()
    client.force_authenticate(user=user)  # type: ignore[arg-type]
    return client


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings: object) -> None:
    """Real hashing costs ~0.3 s per user; tests do not need its strength."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # type: ignore[attr-defined]


@pytest.fixture
def world(users: dict[str, object]) -> dict[str, object]:
    """A small lending world where no warning rule fires: each warning test then breaks one thing."""
    import datetime as dt
    from decimal import Decimal

    from origination.services.drawdown import loan_disburse
    from partners.services.anchors import assessment_add
    from postloan.models import PostDrawdownCheck
    from tests.factories import SOUND_BOOK_DAY, make_lending_world, make_trades

    program, farmer, limit = make_lending_world(users, on=SOUND_BOOK_DAY, amount="100000.00", margin="5000.00")
    loan = loan_disburse(credit_limit=limit, amount=Decimal("50000.00"), term_months=6, actor=users["manager"])
    for kind in PostDrawdownCheck.Kind.values:  # the checks are done unless a test says otherwise
        PostDrawdownCheck.objects.create(
            loan=loan, kind=kind, result="ok", done_on=SOUND_BOOK_DAY, actor=users["manager"]
        )
    # a quarterly review is on file and the anchor has steady orders
    assessment_add(
        anchor=program.anchor,
        actor=users["approver"],
        assessed_on=dt.date(2027, 3, 31),
        guarantee_capacity=Decimal("500000000"),
    )
    make_trades(
        program.anchor,
        farmer.id_number,
        [(SOUND_BOOK_DAY - dt.timedelta(days=d), "10000.00") for d in range(5, 400, 15)],
    )
    return {"program": program, "farmer": farmer, "limit": limit, "loan": loan, "users": users}


@pytest.fixture(scope="session")
def sample_files(tmp_path_factory: pytest.TempPathFactory) -> SampleFiles:
    """The sample farmer lists and provider files, made by samples/make_samples.py for this session."""
    return sample_files_make(tmp_path_factory.mktemp("samples"))
