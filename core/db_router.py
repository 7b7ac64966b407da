"""Reads of the read-only pages from a PostgreSQL streaming replica (``DATABASE_REPLICA_URL``).

Nothing reads from the replica unless it was asked to: a page (or any block of code) marks itself with
``replica_reads`` (a view decorator), ``ReplicaReadsMixin`` (a class-based view) or the context manager
``replica_reads_block``. Inside that mark, and only there, ``ReplicaRouter`` sends the ORM's reads to the
``replica`` alias. The mark is a context variable, so it belongs to one request (one thread or one task) and
ends with it. Even inside the mark these stay on the primary (``default``):

- every write, and every read made for a write (``select_for_update``, ``get_or_create``);
- every read while the primary's connection is inside an atomic block (a service reading what it is
  about to change must see the primary, and the rows it wrote itself);
- the models of signing in and of the day: users, groups and permissions, sessions, API tokens, the
  lockout records (axes), content types, the admin's log and the business date. A session or a user
  read a moment behind would sign somebody out or let a locked-out user in; the business date must be
  the one the close has just moved.

Raw SQL through ``django.db.connection`` is the primary's, as always.

When the mark opens, the replica is asked how far behind it is (``now() - pg_last_xact_replay_timestamp()``,
0 when it has replayed all it received); the page shows that age (``replica_context``). When the replica
does not answer, or is further behind than ``DATABASE_REPLICA_MAX_LAG`` seconds, the page reads the primary
instead, says nothing of an age, and the replica is not asked again in this process for
``RETRY_AFTER_SECONDS``: a replica that is down costs one failed connection a while, not one per page.
"""

from __future__ import annotations

import functools
import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, ParamSpec

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections
from django.db.models import Model
from django.http import HttpRequest, HttpResponseBase
from django.template.response import SimpleTemplateResponse

REPLICA = "replica"
# Seconds during which a replica that failed its check is not asked again (per process).
RETRY_AFTER_SECONDS = 30.0
# Apps whose every model stays on the primary (signing in, sessions, lockouts, tokens, the admin's log).
PRIMARY_APPS = frozenset({"auth", "contenttypes", "sessions", "axes", "authtoken", "admin"})
# Single models of ours that stay on the primary: the user (AUTH_USER_MODEL) and the business date.
PRIMARY_MODELS = frozenset({settings.AUTH_USER_MODEL.lower(), "core.businessdate"})

# How far behind the replica is, in whole seconds, 0 when it has replayed every WAL record it received.
# A server that is not a standby (pg_is_in_recovery() false: a test's mirror, or a URL naming the primary)
# has nothing to replay. Clocks a little apart never make a negative age.
AGE_SQL = """
SELECT CASE
    WHEN NOT pg_is_in_recovery() THEN 0
    WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0
    ELSE GREATEST(0, COALESCE(FLOOR(EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp())), 0))::integer
END
"""

logger = logging.getLogger(__name__)
P = ParamSpec("P")


@dataclass(frozen=True)
class ReplicaRead:
    """A block marked read-only whose reads go to the replica, which was ``age_seconds`` behind when it opened."""

    age_seconds: int


# The open mark: None outside any mark, and inside a mark whose replica was unavailable (reads on the primary).
_current: ContextVar[ReplicaRead | None] = ContextVar("replica_read", default=None)
_marked: ContextVar[bool] = ContextVar("replica_marked", default=False)
_unavailable_until = 0.0
_unavailable_lock = threading.Lock()


def replica_configured() -> bool:
    """Whether a ``replica`` database alias exists (``DATABASE_REPLICA_URL`` set, or a test's mirror)."""
    return REPLICA in connections.settings


def replica_read_current() -> ReplicaRead | None:
    """The replica read of the running block, None when this block reads the primary."""
    return _current.get()


def replica_retry_reset() -> None:
    """Forget that the replica failed: the next mark asks it again (tests; an operator's shell)."""
    global _unavailable_until
    with _unavailable_lock:
        _unavailable_until = 0.0


def replica_age_seconds() -> int | None:
    """Ask the replica how far behind it is; None when it does not answer (it is then left alone a while)."""
    global _unavailable_until
    if time.monotonic() < _unavailable_until:
        return None
    replica = connections[REPLICA]
    try:
        with replica.cursor() as cursor:
            cursor.execute(AGE_SQL)
            row = cursor.fetchone()
    except DatabaseError as exc:
        logger.warning("Replica unavailable, pages read the primary for %s s: %s", RETRY_AFTER_SECONDS, exc)
        replica.close()  # a broken connection is opened anew at the next check
        with _unavailable_lock:
            _unavailable_until = time.monotonic() + RETRY_AFTER_SECONDS
        return None
    return int(row[0]) if row and row[0] is not None else 0


@contextmanager
def replica_reads_block() -> Iterator[ReplicaRead | None]:
    """Within this block, reads that may (see the module) go to the replica; yields the replica read or None.

    None when no replica is configured, when it does not answer or lags more than allowed: the block then
    reads the primary. A block inside another keeps the outer one's choice.
    """
    if _marked.get() or not replica_configured():
        yield _current.get()
        return
    age = replica_age_seconds()
    max_lag = getattr(settings, "DATABASE_REPLICA_MAX_LAG", None)
    if age is not None and max_lag is not None and age > max_lag:
        logger.warning("Replica %s s behind (more than %s s): this page reads the primary", age, max_lag)
        age = None
    marked = _marked.set(True)
    current = _current.set(None if age is None else ReplicaRead(age_seconds=age))
    try:
        yield _current.get()
    finally:
        _current.reset(current)
        _marked.reset(marked)


def replica_reads(view: Callable[P, HttpResponseBase]) -> Callable[P, HttpResponseBase]:
    """A read-only page: its reads go to the replica when one is configured and answers.

    A template response is rendered inside the mark, so that what the template reads comes from the same
    database as what the view read, and the page can say how old it is.
    """

    @functools.wraps(view)
    def wrapped(*args: P.args, **kwargs: P.kwargs) -> HttpResponseBase:
        with replica_reads_block():
            response = view(*args, **kwargs)
            if isinstance(response, SimpleTemplateResponse) and not response.is_rendered:
                response.render()
            return response

    return wrapped


class ReplicaReadsMixin:
    """``replica_reads`` for a class-based view (put it first among the bases)."""

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        dispatch = super().dispatch  # type: ignore[misc]
        return replica_reads(dispatch)(request, *args, **kwargs)


def _stays_on_primary(model: type[Model]) -> bool:
    meta = model._meta
    if meta.app_label in PRIMARY_APPS or meta.label_lower in PRIMARY_MODELS:
        return True
    # The tables of a user's groups and permissions that the user model made for itself.
    owner = meta.auto_created
    return isinstance(owner, type) and owner._meta.label_lower in PRIMARY_MODELS


class ReplicaRouter:
    """``DATABASE_ROUTERS`` entry when ``DATABASE_REPLICA_URL`` is set (see the module)."""

    def db_for_read(self, model: type[Model], **hints: Any) -> str:
        if _current.get() is None or _stays_on_primary(model) or connections[DEFAULT_DB_ALIAS].in_atomic_block:
            return DEFAULT_DB_ALIAS
        return REPLICA

    def db_for_write(self, model: type[Model], **hints: Any) -> str:
        # Named explicitly: left to Django, an object read from the replica would be saved back to it.
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1: Model, obj2: Model, **hints: Any) -> bool:
        # Both aliases hold the same rows: a loan read from the replica may point at a user read from the primary.
        return {obj1._state.db, obj2._state.db} <= {DEFAULT_DB_ALIAS, REPLICA, None}

    def allow_migrate(self, db: str, app_label: str, model_name: str | None = None, **hints: Any) -> bool:
        return db == DEFAULT_DB_ALIAS


def replica_context(request: HttpRequest) -> dict[str, Any]:
    """Template context: ``replica_age_seconds`` on a page that reads the replica (base.html shows it)."""
    read = _current.get()
    return {} if read is None else {"replica_age_seconds": read.age_seconds}
