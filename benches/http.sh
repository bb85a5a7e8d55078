#!/usr/bin/env bash
# HTTP read throughput of a release server over 100,000 assets, measured with
# wrk from this machine (2 cores shared by server and client): a bbox of about
# 100 features, one feature by id, a page of 1,000, and a whole catchment.
# Usage: benches/http.sh [N]   (installs nothing: needs wrk, e.g. apt-get install wrk)
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-100000}
cargo build --release --quiet
BIN=target/release/assetmap
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"; kill $(jobs -p) 2>/dev/null || true' EXIT
URL="sqlite://$tmp/http.db"
# The Seattle demo (schools, areas, 643 assets), then N more assets over Seattle.
$BIN migrate --database-url "$URL" 2>/dev/null
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
RUST_LOG=warn $BIN serve --listen 127.0.0.1:$port --database-url "$URL" >"$tmp/server.log" 2>&1 & pid=$!
until curl -sf "http://127.0.0.1:$port/healthz" >/dev/null; do sleep 0.1; done
kill $pid; wait $pid 2>/dev/null || true
python3 benches/seed_sqlite.py "$tmp/http.db" "$N"
RUST_LOG=warn $BIN serve --no-demo --listen 127.0.0.1:$port --database-url "$URL" >"$tmp/server.log" 2>&1 & pid=$!
until curl -sf "http://127.0.0.1:$port/healthz" >/dev/null; do sleep 0.1; done
base="http://127.0.0.1:$port"
# A box holding about 100 of the N assets.
w=$(python3 -c "print(0.23 * (100 / $N) ** 0.5)"); h=$(python3 -c "print(0.26 * (100 / $N) ** 0.5)")
bbox=$(python3 -c "print(f'-122.33,47.60,{-122.33 + $w:.6f},{47.60 + $h:.6f}')")
one=$(curl -s "$base/collections/assets/items?limit=1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["features"][0]["id"])')
for name in bbox one page catchment; do
  case $name in
    bbox) path="/collections/assets/items?bbox=$bbox" ;;
    one) path="/collections/assets/items/$one" ;;
    page) path="/collections/assets/items?limit=1000&offset=5000" ;;
    catchment) path="/collections/assets/items?school=201&limit=10000" ;;
  esac
  n=$(curl -s "$base$path" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d.get("numberReturned", 1))')
  size=$(curl -s -o /dev/null -w '%{size_download}' "$base$path")
  rps=$(wrk -t1 -c32 -d10s "$base$path" | awk '/Requests\/sec/ {print $2}')
  printf '%-9s %6s features, %8s bytes: %10s requests/s\n' "$name" "$n" "$size" "$rps"
done
