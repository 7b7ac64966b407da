#!/bin/bash
# Run once by the postgres image when it creates the primary's data volume (docker-entrypoint-initdb.d):
# the role the replica streams with, when REPLICATION_PASSWORD is set. On a volume made earlier, run the
# same statement by hand: CREATE ROLE replicator WITH REPLICATION LOGIN PASSWORD '…';
set -euo pipefail
if [ -z "${REPLICATION_PASSWORD:-}" ]; then
    echo "REPLICATION_PASSWORD unset: no replication role (the replica profile needs one)"
    exit 0
fi
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
    --set=password="$REPLICATION_PASSWORD" <<'SQL'
CREATE ROLE replicator WITH REPLICATION LOGIN PASSWORD :'password';
SQL
