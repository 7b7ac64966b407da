#!/bin/bash
# The read replica (docker compose --profile replica): a hot standby of the `db` service.
#
# On its first start (an empty data volume) it copies the primary with pg_basebackup, which also writes
# standby.signal and primary_conninfo (-R), streaming through the physical replication slot `replica1`
# (made here when missing), so that the primary keeps the WAL the replica has not received yet, up to
# max_slot_wal_keep_size. Then it runs PostgreSQL as a read-only hot standby. A replica whose volume is
# removed starts again from a fresh copy.
set -euo pipefail
: "${REPLICATION_PASSWORD:?set REPLICATION_PASSWORD in .env: the replica profile streams with it}"
PRIMARY_HOST="${PRIMARY_HOST:-db}"
SLOT="${REPLICATION_SLOT:-replica1}"
export PGPASSWORD="$REPLICATION_PASSWORD"

if [ ! -s "$PGDATA/PG_VERSION" ]; then
    mkdir -p "$PGDATA"
    chown postgres:postgres "$PGDATA"
    chmod 700 "$PGDATA"
    until gosu postgres psql "host=$PRIMARY_HOST user=replicator dbname=postgres" -Atc \
        "SELECT pg_create_physical_replication_slot('$SLOT') WHERE NOT EXISTS
         (SELECT 1 FROM pg_replication_slots WHERE slot_name = '$SLOT')" >/dev/null; do
        echo "waiting for the primary at $PRIMARY_HOST"
        sleep 5
    done
    find "$PGDATA" -mindepth 1 -delete  # what a failed copy left behind
    gosu postgres pg_basebackup --host="$PRIMARY_HOST" --username=replicator --pgdata="$PGDATA" \
        --wal-method=stream --slot="$SLOT" --write-recovery-conf --checkpoint=fast --progress
fi

# hot_standby_feedback: long dashboard queries on the replica are not cancelled by the primary's vacuum.
exec gosu postgres postgres -c hot_standby=on -c hot_standby_feedback=on
