#!/usr/bin/env bash
# Tests the desktop app: front-end unit tests (Vitest), the Tauri command tests
# on the mock runtime (plus the check that ui/src/bindings.ts is current), and
# the end-to-end tests that drive the real app (debug build) under Xvfb over
# WebDriver (tauri-driver + WebKitWebDriver). Exits non-zero on any failure.
#
#   scripts/test-desktop.sh                 # everything
#   scripts/test-desktop.sh --screenshots   # also refresh docs/screenshots/
#
# Installs what is missing first (scripts/install-desktop-deps.sh). Builds go
# to $CARGO_TARGET_DIR (default: target/) at lower CPU priority.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
if [[ "${1:-}" == "--screenshots" ]]; then
  export NOESIS_SCREENSHOTS_DIR="$ROOT/docs/screenshots"
fi

step() { printf '\n==> %s\n' "$*" >&2; }

step "dependencies"
"$ROOT/scripts/install-desktop-deps.sh"

cd "$ROOT/ui"
step "front end: lint (eslint.config.js), type check and unit tests (vitest)"
nice -n 10 npx eslint .
nice -n 10 npx tsc --noEmit
nice -n 10 npx vitest run

step "front end: production build (embedded in the app)"
nice -n 10 npx vite build --logLevel warn

# After the front-end build: tauri::generate_context! reads ui/dist.
step "clippy on the desktop crate (warnings are errors)"
(cd "$ROOT" && nice -n 10 cargo clippy -p noesis-desktop --all-targets --locked -- -D warnings)

cd "$ROOT"
# A kernel session keyring of their own (`keyctl session -`): the wizard stores
# the server password in the keychain, never in a file; headless, with no
# Secret Service, that is the kernel keyring (see engine/src/credentials.rs).
step "Tauri command tests (mock runtime) and bindings check"
keyctl session - nice -n 10 cargo test -p noesis-desktop

step "building the app and the CLI (debug)"
nice -n 10 cargo build -p noesis-desktop -p noesis-sync -p noesis-test-support

step "end to end: the real app under Xvfb over WebDriver"
cd "$ROOT/ui"
keyctl session - xvfb-run -a -s "-screen 0 1280x860x24" nice -n 10 npx vitest run --config vitest.e2e.config.ts

step "desktop tests passed"
