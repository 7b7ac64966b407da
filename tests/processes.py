"""What a test needs to start a process of the application against the test run's database server."""

from __future__ import annotations

import subprocess
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


def redis_or_skip(url: str) -> None:
    """Skip the test when Redis does not answer at ``url``; on CI, where Redis must run, fail it."""
    import os

    import pytest
    import redis

    try:
        up = bool(redis.Redis.from_url(url, socket_connect_timeout=1).ping())
    except redis.RedisError:
        up = False
    if not up:
        if os.environ.get("CI"):
            pytest.fail(f"Redis is not reachable at {url}")
        pytest.skip("Redis is not running here")


def stop_and_read(process: subprocess.Popen[str]) -> str:
    """Stop a worker process (SIGTERM, then SIGKILL after 30 s) and return everything it printed."""
    process.terminate()
    try:
        output, _ = process.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        output, _ = process.communicate()
    return output
