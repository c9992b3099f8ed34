#!/usr/bin/env bash
# Benchmarks (not tests): release builds against throwaway PostgreSQL servers.
#   scripts/bench.sh sync      sync latency, pull throughput, idle queries
#   scripts/bench.sh history   opening a 1,000-version history; what history costs writes
# Figures are printed next to a baseline measured in the same run.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-test-deps.sh
which=${1:-sync}
scripts/with-test-postgres.sh cargo bench -p noesis-sync --bench "$which"
