#!/usr/bin/env bash
# HTTP reads of a release server over the Seattle demo plus N assets, each held
# against the ceiling of a zero-work server (examples/replay.rs) answering the
# same requests with assetmap's own recorded response bytes, in one run: a bbox
# of about 100 features, one feature by id, a page of 1,000, a whole catchment.
# wrk -t2 -c32 (-c4 for the catchment), ROUNDS rounds, the two servers in turn;
# prints requests/s medians and each read as a share of the replay.
# Usage: benches/http.sh [N] [ROUNDS]   (needs wrk, e.g. apt-get install wrk)
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-100000}; ROUNDS=${2:-3}; SECS=${SECS:-5}
cargo build --release --quiet
cargo build --release --quiet --example replay
BIN=target/release/assetmap; REPLAY=target/release/examples/replay
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"; kill $(jobs -p) 2>/dev/null || true' EXIT
URL="sqlite://$tmp/http.db"
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
port=$(free_port); rport=$(free_port)
base="http://127.0.0.1:$port"; rbase="http://127.0.0.1:$rport"
serve() { RUST_LOG=warn $BIN serve "$@" --listen 127.0.0.1:$port --database-url "$URL" >"$tmp/server.log" 2>&1 & pid=$!
  until curl -sf "$base/healthz" >/dev/null; do sleep 0.1; done; }
# The Seattle demo (schools, areas, 643 assets), then N more assets over Seattle.
serve; kill $pid; wait $pid 2>/dev/null || true
python3 benches/seed_sqlite.py "$tmp/http.db" "$N"
serve --no-demo
# A box holding about 100 of the N assets.
w=$(python3 -c "print(0.23 * (100 / $N) ** 0.5)"); h=$(python3 -c "print(0.26 * (100 / $N) ** 0.5)")
bbox=$(python3 -c "print(f'-122.33,47.60,{-122.33 + $w:.6f},{47.60 + $h:.6f}')")
one=$(curl -s "$base/collections/assets/items?limit=1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["features"][0]["id"])')
names=(bbox one page catchment)
declare -A paths=(
  [bbox]="/collections/assets/items?bbox=$bbox"
  [one]="/collections/assets/items/$one"
  [page]="/collections/assets/items?limit=1000&offset=5000"
  [catchment]="/collections/assets/items?school=201&limit=10000"
)
declare -A conns=([bbox]=32 [one]=32 [page]=32 [catchment]=4)
# Record assetmap's answers for the replay.
for name in "${names[@]}"; do
  ct=$(curl -s -o "$tmp/$name.body" -w '%{content_type}' "$base${paths[$name]}")
  printf '%s\t%s\t%s\n' "${paths[$name]}" "$ct" "$tmp/$name.body" >>"$tmp/manifest"
done
$REPLAY 127.0.0.1:$rport "$tmp/manifest" & rpid=$!
until curl -sf -o /dev/null "$rbase${paths[one]}"; do sleep 0.1; done
for name in "${names[@]}"; do
  cmp -s <(curl -s "$rbase${paths[$name]}") "$tmp/$name.body" || { echo "replay differs for $name" >&2; exit 1; }
done
: >"$tmp/results"
for round in $(seq 1 "$ROUNDS"); do
  for name in "${names[@]}"; do
    for who in assetmap replay; do
      b=$base; [ $who = replay ] && b=$rbase
      rps=$(wrk -t2 -c${conns[$name]} -d${SECS}s "$b${paths[$name]}" | awk '/Requests\/sec/ {print $2}')
      echo "$round $who $name $rps" >>"$tmp/results"
    done
  done
done
python3 - "$tmp/results" "$tmp" "$N" <<'PY'
import sys, os, statistics, collections, json
results, tmp, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
r = collections.defaultdict(list)
for line in open(results):
    _, who, name, rps = line.split()
    r[(who, name)].append(float(rps))
print(f"{n} generated assets + the demo; medians of {len(r[('assetmap', 'bbox')])} rounds")
print(f"| read | features | bytes | assetmap req/s | replay req/s | share |")
print(f"|---|---:|---:|---:|---:|---:|")
for name in ['bbox', 'one', 'page', 'catchment']:
    body = open(os.path.join(tmp, name + '.body'), 'rb').read()
    feats = json.loads(body).get('numberReturned', 1)
    a, b = statistics.median(r[('assetmap', name)]), statistics.median(r[('replay', name)])
    print(f"| {name} | {feats} | {len(body)} | {a:,.0f} | {b:,.0f} | {100 * a / b:.0f}% |")
PY
