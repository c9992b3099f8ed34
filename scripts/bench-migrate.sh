#!/usr/bin/env bash
# Runs the migration benchmark (`cargo bench -p noesis-sync --bench migrate`,
# cli/benches/migrate.rs) against a throwaway PostgreSQL started with
# durable settings (fsync=on, synchronous_commit=on: a real server's defaults;
# the test servers run with fsync=off, which flatters row-by-row INSERTs).
#
#   scripts/bench-migrate.sh [benchmark options, e.g. --scale 1.0 --runs 2 --json]
#
# Needs PostgreSQL binaries in NOESIS_TEST_PG_BIN (or pg_config --bindir). As
# root the server runs as the unprivileged user `noesis-test` (initdb refuses root).
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${NOESIS_TEST_PG_BIN:-$(pg_config --bindir)}
run_user=noesis-test
as_server_user() { if [ "$(id -u)" = 0 ]; then runuser -u "$run_user" -- "$@"; else "$@"; fi; }
if [ "$(id -u)" = 0 ]; then id "$run_user" >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin "$run_user"; fi
dir=$(mktemp -d /tmp/noesis-bench-pg.XXXXXX); chmod 755 "$dir"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
pw=$(python3 -c 'import secrets; print(secrets.token_hex(16))')
printf '%s\n' "$pw" > "$dir/pwfile"; mkdir "$dir/data"
if [ "$(id -u)" = 0 ]; then chown -R "$run_user" "$dir"; fi
as_server_user "$bin/initdb" -D "$dir/data" -U postgres --pwfile="$dir/pwfile" --auth-host=scram-sha-256 -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1
rm -f "$dir/pwfile"
stop() { as_server_user "$bin/pg_ctl" -D "$dir/data" -m fast stop >/dev/null 2>&1 || true; rm -rf "$dir"; }
trap stop EXIT
as_server_user "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
  -o "-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories=$dir -c fsync=on -c synchronous_commit=on -c shared_buffers=256MB -c max_wal_size=4GB" start >&2
PGPASSWORD=$pw cargo bench -q -p noesis-sync --bench migrate -- \
  --database-url "postgres://postgres@127.0.0.1:$port/postgres" --psql "$bin/psql" "$@"
