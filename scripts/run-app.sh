#!/usr/bin/env bash
# Runs Noesis Desktop from source: installs what is missing, builds the front
# end (embedded in the binary) and starts the app. With no server configured it
# runs on the local cache alone. NOESIS_DATA_DIR picks another data folder.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$ROOT/scripts/install-desktop-deps.sh"
(cd "$ROOT/ui" && nice -n 10 npx vite build --logLevel warn)
cd "$ROOT"
exec nice -n 10 cargo run -p noesis-desktop "$@"
