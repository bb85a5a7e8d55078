#!/usr/bin/env bash
# Writes per second through the API (POST /collections/assets/items as an
# editor), on SQLite and on PostGIS, each write committed durably before it is
# acknowledged. Four client threads with keep-alive connections, 10 seconds each.
# Usage: benches/writes.sh   (needs PostgreSQL with PostGIS, as scripts/test.sh sets up)
set -euo pipefail
cd "$(dirname "$0")/.."
PG_ADMIN=${ASSETMAP_TEST_PG_URL:-postgres://postgres@127.0.0.1:5432/postgres}
PG_DB=assetmap_bench_writes
cargo build --release --quiet
BIN=target/release/assetmap
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"; kill $(jobs -p) 2>/dev/null || true' EXIT

measure() {
  local label=$1 url=$2 port
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  $BIN migrate --database-url "$url" 2>/dev/null
  local token; token=$($BIN user add --role editor --name bench --database-url "$url" 2>/dev/null)
  RUST_LOG=warn $BIN serve --listen 127.0.0.1:$port --database-url "$url" >>"$tmp/server.log" 2>&1 &
  local pid=$!
  until curl -sf "http://127.0.0.1:$port/healthz" >/dev/null; do sleep 0.1; done
  python3 - "$label" "$port" "$token" <<'PY'
import http.client, json, sys, threading, time
label, port, token = sys.argv[1], int(sys.argv[2]), sys.argv[3]
DURATION, THREADS = 10.0, 4
counts = [0] * THREADS
def run(t):
    c = http.client.HTTPConnection("127.0.0.1", port)
    end, i = time.monotonic() + DURATION, 0
    while time.monotonic() < end:
        body = json.dumps({"type": "Feature", "geometry": {"type": "Point", "coordinates": [-122.39, 47.67]},
                           "properties": {"name": f"Bench {t}-{i}", "category": "food"}})
        c.request("POST", "/collections/assets/items", body, {"Authorization": "Bearer " + token, "Content-Type": "application/geo+json"})
        r = c.getresponse(); r.read()
        assert r.status == 201, r.status
        counts[t] += 1; i += 1
threads = [threading.Thread(target=run, args=(t,)) for t in range(THREADS)]
[t.start() for t in threads]; [t.join() for t in threads]
print(f"{label}: {sum(counts) / DURATION:.0f} writes/s ({sum(counts)} in {DURATION:.0f} s, {THREADS} clients)")
PY
  kill $pid; wait $pid 2>/dev/null || true
}

measure "SQLite (WAL, synchronous=FULL)" "sqlite://$tmp/writes.db"
psql "$PG_ADMIN" -qc "DROP DATABASE IF EXISTS $PG_DB WITH (FORCE)" -c "CREATE DATABASE $PG_DB" 2>/dev/null
measure "PostGIS" "${PG_ADMIN%/*}/$PG_DB"
psql "$PG_ADMIN" -qc "DROP DATABASE IF EXISTS $PG_DB WITH (FORCE)"
