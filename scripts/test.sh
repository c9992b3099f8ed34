#!/usr/bin/env bash
# Runs all the tests: installs what they need, starts throwaway PostgreSQL
# servers (or uses NOESIS_TEST_DATABASE_URL / NOESIS_TEST_PLAIN_DATABASE_URL if
# set), runs the engine and CLI unit and integration tests against them, then
# the desktop app's tests (Vitest, Tauri mock runtime, WebDriver end to end
# under Xvfb), and stops the servers. Exits non-zero if anything failed.
set -euo pipefail
cd "$(dirname "$0")/.."

# The habits first, before anything runs (the desktop crate's clippy runs in
# scripts/test-desktop.sh, once its system libraries are installed):
# rustfmt's formatting (rustfmt.toml), and clippy with warnings as errors.
cargo fmt --all --check
cargo clippy -p noesis-engine -p noesis-sync -p noesis-test-support --all-targets --locked -- -D warnings

scripts/install-test-deps.sh
# One pair of servers for everything, so the desktop tests that need a server
# (the wizard and sync end to end, the wizard's command test) run too; with
# NOESIS_TEST_REQUIRE_SERVER they fail instead of skipping when none is set.
export NOESIS_TEST_REQUIRE_SERVER=1
scripts/with-test-postgres.sh bash -c '
  status=0
  cargo test -p noesis-engine -p noesis-sync --locked --no-fail-fast --color never || status=$?
  scripts/test-desktop.sh || status=$?
  exit $status'

