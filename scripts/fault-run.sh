#!/usr/bin/env bash
# The long fault-injection run: the same harness as the suite's short run
# (tests/fault_injection.rs: three agents behind proxies that cut, stall and
# kill them right before or after a COMMIT, a psql writer and sqlite3 writers,
# every write checked against a ground-truth log), for longer and with a
# random seed. Prints the figures (writes, faults, violations) and keeps them
# as JSON.
#
#   scripts/fault-run.sh [SECONDS] [SEED]     defaults: 600, random
#
# A failing run prints the seed and the rerun command. Uses
# NOESIS_TEST_DATABASE_URL when set, else starts its own PostgreSQL.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds="${1:-600}"
seed="${2:-$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')}"
report="${NOESIS_FAULT_REPORT:-target/fault-run-$seed.json}"
case "$report" in /*) ;; *) report="$PWD/$report" ;; esac
mkdir -p "$(dirname "$report")"

scripts/install-test-deps.sh
export NOESIS_TEST_REQUIRE_SERVER=1 NOESIS_FAULT_SECONDS="$seconds" NOESIS_FAULT_SEED="$seed" NOESIS_FAULT_REPORT="$report"
status=0
scripts/with-test-postgres.sh cargo test -p noesis-sync --locked --test integration fault_injection:: -- --nocapture || status=$?
if [ -f "$report" ]; then
  echo "figures ($report):"
  cat "$report"
fi
exit $status
