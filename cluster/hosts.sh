# shellcheck shell=bash
# Five "hosts" on this one machine, each a Linux network namespace with its own address on a
# bridge: db (PostgreSQL primary and Redis), replica (a streaming replica), w1 and w2 (Celery
# workers) and web. Sourced by cluster/test.sh; hosts_up builds them, hosts_down removes every
# namespace, process and file they made and is safe to call at any point of a half-done set-up.
#
# The subnet exists only inside the namespaces: nothing here ever addresses it from the
# machine's own namespace (no route: the packet would leave the machine). Every client runs
# with `on HOST ...`. The machine's own PostgreSQL and Redis, their sockets and pid files are
# never touched: our servers keep every file (data, sockets, pid files, logs) under $C.

# The newest PostgreSQL server installed from Debian's packages (15 on Debian 12).
PGBIN=${PGBIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)}
SUBNET=10.77.0
declare -A IP=([db]=$SUBNET.10 [replica]=$SUBNET.11 [w1]=$SUBNET.21 [w2]=$SUBNET.22 [web]=$SUBNET.30)
HOSTS=(db replica w1 w2 web)
# Namespace names carry this run's pid, so two runs (a developer's and CI's) never share one.
PREFIX=scfc$$
C=""                                  # this run's folder; set by hosts_up
PG_PASSWORD=""                        # the primary's postgres password; set by hosts_up

ns() { echo "$PREFIX-$1"; }           # the namespace of host $1
on() { local host=$1; shift; ip netns exec "$(ns "$host")" "$@"; }
as_postgres() { runuser -u postgres -- "$@"; }
# psql as the superuser over the instance's own Unix socket (trust; no password in a process list).
psql_db() { as_postgres "$PGBIN/psql" -h "$C/run/db" -U postgres -X -q -tA "$@"; }
psql_replica() { as_postgres "$PGBIN/psql" -h "$C/run/replica" -U postgres -X -q -tA "$@"; }

hosts_up() {
  # In memory when there is room: a few hundred MB of PostgreSQL files are written and deleted
  # in seconds there, while deleting them from this machine's disk (ext4 with discard) took 17 s.
  local base=/tmp
  [ -w /dev/shm ] && [ "$(df -Pk /dev/shm | awk 'NR == 2 { print $4 }')" -gt 3000000 ] && base=/dev/shm
  C=$(mktemp -d "${CLUSTER_TMP:-$base}/scf-cluster.XXXXXX")
  chmod 711 "$C"                      # postgres must reach its data dir below it
  mkdir -p "$C/logs" "$C/run" "$C/redis"
  PG_PASSWORD=$(head -c 18 /dev/urandom | base64 | tr -d '/+=')

  # --- network: a bridge in a namespace of its own, one veth pair per host ---
  ip netns add "$(ns sw)"; echo "$(ns sw)" >> "$C/netns"
  ip -n "$(ns sw)" link add br0 type bridge
  ip -n "$(ns sw)" link set br0 up
  local host
  for host in "${HOSTS[@]}"; do
    ip netns add "$(ns "$host")"; echo "$(ns "$host")" >> "$C/netns"
    # The veth is made in the bridge's namespace and its peer moved into the host as eth0.
    ip -n "$(ns sw)" link add "v-$host" type veth peer name eth0 netns "$(ns "$host")"
    ip -n "$(ns sw)" link set "v-$host" master br0
    ip -n "$(ns sw)" link set "v-$host" up
    ip -n "$(ns "$host")" link set lo up
    ip -n "$(ns "$host")" addr add "${IP[$host]}/24" dev eth0
    ip -n "$(ns "$host")" link set eth0 up
  done

  # --- PostgreSQL primary on db ---
  install -d -o postgres -g postgres -m 700 "$C/pg" "$C/pg/primary"
  install -d -o postgres -g postgres -m 755 "$C/run/db" "$C/run/replica"
  chown postgres: "$C/logs"
  printf '%s\n' "$PG_PASSWORD" > "$C/run/pwfile"
  chown postgres "$C/run/pwfile"; chmod 600 "$C/run/pwfile"
  as_postgres "$PGBIN/initdb" -D "$C/pg/primary" -U postgres --pwfile="$C/run/pwfile" \
    --auth-local=trust --auth-host=scram-sha-256 -E UTF8 --locale=C.UTF-8 --no-sync > "$C/logs/initdb.log"
  # Own address and socket dir (Unix sockets are not namespaced: the machine's 5432 socket in
  # /var/run/postgresql must not be shadowed). fsync off: the data is thrown away at the end.
  cat >> "$C/pg/primary/postgresql.conf" <<EOF
listen_addresses = '${IP[db]}'
unix_socket_directories = '$C/run/db'
wal_level = replica
max_wal_senders = 4
fsync = off
EOF
  cat >> "$C/pg/primary/pg_hba.conf" <<EOF
host all         all        $SUBNET.0/24 scram-sha-256
host replication replicator $SUBNET.0/24 scram-sha-256
EOF
  on db runuser -u postgres -- "$PGBIN/pg_ctl" -D "$C/pg/primary" -l "$C/logs/primary.log" -w start > /dev/null
  psql_db -c "CREATE ROLE replicator LOGIN REPLICATION PASSWORD '$PG_PASSWORD'"

  # --- Redis on db: pid file, dir and log under $C (its default pid file is the machine's) ---
  on db redis-server --bind "${IP[db]}" --port 6379 --protected-mode no --save '' --appendonly no \
    --daemonize yes --dir "$C/redis" --pidfile "$C/run/redis.pid" --logfile "$C/logs/redis.log"

  # --- streaming replica on replica: a base backup of the primary taken over the network ---
  on replica runuser -u postgres -- env PGPASSWORD="$PG_PASSWORD" "$PGBIN/pg_basebackup" -h "${IP[db]}" \
    -U replicator -D "$C/pg/replica" -R -X stream -C -S replica1 -c fast --no-sync
  # The backup copied the primary's postgresql.conf: the replica needs its own address and socket.
  printf "listen_addresses = '%s'\nunix_socket_directories = '%s'\n" "${IP[replica]}" "$C/run/replica" \
    >> "$C/pg/replica/postgresql.conf"
  on replica runuser -u postgres -- "$PGBIN/pg_ctl" -D "$C/pg/replica" -l "$C/logs/replica.log" -w start > /dev/null

  # --- every host reaches the db host's PostgreSQL and Redis, and the replica streams ---
  for host in "${HOSTS[@]}"; do
    on "$host" "$PGBIN/pg_isready" -q -h "${IP[db]}" -t 5 || { echo "$host cannot reach PostgreSQL" >&2; return 1; }
    on "$host" redis-cli -h "${IP[db]}" ping > /dev/null || { echo "$host cannot reach Redis" >&2; return 1; }
  done
  on web "$PGBIN/pg_isready" -q -h "${IP[replica]}" -t 5 || { echo "web cannot reach the replica" >&2; return 1; }
  [ "$(psql_replica -c 'SELECT pg_is_in_recovery()')" = t ] || { echo "replica is not in recovery" >&2; return 1; }
}

# SIGTERM, then SIGKILL after $2 seconds, every process of namespace $1 (only ours live there).
ns_stop() {
  local name=$1 grace=$2 waited=0
  ip netns pids "$name" 2>/dev/null | xargs -r kill -TERM 2>/dev/null || true
  while [ -n "$(ip netns pids "$name" 2>/dev/null)" ] && [ "$waited" -lt "$((grace * 10))" ]; do
    sleep 0.1; waited=$((waited + 1))
  done
  ip netns pids "$name" 2>/dev/null | xargs -r kill -KILL 2>/dev/null || true
  while [ -n "$(ip netns pids "$name" 2>/dev/null)" ]; do sleep 0.1; done
}

hosts_down() {
  [ -n "$C" ] && [ -d "$C" ] || return 0
  local name
  # The app's processes first (they hold connections), then the servers, stopped cleanly so that
  # PostgreSQL removes its shared memory; whatever is left in a namespace is killed.
  for name in "$(ns web)" "$(ns w1)" "$(ns w2)"; do
    grep -qx "$name" "$C/netns" 2>/dev/null && ns_stop "$name" 5
  done
  [ -f "$C/pg/replica/postmaster.pid" ] && as_postgres "$PGBIN/pg_ctl" -D "$C/pg/replica" -m immediate -w stop > /dev/null
  [ -f "$C/pg/primary/postmaster.pid" ] && as_postgres "$PGBIN/pg_ctl" -D "$C/pg/primary" -m immediate -w stop > /dev/null
  if [ -f "$C/run/redis.pid" ]; then
    local pid; pid=$(cat "$C/run/redis.pid")
    # Only a pid inside our db namespace is ours to signal.
    ip netns pids "$(ns db)" 2>/dev/null | grep -qx "$pid" && kill -TERM "$pid"
  fi
  if [ -f "$C/netns" ]; then
    while read -r name; do
      ns_stop "$name" 5
      ip netns del "$name"            # its veth and the bridge go with it
    done < "$C/netns"
  fi
  rm -rf "$C"
  C=""
}
