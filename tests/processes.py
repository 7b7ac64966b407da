"""What a test needs to start a process of the application against the test run's database server."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from django.db import connection


def database_url(name: str | None = None) -> str:
    """``DATABASE_URL`` of the run's server: the test database, or the database ``name`` on it.

    The embedded server listens on a socket only: its directory is the host, quoted.
    """
    db: dict[str, Any] = connection.settings_dict
    credentials = quote(db["USER"], safe="") + (f":{quote(db['PASSWORD'], safe='')}" if db["PASSWORD"] else "")
    host = quote(db["HOST"] or "127.0.0.1", safe="")
    return f"postgres://{credentials}@{host}:{db['PORT'] or 5432}/{name or db['NAME']}"
