"""Raw database errors that concurrent writes cause, as refusals the user can act on: try again.

Two people acting on the same rows at the same moment can meet in the database rather than in a
service's check: a unique index refuses the second insert (``IntegrityError``), PostgreSQL breaks a
deadlock or a serialisation conflict, a lock wait or a statement runs out of time
(``OperationalError``). None of these is a server fault to the user. ``database_refusal`` turns them
into a ``DomainError`` once, for the API's exception handler and the pages' middleware alike, a 409
the client may simply send again: ``conflict`` when the other side won, ``busy`` when the rows were
held too long to answer in time. Anything else stays an error (a lost connection is not a conflict).

A service that knows what a violation means says so itself with ``unique_or_refuse`` (a second
anchor with the same credit code is ``duplicate_uscc``, not a bare conflict).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

from django.db import IntegrityError, OperationalError, transaction
from django.utils.translation import gettext as _

from core.error_codes import ErrorCode
from core.errors import DomainError

logger = logging.getLogger(__name__)

# SQLSTATEs of the conflicts PostgreSQL resolves by failing one side: it may simply try again.
RETRYABLE_CONFLICTS = {
    "40001",  # serialization_failure
    "40P01",  # deadlock_detected
}
# SQLSTATEs of a database too busy to answer in time: lock_not_available (lock_timeout, NOWAIT),
# query_canceled (statement_timeout).
BUSY = {"55P03", "57014"}
UNIQUE_VIOLATION = "23505"


def sqlstate(exc: BaseException) -> str | None:
    """The PostgreSQL error code behind a Django database error (psycopg 2 or 3), if there is one."""
    cause = exc.__cause__ or exc
    code = getattr(cause, "sqlstate", None) or getattr(cause, "pgcode", None)
    return str(code) if code else None


def database_refusal(exc: BaseException) -> DomainError | None:
    """The refusal a raw database error of concurrent writes stands for; None for any other error."""
    refusal: DomainError | None = None
    if isinstance(exc, IntegrityError) or (isinstance(exc, OperationalError) and sqlstate(exc) in RETRYABLE_CONFLICTS):
        refusal = DomainError(
            ErrorCode.CONFLICT,
            _("Someone else changed the same data at the same moment. Reload and try again."),
            status=409,
        )
    elif isinstance(exc, OperationalError) and sqlstate(exc) in BUSY:
        refusal = DomainError(
            ErrorCode.BUSY,
            _("The system is busy with the same data. Try again in a moment."),
            status=409,
        )
    if refusal is not None:
        # Kept in the log with its trace: a violation nobody expected may also be a bug.
        logger.warning("database error answered as %s: %s", refusal.code, exc, exc_info=exc)
    return refusal


@contextmanager
def unique_or_refuse(refusal: DomainError, *, table: str, constraint: str | None = None) -> Iterator[None]:
    """Run the block in a savepoint; a unique violation on ``table`` (of ``constraint``, when named),
    which a concurrent twin of this request won, becomes ``refusal``."""
    try:
        with transaction.atomic():
            yield
    except IntegrityError as exc:
        diag = getattr(exc.__cause__, "diag", None)
        if (
            sqlstate(exc) != UNIQUE_VIOLATION
            or getattr(diag, "table_name", None) != table
            or (constraint is not None and getattr(diag, "constraint_name", None) != constraint)
        ):
            raise
        raise refusal from None
