#!/usr/bin/env bash
# Project-local PostGIS cluster under var/pg: its own port and unix socket, started idempotently.
# initdb refuses to run as root, so as root the cluster belongs to the 'postgres' system user.
# Usage: scripts/pg.sh start|stop|status
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
PGDATA="$ROOT/var/pg/data"
PGSOCK="$ROOT/var/pg/run"
# The port is chosen once per checkout (first free one from 54329) and remembered in var/pg/port,
# so two checkouts on one machine (a developer's and CI's) never collide.
pick_port() {
  python3 - <<'PY'
import socket
for port in range(54329, 54429):
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            continue
        print(port)
        break
PY
}
mkdir -p "$ROOT/var/pg"
if [ -n "${GRIDGOV_PGPORT:-}" ]; then PGPORT=$GRIDGOV_PGPORT
elif [ -s "$ROOT/var/pg/port" ]; then PGPORT=$(cat "$ROOT/var/pg/port")
else PGPORT=$(pick_port); echo "$PGPORT" > "$ROOT/var/pg/port"; fi
BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[ -x "$BIN/initdb" ] || { echo "PostgreSQL server binaries not found under /usr/lib/postgresql" >&2; exit 1; }

as_owner() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

start() {
  mkdir -p "$ROOT/var/pg"
  if [ "$(id -u)" -eq 0 ]; then chown postgres: "$ROOT/var/pg"; chmod 755 "$ROOT/var" "$ROOT/var/pg"; fi
  as_owner mkdir -p "$PGSOCK"
  if [ ! -s "$PGDATA/PG_VERSION" ]; then
    as_owner "$BIN/initdb" -D "$PGDATA" -U gridgov --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
    cat <<CONF | as_owner tee -a "$PGDATA/postgresql.conf" >/dev/null
listen_addresses = '127.0.0.1'
port = $PGPORT
unix_socket_directories = '$PGSOCK'
fsync = on
shared_buffers = 1GB
work_mem = 64MB
maintenance_work_mem = 512MB
max_connections = 200
jit = off
CONF
  fi
  if ! as_owner "$BIN/pg_ctl" -D "$PGDATA" status >/dev/null 2>&1; then
    as_owner "$BIN/pg_ctl" -D "$PGDATA" -l "$ROOT/var/pg/server.log" -w -t 60 start >/dev/null
  fi
  if ! "$BIN/psql" -h "$PGSOCK" -p "$PGPORT" -U gridgov -d postgres -tAc "select 1 from pg_database where datname='gridgov'" | grep -q 1; then
    "$BIN/createdb" -h "$PGSOCK" -p "$PGPORT" -U gridgov gridgov
  fi
  "$BIN/psql" -q -h "$PGSOCK" -p "$PGPORT" -U gridgov -d gridgov -c "CREATE EXTENSION IF NOT EXISTS postgis" 2>&1 | grep -v NOTICE || true
}

case "${1:-start}" in
  start) start ;;
  stop) as_owner "$BIN/pg_ctl" -D "$PGDATA" -m fast stop ;;
  status) as_owner "$BIN/pg_ctl" -D "$PGDATA" status ;;
  *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
