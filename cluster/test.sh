#!/usr/bin/env bash
# `make cluster-test`: the close of business spread over two worker hosts, one of which dies.
#
# Builds five hosts out of network namespaces (cluster/hosts.sh), loads a generated book into the
# primary, copies it (CREATE DATABASE ... TEMPLATE: an exact copy), closes 18-20 June 2027 on copy A
# with one Celery worker on each of w1 and w2 and SIGKILLs every process of w2 while a settlement
# chunk of the 20th runs there, then closes copy B without interruption. The two books, read on the
# primary and on the replica, must be equal and reconcile (cluster/check.py, cluster/report.py).
# Needs root, iproute2 and PostgreSQL 15's binaries; everything it starts or writes is removed at
# the end, whatever happens (trap).
set -euo pipefail
cd "$(dirname "$0")/.."
source cluster/hosts.sh

LOANS=${CLUSTER_LOANS:-30000}
CHUNK_LOANS=${CLUSTER_CHUNK_LOANS:-2000}       # many chunks per step, so both hosts get some
VISIBILITY=${CLUSTER_VISIBILITY_TIMEOUT:-10}   # > a chunk's run time (about a second here)
CLOSE_TO=2027-06-21                            # closes the 18th, 19th and 20th
KILL_DAY=2027-06-20                            # every active loan settles and falls overdue
KILL_STEP=settlement
STEP_TABLE=postloan_dayclosestep               # DayCloseStep: one row per chunk done
SECRET=$(python3 -c 'import secrets; print(secrets.token_urlsafe(50))')
PY=$PWD/.venv/bin/python

[ "$(id -u)" = 0 ] || { echo "cluster-test needs root (network namespaces)" >&2; exit 2; }
for tool in ip redis-server redis-cli "$PGBIN/initdb" "$PY"; do
  command -v "$tool" > /dev/null || { echo "cluster-test needs $tool" >&2; exit 2; }
done

phase() { printf '== %s (%d s)\n' "$*" "$SECONDS"; }
finish() {
  local status=$?
  set +e
  [ -n "$C" ] && [ "$status" != 0 ] && tail -n 20 "$C"/logs/*.log 2>/dev/null
  phase "tear-down"
  local began=$SECONDS
  hosts_down
  echo "tear-down took $((SECONDS - began)) s; namespaces left: $(ip netns list | grep -c "^$PREFIX-")"
  exit "$status"
}
trap finish EXIT
trap 'exit 130' INT TERM

# Run the project on host $1 against database $2 with broker database $3: a clean environment
# (nothing of the caller's DATABASE_URL or broker leaks in), the db host's PostgreSQL and Redis.
app() {
  local host=$1 db=$2 broker=redis://${IP[db]}:6379/$3; shift 3
  on "$host" env -i PATH=/usr/local/bin:/usr/bin:/bin HOME=/root LANG=C.UTF-8 PYTHONUNBUFFERED=1 \
    DATABASE_URL="postgres://postgres:$PG_PASSWORD@${IP[db]}:5432/$db" \
    CELERY_BROKER_URL="$broker" CELERY_RESULT_BACKEND="$broker" SECRET_KEY="$SECRET" \
    COB_CHUNK_LOANS="$CHUNK_LOANS" CELERY_VISIBILITY_TIMEOUT="$VISIBILITY" ALLOWED_HOSTS="${IP[web]}" \
    CLUSTER_HOST="$host" CLUSTER_CHUNK_LOG="$C/logs/chunks-$db.log" "$@"
}

# One worker of the project on each host of $3... for database $1 (broker database $2); waits until
# every one of them is ready.
workers_start() {
  local db=$1 broker=$2 host waited=0; shift 2
  for host in "$@"; do
    app "$host" "$db" "$broker" .venv/bin/celery -A config worker -n "$host@%h" -c 1 -P prefork -l INFO \
      --without-gossip --without-mingle --without-heartbeat --include cluster.chunk_log \
      > "$C/logs/celery-$host-$db.log" 2>&1 < /dev/null &
  done
  for host in "$@"; do
    until grep -qs "ready\." "$C/logs/celery-$host-$db.log"; do
      sleep 0.2; waited=$((waited + 1))
      [ "$waited" -lt 300 ] || { echo "worker on $host did not start" >&2; return 1; }
    done
  done
}

# The close of database $1 from the web host, with the broker sweep beside it; sets CLOSE_PID.
close_start() {
  app web "$1" "$2" "$PY" cluster/sweep.py "redis://${IP[db]}:6379/$2" "$VISIBILITY" > "$C/logs/sweep-$1.log" 2>&1 &
  SWEEP_PID=$!
  CLOSE_STARTED=$(date +%s.%N)
  app web "$1" "$2" "$PY" manage.py close_business_day --to "$CLOSE_TO" > "$C/logs/close-$1.log" 2>&1 &
  CLOSE_PID=$!
}

# Waits for the close started by close_start (at most 300 s); sets CLOSE_CODE and CLOSE_SECONDS.
close_wait() {
  local waited=0
  while kill -0 "$CLOSE_PID" 2> /dev/null && [ "$waited" -lt 3000 ]; do sleep 0.1; waited=$((waited + 1)); done
  kill -0 "$CLOSE_PID" 2> /dev/null && { echo "the close did not end in 300 s" >&2; kill -KILL "$CLOSE_PID"; }
  CLOSE_CODE=0; wait "$CLOSE_PID" || CLOSE_CODE=$?
  CLOSE_SECONDS=$(python3 -c "import time; print(f'{time.time() - $CLOSE_STARTED:.1f}')")
  kill -TERM "$SWEEP_PID" 2> /dev/null; wait "$SWEEP_PID" 2> /dev/null || true
}

# ---------------------------------------------------------------------------------------------
phase "set-up: hosts ${HOSTS[*]} on $SUBNET.0/24"
hosts_up
T_SETUP=$SECONDS
echo "files under $C, namespaces $PREFIX-*"

phase "book of $LOANS loans on the primary (bench/bench_cob.py, from the web host)"
# In the background and awaited: a SIGTERM to this script then tears down at once instead of after the load.
app web cluster_bench_a 0 "$PY" bench/bench_cob.py "$LOANS" --load-only --keep-db > "$C/logs/book.log" 2>&1 &
wait $! || { tail -n 30 "$C/logs/book.log"; exit 1; }
psql_db -d cluster_bench_a -c "SELECT 1 FROM $STEP_TABLE LIMIT 0" > /dev/null
psql_db -c "CREATE DATABASE cluster_bench_b TEMPLATE cluster_bench_a"
T_BOOK=$SECONDS

phase "copy A: workers on w1 and w2, close to $CLOSE_TO from web, kill w2 during $KILL_DAY $KILL_STEP"
workers_start cluster_bench_a 0 w1 w2
close_start cluster_bench_a 0
KILL_AT=0 SEEN=""
chunks_a=$C/logs/chunks-cluster_bench_a.log
# w2 has a chunk of the step open in its log: started, no "done" line yet.
w2_in_step() {
  [ -f "$chunks_a" ] && awk -v d="$KILL_DAY" -v s="$KILL_STEP" '
    $2 == "w2" && $4 == d && $5 == s { if ($3 == "start") open[$8] = 1; else delete open[$8] }
    END { for (t in open) exit 0; exit 1 }' "$chunks_a"
}
while kill -0 "$CLOSE_PID" 2> /dev/null; do
  if w2_in_step; then
    # Freeze every process of w2 before deciding: a chunk seen open could otherwise finish between the
    # look and the kill, and the kill land while the worker fetches its next message (a message Redis
    # has handed out and the worker not yet recorded as unacknowledged is lost with it; the
    # coordinator's stall fallback then runs that chunk, not a redelivery).
    W2_PIDS=$(ip netns pids "$(ns w2)")
    echo "$W2_PIDS" | xargs -r kill -STOP
    # Frozen, the chunk is still open in the log, and the database agrees: chunks of the step are
    # recorded (it is under way) and a connection from w2's address holds an open transaction.
    SEEN=$(psql_db -d cluster_bench_a -c "SELECT
        (SELECT count(*) FROM $STEP_TABLE WHERE day = '$KILL_DAY' AND step = '$KILL_STEP') || ' chunks of the step recorded, '
        || (SELECT count(*) FROM pg_stat_activity WHERE client_addr = '${IP[w2]}' AND xact_start IS NOT NULL)
        || ' transaction(s) open from w2'")
    if w2_in_step && [[ $SEEN != 0\ * && $SEEN != *" 0 transaction"* ]]; then
      # A host crash: every process of the w2 namespace (worker and pool child) at once.
      echo "$W2_PIDS" | xargs -r kill -KILL
      KILL_AT=$(date +%s.%N)
      phase "SIGKILL w2 ($SEEN)"
      break
    fi
    echo "$W2_PIDS" | xargs -r kill -CONT
  fi
  sleep 0.05
done
[ "$KILL_AT" != 0 ] || echo "the close ended before w2 could be killed in $KILL_DAY $KILL_STEP" >&2
close_wait
CLOSE_A="$CLOSE_CODE:$CLOSE_SECONDS"
phase "copy A closed: exit $CLOSE_CODE in $CLOSE_SECONDS s"
# Every chunk is recorded and acknowledged: the workers of this copy can go without ceremony.
ns_stop "$(ns w1)" 1
ns_stop "$(ns w2)" 1

phase "copy B: workers on w1 and w2 (w2 back), close to $CLOSE_TO uninterrupted"
workers_start cluster_bench_b 1 w1 w2
close_start cluster_bench_b 1
close_wait
CLOSE_B="$CLOSE_CODE:$CLOSE_SECONDS"
phase "copy B closed: exit $CLOSE_CODE in $CLOSE_SECONDS s"
ns_stop "$(ns w1)" 1
ns_stop "$(ns w2)" 1
T_CLOSES=$SECONDS

phase "replica: wait for replay, then checksums and reconciliation on primary and replica"
LSN=$(psql_db -c "SELECT pg_current_wal_lsn()")
for _ in $(seq 1 600); do
  [ "$(psql_replica -c "SELECT pg_last_wal_replay_lsn() >= '$LSN'")" = t ] && break
  sleep 0.1
done
CHECKS=()
for name in a b; do
  app web "cluster_bench_$name" 0 "$PY" cluster/check.py > "$C/logs/check-$name.json" &
  CHECKS+=($!)
  # The replica's copy, read from the replica host's PostgreSQL.
  on web env -i PATH=/usr/bin:/bin HOME=/root LANG=C.UTF-8 SECRET_KEY="$SECRET" \
    DATABASE_URL="postgres://postgres:$PG_PASSWORD@${IP[replica]}:5432/cluster_bench_$name" \
    "$PY" cluster/check.py --no-reconcile > "$C/logs/check-replica-$name.json" &
  CHECKS+=($!)
done
wait "${CHECKS[@]}" || true   # a failed check leaves its JSON empty: the report fails it
T_CHECKS=$SECONDS

phase "web host: gunicorn on primary + replica, a branch manager signs in and reads dashboards"
WEB_PASSWORD=$(python3 -c 'import secrets; print(secrets.token_urlsafe(16))')
REPLICA_URL="postgres://postgres:$PG_PASSWORD@${IP[replica]}:5432/cluster_bench_a"
# The bench's branch node is CB: its manager sees the whole book.
app web cluster_bench_a 0 env CREATE_USER_PASSWORD="$WEB_PASSWORD" "$PY" manage.py create_user cluster_leader \
  --role branch_manager --org-node CB > "$C/logs/web.log" 2>&1
app web cluster_bench_a 0 env DATABASE_REPLICA_URL="$REPLICA_URL" .venv/bin/gunicorn config.wsgi:application \
  -b "${IP[web]}:8000" -w 2 >> "$C/logs/web.log" 2>&1 < /dev/null &
GUNICORN_PID=$!
for _ in $(seq 1 300); do
  on web bash -c "echo > /dev/tcp/${IP[web]}/8000" 2> /dev/null && break   # gunicorn listens
  sleep 0.2
done
WEB=$(app web cluster_bench_a 0 env CLUSTER_WEB_PASSWORD="$WEB_PASSWORD" "$PY" cluster/web_check.py \
  "http://${IP[web]}:8000" cluster_leader)
# Signing in wrote the user's last login on the primary (and the replica replays it).
[ "$(psql_db -d cluster_bench_a -c "SELECT count(*) FROM partners_user
    WHERE username = 'cluster_leader' AND last_login IS NOT NULL")" = 1 ] || WEB="failed: no last login on the primary; $WEB"
kill -TERM "$GUNICORN_PID"; wait "$GUNICORN_PID" || true
T_WEB=$SECONDS

phase "report"
set +e
"$PY" cluster/report.py --chunks-a "$chunks_a" --chunks-b "$C/logs/chunks-cluster_bench_b.log" \
  --kill-at "$KILL_AT" --killed w2 --survivor w1 --kill-day "$KILL_DAY" --kill-step "$KILL_STEP" \
  --seen-at-kill "$SEEN" --close "A=$CLOSE_A" --close "B=$CLOSE_B" \
  --check "A=$C/logs/check-a.json" --check "B=$C/logs/check-b.json" \
  --check "replica-A=$C/logs/check-replica-a.json" --check "replica-B=$C/logs/check-replica-b.json" \
  --web "$WEB" \
  --host "db=${IP[db]} PostgreSQL 15 primary + Redis" --host "replica=${IP[replica]} streaming replica (pg_basebackup)" \
  --host "w1=${IP[w1]} Celery worker -c 1" --host "w2=${IP[w2]} Celery worker -c 1, SIGKILLed during copy A" \
  --host "web=${IP[web]} close_business_day, checks, gunicorn" \
  --timings "set-up ${T_SETUP} s, book $((T_BOOK - T_SETUP)) s, closes A+B $((T_CLOSES - T_BOOK)) s, checks $((T_CHECKS - T_CLOSES)) s, web $((T_WEB - T_CHECKS)) s"
RESULT=$?
set -e
exit "$RESULT"
