#!/usr/bin/env bash
# HTTP reads of two builds of assetmap, A and B, in one run: the same database
# (the Seattle demo plus N assets), the same four reads as benches/http.sh, each
# build served in turn for ROUNDS rounds so that the machine's noise falls on
# both alike. Prints requests/s per round and the median of each.
# Usage: benches/http_ab.sh BIN_A BIN_B [N] [ROUNDS]   (needs wrk)
# Example (before and after a change):
#   git worktree add /tmp/before <rev> && (cd /tmp/before && CARGO_TARGET_DIR=$PWD/../before-target cargo build --release)
#   cargo build --release && benches/http_ab.sh /tmp/before-target/release/assetmap target/release/assetmap
set -euo pipefail
cd "$(dirname "$0")/.."
A=$(realpath "$1"); B=$(realpath "$2"); N=${3:-100000}; ROUNDS=${4:-3}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"; kill $(jobs -p) 2>/dev/null || true' EXIT
URL="sqlite://$tmp/http.db"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
base="http://127.0.0.1:$port"
serve() { RUST_LOG=warn "$1" serve "${@:2}" --listen 127.0.0.1:$port --database-url "$URL" >"$tmp/server.log" 2>&1 & pid=$!
  until curl -sf "$base/healthz" >/dev/null; do sleep 0.1; done; }
stop() { kill $pid; wait $pid 2>/dev/null || true; }
# The demo set through build A, then N generated assets.
serve "$A"; stop
python3 benches/seed_sqlite.py "$tmp/http.db" "$N"
w=$(python3 -c "print(0.23 * (100 / $N) ** 0.5)"); h=$(python3 -c "print(0.26 * (100 / $N) ** 0.5)")
bbox=$(python3 -c "print(f'-122.33,47.60,{-122.33 + $w:.6f},{47.60 + $h:.6f}')")
serve "$A" --no-demo
one=$(curl -s "$base/collections/assets/items?limit=1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["features"][0]["id"])')
stop
declare -A paths=(
  [bbox]="/collections/assets/items?bbox=$bbox"
  [one]="/collections/assets/items/$one"
  [page]="/collections/assets/items?limit=1000&offset=5000"
  [catchment]="/collections/assets/items?school=201&limit=10000"
)
for round in $(seq 1 "$ROUNDS"); do
  for build in A B; do
    bin=$A; [ $build = B ] && bin=$B
    serve "$bin" --no-demo
    for name in bbox one page catchment; do
      rps=$(wrk -t1 -c32 -d5s "$base${paths[$name]}" | awk '/Requests\/sec/ {print $2}')
      echo "$round $build $name $rps" | tee -a "$tmp/results"
    done
    stop
  done
done
python3 - "$tmp/results" <<'PY'
import sys, statistics, collections
r = collections.defaultdict(list)
for line in open(sys.argv[1]):
    _, build, name, rps = line.split()
    r[(build, name)].append(float(rps))
print(f"{'read':10} {'A median':>10} {'B median':>10} {'B/A':>6}")
for name in ['bbox', 'one', 'page', 'catchment']:
    a, b = statistics.median(r[('A', name)]), statistics.median(r[('B', name)])
    print(f"{name:10} {a:10.0f} {b:10.0f} {b / a:6.2f}")
PY
