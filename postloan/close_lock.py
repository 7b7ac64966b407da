"""One close of business at a time, whatever number of beats, workers or typed commands start one.

The lock is a PostgreSQL session advisory lock taken on the default connection by whoever runs the close:
the database holds it, not a process's memory, so two machines see the same lock, and a coordinator that
dies (its connection gone) releases it at once. PostgreSQL stacks a session's advisory locks, so a close
that takes the lock inside a run that already holds it (``close_business_days`` calling ``close_day``)
simply takes it once more and gives it back.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import DatabaseError, connection
from django.utils.translation import gettext as _

from core.error_codes import ErrorCode
from core.errors import DomainError

# A fixed bigint key of the close's lock ("COB" and a day-independent tag): one lock for every day.
CLOSE_LOCK_KEY = 0x434F42_0000_0001


@contextmanager
def close_lock() -> Iterator[None]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [CLOSE_LOCK_KEY])
        (acquired,) = cursor.fetchone()
    if not acquired:
        raise DomainError(
            ErrorCode.CLOSE_RUNNING,
            _("Another close of business is running; this one did not start. Follow it on the operations console."),
        )
    try:
        yield
    finally:
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [CLOSE_LOCK_KEY])
        except DatabaseError:
            pass  # the connection is gone, and the lock with it: keep the error that brought us here


def close_running_elsewhere() -> bool:
    """Whether some session holds the close's lock (the console's view; it takes nothing)."""
    with connection.cursor() as cursor:
        cursor.execute(
            # Advisory locks belong to one database: another database's close (a test's, a bench's) is not ours.
            "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted"
            " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
            " AND ((classid::bigint << 32) | objid::bigint) = %s AND objsubid = 1)",
            [CLOSE_LOCK_KEY],
        )
        (held,) = cursor.fetchone()
    return bool(held)
