"""Without a replica (``DATABASE_REPLICA_URL`` unset, as in the rest of the suite) a marked page reads the primary."""

from __future__ import annotations

from django.db import DEFAULT_DB_ALIAS, connections

from core.db_router import REPLICA, ReplicaRouter, replica_context, replica_reads_block
from origination.models import Loan
from partners.models import User


def test_without_a_replica_nothing_changes(db, rf):
    # no alias: a marked block reads the primary, and the context processor adds nothing
    assert REPLICA not in connections.settings
    with replica_reads_block() as read:
        assert read is None
        assert replica_context(rf.get("/")) == {}
    router = ReplicaRouter()
    assert router.db_for_read(Loan) == DEFAULT_DB_ALIAS
    assert router.db_for_write(Loan) == DEFAULT_DB_ALIAS
    assert router.allow_migrate(DEFAULT_DB_ALIAS, "origination") is True
    assert router.allow_migrate(REPLICA, "origination") is False
    assert router.allow_relation(Loan(), User()) is True
