"""What the benchmark scripts share: Django set-up, a throw-away database, timing, the bulk-load mode
and the few rows a lending book stands on.

Each script runs from the repository root as ``.venv/bin/python bench/<script>.py``; Python puts
``bench/`` first on the path, so ``import benchlib`` finds this module.
"""

from __future__ import annotations

import os
import resource
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]


def setup_django() -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()


def database_name(url: str) -> str:
    """The benchmark database's name; only a name containing "bench" may be dropped."""
    name = urlsplit(url).path.lstrip("/")
    if "bench" not in name:
        raise SystemExit(f"refusing to drop database {name!r}: its name must contain 'bench'")
    return name


def database_recreate(url: str, *, drop_only: bool = False) -> None:
    """Drop the benchmark database and (unless ``drop_only``) create it empty, via the postgres database."""
    import psycopg2
    from psycopg2 import sql as pgsql

    name = database_name(url)
    parts = urlsplit(url)
    admin = psycopg2.connect(
        host=parts.hostname or "127.0.0.1",
        port=parts.port or 5432,
        user=parts.username or "postgres",
        password=parts.password or None,
        dbname="postgres",
    )
    admin.autocommit = True
    try:
        with admin.cursor() as cursor:
            cursor.execute(pgsql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(pgsql.Identifier(name)))
            if not drop_only:
                cursor.execute(pgsql.SQL("CREATE DATABASE {}").format(pgsql.Identifier(name)))
    finally:
        admin.close()


# The broker of the benchmark's Celery workers: a Redis database of its own, emptied before each use.
DEFAULT_BROKER_URL = "redis://127.0.0.1:6379/12"


@contextmanager
def celery_workers(count: int, broker_url: str) -> Iterator[None]:
    """``count`` real Celery worker processes (one task at a time each) on the project's tasks, serving
    the database named in ``DATABASE_URL`` through ``broker_url``, until the block ends.

    The caller's own process must have been set up with the same ``CELERY_BROKER_URL``: otherwise its
    tasks run eagerly in process and the workers stay idle.
    """
    import subprocess

    import redis

    from config.celery import app

    redis.Redis.from_url(broker_url).flushdb()  # no task left over from an earlier run
    env = {**os.environ, "CELERY_BROKER_URL": broker_url}
    command = [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool=solo", "--concurrency=1"]
    command += ["--without-gossip", "--without-mingle", "--loglevel=WARNING"]
    workers = [
        subprocess.Popen([*command, "-n", f"bench{number}@%h"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL)
        for number in range(count)
    ]
    try:
        deadline = time.monotonic() + 60
        while len(app.control.ping(timeout=1.0) or []) < count:
            if time.monotonic() > deadline or any(worker.poll() is not None for worker in workers):
                raise SystemExit(f"the {count} Celery workers did not start (broker {broker_url})")
        yield
    finally:
        for worker in workers:
            worker.terminate()
        for worker in workers:
            worker.wait(timeout=60)


def peak_rss_mb() -> float:
    """This process's peak resident memory since it started its program.

    Linux keeps ``ru_maxrss`` across ``exec``, so a case's process started by a large parent would report
    the parent's peak; the kernel's ``VmHWM`` belongs to the program's own memory map.
    """
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024  # kilobytes
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kilobytes on Linux


def timed(func: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    result = func()
    return time.perf_counter() - start, result


def sql(statement: str, params: Any = ()) -> int:
    """Run one statement; always formatted, so a literal % is written %%."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        return int(cursor.rowcount)


@contextmanager
def bulk_load_mode(tables: list[str]) -> Iterator[None]:
    """Load the way a DBA would (benchmark only): FK triggers off, indexes and unique keys built after.

    The generated rows are consistent by construction. Foreign keys and check constraints stay
    declared (checks are enforced during the load); every index and unique constraint is back,
    built over the whole table, before anything is measured.
    """
    from django.db import connection

    indexes: list[str] = []
    uniques: list[tuple[str, str, str]] = []
    with connection.cursor() as cursor:
        cursor.execute("SET maintenance_work_mem = '1GB'")
        cursor.execute("SET session_replication_role = replica")
        for table in tables:
            cursor.execute(
                "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
                "WHERE conrelid = %s::regclass AND contype = 'u'",
                [table],
            )
            for name, definition in cursor.fetchall():
                cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
                uniques.append((table, name, definition))
            cursor.execute(
                "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) FROM pg_index i "
                "WHERE i.indrelid = %s::regclass AND NOT i.indisprimary "
                "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)",
                [table],
            )
            for name, definition in cursor.fetchall():
                cursor.execute(f"DROP INDEX {name}")
                indexes.append(definition)
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SET session_replication_role = DEFAULT")
            for table, name, definition in uniques:
                cursor.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
            for definition in indexes:
                cursor.execute(definition)
            cursor.execute("RESET maintenance_work_mem")


def best_of(runs: int, func: Callable[[], Any]) -> tuple[float, Any]:
    """The fastest of ``runs`` timed calls, and its result."""
    return min((timed(func) for _ in range(runs)), key=lambda r: r[0])


def database_settle(*, checkpoint: bool = True) -> float:
    """What a database that has run for a while has done: vacuumed, analysed (and checkpointed)."""
    from django.db import connection

    start = time.perf_counter()
    old = connection.get_autocommit()
    connection.set_autocommit(True)
    try:
        sql("VACUUM ANALYZE")
        if checkpoint:
            sql("CHECKPOINT")
    finally:
        connection.set_autocommit(old)
    return time.perf_counter() - start


# The programmes' rates: five, so that interest differs across programmes.
RATES = [Decimal("0.0435"), Decimal("0.0395"), Decimal("0.0475"), Decimal("0.0415"), Decimal("0.0455")]


@dataclass
class LendingWorld:
    """The rows a benchmark's book stands on, made through the real services (ids)."""

    approver_id: int
    manager_id: int  # the programmes' manager: the first outlet's account manager
    outlets: list[int]  # org node ids
    managers: list[int]  # the account manager of each outlet
    programs: list[int]  # ten: two per anchor
    anchors_of_program: list[int]
    rates: list[Decimal]  # of each programme


def lending_world_create(code: str, username: str, password: str, *, leader: bool = False) -> LendingWorld:
    """A branch (node codes beginning with ``code``), two sub-branches of two classes with two outlets
    each and an account manager per outlet (user names beginning with ``username``), a risk approver,
    and five approved anchors with two programmes each. ``leader``: a branch manager too."""
    from stdnum.cn import uscc

    from core.roles import Role
    from partners.models import OrgNode, User
    from partners.services.anchors import anchor_approve, anchor_create
    from partners.services.org import org_node_create, user_create
    from partners.services.programs import program_create

    branch = org_node_create(code=f"{code}B", name="成都分行", kind=OrgNode.Kind.BRANCH)
    if leader:
        user_create(username=f"{username}_leader", password=password, role=Role.BRANCH_MANAGER, org_node=branch)
    outlets, managers = [], []
    for number, klass in enumerate([OrgNode.SubBranchClass.PRIORITY, OrgNode.SubBranchClass.FOLLOW_UP]):
        sub = org_node_create(
            code=f"{code}S{number}",
            name=f"基准支行{number}",
            kind=OrgNode.Kind.SUB_BRANCH,
            parent=branch,
            sub_branch_class=klass,
        )
        for letter in "AB":
            outlet = org_node_create(
                code=f"{code}O{number}{letter}", name=f"基准网点{number}{letter}", kind=OrgNode.Kind.OUTLET, parent=sub
            )
            manager = user_create(
                username=f"{username}_manager_{number}{letter}",
                password=password,
                role=Role.ACCOUNT_MANAGER,
                org_node=outlet,
            )
            outlets.append(outlet.pk)
            managers.append(manager.pk)
    manager = User.objects.get(pk=managers[0])
    approver = user_create(username=f"{username}_approver", password=password, role=Role.RISK_APPROVER, org_node=branch)
    programs, anchors_of_program, rates = [], [], []
    for number in range(5):
        body = f"91510100{number:04d}2345MA"[:17]
        anchor = anchor_create(
            actor=manager,
            name=f"基准集团{number}",
            uscc=body + uscc.calc_check_digit(body),
            guarantee_capacity=Decimal("5000000000"),
            org_node=branch,
        )
        anchor = anchor_approve(anchor=anchor, actor=approver)
        for kind in ("生猪", "饲料"):
            program = program_create(
                actor=approver,
                anchor=anchor,
                name=f"基准集团{number}{kind}养殖贷",
                annual_rate=RATES[(2 * number + len(kind)) % len(RATES)],
                manager=manager,
                total_cap=Decimal("1000000000000"),  # a book of this size needs caps far above the default
            )
            programs.append(program.pk)
            anchors_of_program.append(anchor.pk)
            rates.append(program.annual_rate)
    return LendingWorld(approver.pk, manager.pk, outlets, managers, programs, anchors_of_program, rates)
