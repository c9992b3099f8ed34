#!/usr/bin/env bash
# Installs what building, running and testing the desktop app needs on a fresh
# Debian 12 machine (run as root, or with sudo available): the WebKitGTK and tray
# libraries Tauri links against, Xvfb and WebKitWebDriver for the end-to-end
# tests, the front end's npm packages and tauri-driver.
#
# Idempotent and fast when everything is already there: each step checks first,
# and `apt-get update` runs at most once, only when a package is missing.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

# Debian packages: Tauri's Linux prerequisites (WebKitGTK 4.1, libsoup 3, the
# tray's appindicator, librsvg for icons, libxdo for menu accelerators), the
# compilers, and the headless display + WebDriver used by scripts/test-desktop.sh
# (keyutils: its tests keep the wizard's password in a kernel session keyring;
# xdotool: one finds the native folder dialog, which WebDriver cannot see;
# dbus-daemon and Debian's Python 3 with python3-dbus-next and python3-xlib: the
# tray test gives the app a session bus of its own with a StatusNotifier host,
# clicks the tray menu over D-Bus and closes the window as a window manager's
# close button does, with ui/e2e/*.py run by /usr/bin/python3).
APT_PACKAGES=(
  build-essential pkg-config file libssl-dev
  libwebkit2gtk-4.1-dev libsoup-3.0-dev libjavascriptcoregtk-4.1-dev
  librsvg2-dev libayatana-appindicator3-dev libxdo-dev
  xvfb xauth webkit2gtk-driver sqlite3 keyutils xdotool
  dbus-daemon python3 python3-dbus-next python3-xlib
)

missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$pkg")
  fi
done
if ((${#missing[@]})); then
  echo "install-desktop-deps: installing ${missing[*]}" >&2
  SUDO=""
  [[ $(id -u) -ne 0 ]] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# Front-end packages, including the Tauri CLI (@tauri-apps/cli, a prebuilt
# binary from npm: seconds, where `cargo install tauri-cli` takes ~18 minutes).
# Re-run only when package-lock.json changed since the last install.
# `npm install --no-save` rather than `npm ci`: the lock was made through a
# registry mirror that serves only the Linux builds of the CLI, esbuild and
# rollup, so it lacks their macOS/Windows optional packages and `npm ci`
# refuses it as out of sync. `--no-save` installs the locked versions and never
# rewrites package.json or package-lock.json.
if [[ ! -d "$ROOT/ui/node_modules" || "$ROOT/ui/package-lock.json" -nt "$ROOT/ui/node_modules/.package-lock.json" ]]; then
  echo "install-desktop-deps: npm install in ui/" >&2
  (cd "$ROOT/ui" && nice -n 10 npm install --no-save --no-audit --no-fund --loglevel=error)
fi

# tauri-driver: the WebDriver proxy between the test and WebKitWebDriver. Only
# published as a crate; about a minute to build.
if ! command -v tauri-driver >/dev/null 2>&1; then
  echo "install-desktop-deps: cargo install tauri-driver" >&2
  nice -n 10 cargo install tauri-driver --version '^2' --locked
fi
