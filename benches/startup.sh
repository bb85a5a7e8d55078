#!/usr/bin/env bash
# Start-up time and memory of `assetmap serve` over 1,000,000 assets, on SQLite
# and on PostGIS, and how long a change takes to reach a second server.
# Usage: benches/startup.sh [N]   (needs PostgreSQL with PostGIS, as scripts/test.sh sets up)
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-1000000}
PG_ADMIN=${ASSETMAP_TEST_PG_URL:-postgres://postgres@127.0.0.1:5432/postgres}
PG_DB=assetmap_bench_startup
PG_URL="${PG_ADMIN%/*}/$PG_DB"
cargo build --release --quiet
BIN=target/release/assetmap
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"; kill $(jobs -p) 2>/dev/null || true' EXIT

now() { date +%s.%N; }
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# Starts a server, waits for /healthz, prints "seconds, peak RSS", leaves it
# running as $SERVER_PID at $SERVER_BASE.
start_server() {
  local url=$1 p; p=$(port)
  local t0; t0=$(now)
  RUST_LOG=warn $BIN serve --no-demo --listen 127.0.0.1:$p --database-url "$url" >>"$tmp/server.log" 2>&1 &
  SERVER_PID=$!
  until curl -sf "http://127.0.0.1:$p/healthz" >/dev/null; do sleep 0.05; done
  local t1; t1=$(now)
  SERVER_BASE="http://127.0.0.1:$p"
  local rss; rss=$(awk '/VmHWM/ {print $2}' /proc/$SERVER_PID/status)
  python3 -c "print(f'{$t1-$t0:.2f} s, peak RSS {$rss/1024:.0f} MiB')"
}

echo "== SQLite, $N assets"
SQLITE_URL="sqlite://$tmp/bench.db"
$BIN migrate --database-url "$SQLITE_URL" 2>/dev/null
python3 benches/seed_sqlite.py "$tmp/bench.db" "$N" 42
echo -n "start-up: "; start_server "$SQLITE_URL"
kill $SERVER_PID; wait $SERVER_PID 2>/dev/null || true

echo "== PostGIS, $N assets"
psql "$PG_ADMIN" -qc "DROP DATABASE IF EXISTS $PG_DB WITH (FORCE)" -c "CREATE DATABASE $PG_DB" >/dev/null
$BIN migrate --database-url "$PG_URL" 2>/dev/null
psql "$PG_URL" -q <<SQL
ALTER TABLE assets DISABLE TRIGGER assets_notify;
SELECT setseed(0.42);
INSERT INTO assets (id, name, category, address, phone, languages, source, source_id, status, created_at, updated_at, geom)
SELECT gen_random_uuid(), 'Asset ' || g, (ARRAY['health','food','library','parks_recreation','youth_programs','community_centre'])[1 + g % 6],
       g || ' Example Ave', '206-555-0100', '{en}', 'bench', g::text, 'approved', now(), now(),
       ST_SetSRID(ST_MakePoint(-122.45 + random() * 0.23, 47.48 + random() * 0.26), 4326)
FROM generate_series(1, $N) g;
ALTER TABLE assets ENABLE TRIGGER assets_notify;
VACUUM ANALYZE assets;
SQL
echo -n "start-up: "; start_server "$PG_URL"
FIRST_PID=$SERVER_PID; FIRST=$SERVER_BASE
start_server "$PG_URL" >/dev/null
SECOND=$SERVER_BASE

echo "== propagation of one committed change to both servers (20 updates, PostGIS)"
python3 - "$PG_URL" "$FIRST" "$SECOND" <<'PY'
import json, subprocess, sys, time, urllib.request
url, first, second = sys.argv[1:4]
psql = lambda sql: subprocess.run(["psql", url, "-Atqc", sql], check=True, capture_output=True, text=True).stdout.strip()
asset = psql("SELECT id FROM assets WHERE source_id = '1'")
def name(base):
    with urllib.request.urlopen(f"{base}/collections/assets/items/{asset}") as r:
        return json.load(r)["properties"]["name"]
lat = []
for i in range(20):
    psql(f"UPDATE assets SET name = 'Renamed {i}' WHERE id = '{asset}'")
    t0 = time.perf_counter()  # the UPDATE has committed when psql returns
    pending = {first, second}
    while pending:
        pending = {b for b in pending if name(b) != f"Renamed {i}"}
    lat.append((time.perf_counter() - t0) * 1000)
lat.sort()
print(f"commit to visible on both servers: median {lat[len(lat)//2]:.0f} ms, max {lat[-1]:.0f} ms")
PY
kill $FIRST_PID $SERVER_PID; wait 2>/dev/null || true
psql "$PG_ADMIN" -qc "DROP DATABASE IF EXISTS $PG_DB WITH (FORCE)"
