"""What the benchmark scripts share: Django set-up, a throw-away database, timing and the bulk-load mode.

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


def peak_rss_mb() -> float:
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
