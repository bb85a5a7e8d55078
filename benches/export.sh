#!/usr/bin/env bash
# Memory growth of the server while it streams an export of 1,000,000 assets
# (GeoJSON and CSV), and how long each takes.
# Usage: benches/export.sh [N]   (needs PostgreSQL with PostGIS, as scripts/test.sh sets up)
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-1000000}
PG_ADMIN=${ASSETMAP_TEST_PG_URL:-postgres://postgres@127.0.0.1:5432/postgres}
PG_DB=assetmap_bench_export
PG_URL="${PG_ADMIN%/*}/$PG_DB"
cargo build --release --quiet
BIN=target/release/assetmap
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"; kill $(jobs -p) 2>/dev/null || true' EXIT

psql "$PG_ADMIN" -qc "DROP DATABASE IF EXISTS $PG_DB WITH (FORCE)" -c "CREATE DATABASE $PG_DB" 2>/dev/null
$BIN migrate --database-url "$PG_URL" 2>/dev/null
psql "$PG_URL" -q >/dev/null <<SQL
ALTER TABLE assets DISABLE TRIGGER assets_notify;
SELECT setseed(0.42);
INSERT INTO assets (id, name, category, address, phone, languages, source, source_id, status, created_at, updated_at, geom, extra)
SELECT gen_random_uuid(), 'Asset ' || g, (ARRAY['health','food','library','parks_recreation','youth_programs','community_centre'])[1 + g % 6],
       g || ' Example Ave', '206-555-0100', '{en}', 'bench', g::text, 'approved', now(), now(),
       ST_SetSRID(ST_MakePoint(-122.45 + random() * 0.23, 47.48 + random() * 0.26), 4326),
       jsonb_build_object('license', 'CC0', 'ward', g % 7)
FROM generate_series(1, $N) g;
ALTER TABLE assets ENABLE TRIGGER assets_notify;
SQL
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
RUST_LOG=warn $BIN serve --no-demo --listen 127.0.0.1:$port --database-url "$PG_URL" >"$tmp/server.log" 2>&1 &
pid=$!
until curl -sf "http://127.0.0.1:$port/healthz" >/dev/null; do sleep 0.1; done
sleep 2
python3 - "$pid" "http://127.0.0.1:$port" <<'PY'
import subprocess, sys, threading, time
pid, base = sys.argv[1], sys.argv[2]
def rss():
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
for file in ["assets.geojson", "assets.csv"]:
    baseline = rss()
    peak = [baseline]
    done = threading.Event()
    def sample():
        while not done.is_set():
            peak[0] = max(peak[0], rss())
            time.sleep(0.02)
    t = threading.Thread(target=sample); t.start()
    t0 = time.monotonic()
    out = subprocess.run(["curl", "-sf", "-o", "/dev/null", "-w", "%{size_download}", f"{base}/export/{file}"], capture_output=True, text=True, check=True)
    took = time.monotonic() - t0
    done.set(); t.join()
    print(f"{file}: {int(out.stdout) / 2**20:.0f} MiB in {took:.1f} s; server RSS {baseline:.0f} MiB before, growth at most {peak[0] - baseline:.0f} MiB")
PY
kill $pid; wait $pid 2>/dev/null || true
psql "$PG_ADMIN" -qc "DROP DATABASE IF EXISTS $PG_DB WITH (FORCE)"
