#!/usr/bin/env bash
# Runs every test of assetmap, doing its own set-up on a fresh machine:
#   - Debian's Chromium for the browser tests (apt-get, when missing);
#   - the browser tests' npm packages (npm ci, when missing);
#   - formatting and lint checks, then the Rust tests, then the browser tests.
# Usage: scripts/test.sh        (CI calls exactly this through .ci/run)
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '\n== %s\n' "$*"; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

apt_updated=
apt_install() {
  if [ -z "$apt_updated" ]; then as_root apt-get update -qq; apt_updated=1; fi
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

say "set-up"
if ! command -v chromium >/dev/null 2>&1 && [ -z "${CHROMIUM:-}" ]; then
  echo "installing Debian's chromium for the browser tests"
  apt_install chromium
fi
if [ ! -d tests/browser/node_modules/playwright-core ]; then
  echo "installing the browser tests' npm packages"
  (cd tests/browser && npm ci --no-audit --no-fund --loglevel=error)
fi

say "format and lints"
cargo fmt --all -- --check
cargo clippy --all-targets --quiet -- -D warnings

say "rust tests"
cargo test --all-targets

say "browser tests"
cargo build --quiet
(cd tests/browser && ASSETMAP_BIN="$PWD/../../target/debug/assetmap" npm test --silent)
