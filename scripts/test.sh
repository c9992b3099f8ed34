#!/usr/bin/env bash
# Runs all the tests: installs what they need, starts throwaway PostgreSQL
# servers (or uses NOESIS_TEST_DATABASE_URL / NOESIS_TEST_PLAIN_DATABASE_URL if
# set), runs the Rust unit and integration tests against them, and stops them.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-test-deps.sh
scripts/with-test-postgres.sh cargo test --workspace --locked --no-fail-fast --color never
