#!/usr/bin/env bash
# Runs every test of assetmap, doing its own set-up on a fresh machine:
#   - PostgreSQL with PostGIS for the PostGIS store's tests: DATABASE_URL when
#     given; otherwise the local cluster, started if stopped, PostGIS installed
#     (apt-get) if missing, PostgreSQL itself installed if absent;
#   - Debian's Chromium for the browser tests (apt-get, when missing), and
#     poppler-utils to read the printed reports (PDF) back as text;
#   - GDAL's command-line tools (gdal-bin) and OWSLib (pip) for the client tests;
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
pg_ready() { psql "$1" -Atqc 'SELECT 1' >/dev/null 2>&1; }
if [ -n "${DATABASE_URL:-}" ]; then
  case "$DATABASE_URL" in
    postgres://*|postgresql://*) export ASSETMAP_TEST_PG_URL="$DATABASE_URL" ;;
    *) echo "DATABASE_URL must be a postgres:// URL for the tests" >&2; exit 1 ;;
  esac
else
  export ASSETMAP_TEST_PG_URL="postgres://postgres@127.0.0.1:5432/postgres"
  if ! command -v pg_lsclusters >/dev/null 2>&1; then
    echo "installing PostgreSQL"
    apt_install postgresql
  fi
  if ! pg_ready "$ASSETMAP_TEST_PG_URL"; then
    cluster=$(pg_lsclusters --no-header | awk 'NR==1 {print $1" "$2}')
    echo "starting the PostgreSQL cluster $cluster"
    as_root pg_ctlcluster --skip-systemctl-redirect $cluster start || true
    for _ in $(seq 1 30); do pg_ready "$ASSETMAP_TEST_PG_URL" && break; sleep 1; done
  fi
fi
pg_ready "$ASSETMAP_TEST_PG_URL" || { echo "PostgreSQL is not reachable at $ASSETMAP_TEST_PG_URL" >&2; exit 1; }
if [ "$(psql "$ASSETMAP_TEST_PG_URL" -Atqc "SELECT count(*) FROM pg_available_extensions WHERE name = 'postgis'")" != 1 ]; then
  major=$(psql "$ASSETMAP_TEST_PG_URL" -Atqc "SHOW server_version_num" | cut -c1-2)
  echo "installing PostGIS for PostgreSQL $major"
  apt_install "postgresql-$major-postgis-3"
fi
# Databases left by interrupted runs.
psql "$ASSETMAP_TEST_PG_URL" -Atqc "SELECT datname FROM pg_database WHERE datname LIKE 'assetmap_test_%'" |
  while read -r db; do psql "$ASSETMAP_TEST_PG_URL" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null; done
if ! command -v chromium >/dev/null 2>&1 && [ -z "${CHROMIUM:-}" ]; then
  echo "installing Debian's chromium for the browser tests"
  apt_install chromium
fi
if ! command -v wrk >/dev/null 2>&1; then
  echo "installing wrk (the soak's reads)"
  apt_install wrk
fi
if ! command -v pdftotext >/dev/null 2>&1; then
  echo "installing poppler-utils (pdftotext reads the printed reports back)"
  apt_install poppler-utils
fi
if ! command -v cs2cs >/dev/null 2>&1; then
  echo "installing PROJ's command-line tools (the reference coordinates of the CRS tests)"
  apt_install proj-bin
fi
if ! command -v schemathesis >/dev/null 2>&1; then
  echo "installing schemathesis (PyPI)"
  python3 -m pip install --quiet 'schemathesis>=4.3,<5' 2>/dev/null ||
    python3 -m pip install --quiet --break-system-packages 'schemathesis>=4.3,<5'
fi
if ! command -v ogrinfo >/dev/null 2>&1; then
  echo "installing GDAL's command-line tools"
  apt_install gdal-bin
fi
if ! python3 -c 'import owslib' >/dev/null 2>&1; then
  echo "installing OWSLib"
  python3 -m pip install --quiet OWSLib 2>/dev/null || apt_install python3-owslib
fi
if [ ! -d tests/browser/node_modules/playwright-core ] || [ ! -d tests/browser/node_modules/axe-core ] || [ ! -d tests/browser/node_modules/lighthouse ]; then
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

say "the document is the contract: schemathesis against /api, every check (scripts/schemathesis.sh)"
SCHEMATHESIS_SEED=20261203 scripts/schemathesis.sh target/debug/assetmap

say "soak: mixed reads and writes, 20 s per store (benches/soak.sh)"
SOAK_BIN="$PWD/target/debug/assetmap" bash benches/soak.sh sqlite 20
if [ -z "${DATABASE_URL:-}" ]; then
  # Restarts the local PostgreSQL in the middle, which this script manages.
  SOAK_BIN="$PWD/target/debug/assetmap" ASSETMAP_TEST_PG_URL="$ASSETMAP_TEST_PG_URL" bash benches/soak.sh postgres 20
else
  echo "NOT RUN: the soak on PostGIS restarts the server, and DATABASE_URL names one this script does not manage"
fi
