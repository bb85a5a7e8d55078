#!/usr/bin/env bash
# A mixed load for SECONDS (60 by default) on a release server with the Seattle
# demo: wrk reads (a bbox and one feature, 2 x 8 connections) while two
# editors create and patch, two organizations submit listings and two families
# suggest (benches/soak_writers.py). On PostGIS the database is restarted in
# the middle. Afterwards every acknowledged write must be there; reads and
# writes must have had no 5xx (a write's 503 while the database restarts is
# retried after its Retry-After, as a client should, and counted apart).
# Usage: benches/soak.sh [postgres|sqlite] [SECONDS]   (needs wrk; PostgreSQL at
# ASSETMAP_TEST_PG_URL or 127.0.0.1:5432 for postgres). SOAK_BIN=path runs that
# binary instead of building a release one (scripts/test.sh runs a short soak
# on the debug build it already has).
set -euo pipefail
cd "$(dirname "$0")/.."
STORE=${1:-postgres}; SECS=${2:-60}
if [ -n "${SOAK_BIN:-}" ]; then
  BIN=$SOAK_BIN
else
  cargo build --release --quiet
  BIN=target/release/assetmap
fi
tmp=$(mktemp -d)
ADMIN=${ASSETMAP_TEST_PG_URL:-postgres://postgres@127.0.0.1:5432/postgres}
DB=assetmap_soak_$$
cleanup() {
  kill $(jobs -p) 2>/dev/null || true
  wait 2>/dev/null || true
  [ "$STORE" = postgres ] && psql "$ADMIN" -qc "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null 2>&1 || true
  rm -rf "$tmp"
}
trap cleanup EXIT
if [ "$STORE" = postgres ]; then
  psql "$ADMIN" -qc "CREATE DATABASE $DB" >/dev/null
  URL="${ADMIN%/*}/$DB"
else
  URL="sqlite://$tmp/soak.db"
fi
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
base="http://127.0.0.1:$port"
$BIN migrate --database-url "$URL" >/dev/null 2>&1
editor=$($BIN user add --role editor --name "Soak editor" --database-url "$URL" 2>/dev/null)
org1=$($BIN user add --role organization --name "Soak org 1" --database-url "$URL" 2>/dev/null)
org2=$($BIN user add --role organization --name "Soak org 2" --database-url "$URL" 2>/dev/null)
RUST_LOG=warn $BIN serve --listen "127.0.0.1:$port" --database-url "$URL" \
  --submissions-per-hour 1000000 --suggestions-per-hour 1000000 --max-pending-per-organization 1000000 \
  >"$tmp/server.log" 2>&1 &
until curl -sf "$base/healthz" >/dev/null; do sleep 0.2; done
one=$(curl -s "$base/collections/assets/items?limit=1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["features"][0]["id"])')
wrk -t1 -c8 -d"${SECS}s" --latency "$base/collections/assets/items?bbox=-122.40,47.60,-122.30,47.70" >"$tmp/bbox.txt" &
wrk1=$!
wrk -t1 -c8 -d"${SECS}s" --latency "$base/collections/assets/items/$one" >"$tmp/one.txt" &
wrk2=$!
python3 benches/soak_writers.py "$base" "$SECS" "$editor" "$org1" "$org2" >"$tmp/writers.json" &
writers=$!
if [ "$STORE" = postgres ]; then
  sleep $((SECS / 2))
  cluster=$(pg_lsclusters --no-header | awk 'NR==1 {print $1" "$2}')
  echo "restarting PostgreSQL ($cluster) at $((SECS / 2)) s"
  pg_ctlcluster --skip-systemctl-redirect $cluster restart
fi
wait $writers $wrk1 $wrk2
read_line() {
  local f=$1
  local req p50 p99 bad
  req=$(awk '/Requests\/sec/ {print $2}' "$f")
  p50=$(awk '$1=="50%" {print $2}' "$f")
  p99=$(awk '$1=="99%" {print $2}' "$f")
  bad=$(awk '/Non-2xx/ {print $NF}' "$f"); bad=${bad:-0}
  echo "$req req/s, p50 $p50, p99 $p99, non-2xx $bad"
}
echo "store: $STORE, $SECS s"
echo "reads bbox: $(read_line "$tmp/bbox.txt")"
echo "reads one:  $(read_line "$tmp/one.txt")"
echo "writes:     $(cat "$tmp/writers.json")"
grep -E "ERROR|panicked" "$tmp/server.log" | head -5 || true
python3 - "$tmp/writers.json" "$tmp/bbox.txt" "$tmp/one.txt" <<'PY'
import json, re, sys
w = json.load(open(sys.argv[1]))
bad = sum(int(m.group(1)) for f in sys.argv[2:] for m in [re.search(r"Non-2xx or 3xx responses: (\d+)", open(f).read())] if m)
ok = w["failed_5xx"] == 0 and w["missing"] == 0 and bad == 0
print("soak:", "PASS" if ok else "FAIL", f"(5xx writes {w['failed_5xx']}, missing {w['missing']}, non-2xx reads {bad})")
sys.exit(0 if ok else 1)
PY
