#!/usr/bin/env bash
# What one request costs, in CPU instructions, for assetmap and for the
# zero-work replay of its own bytes (examples/replay.rs): callgrind counts the
# instructions of each server over K keep-alive requests and over none; the
# difference divided by K is the cost of a request. Instruction counts do not
# depend on what else the shared machine is doing, so small changes show.
# Usage: benches/request_cost.sh [K] [N]   (K requests per read, N generated assets; needs valgrind)
# ASSETMAP_BIN=path measures another build of assetmap (e.g. before a change).
# ONLY=one measures one read; REPEAT=3 takes the least of three measurements. ANNOTATE=one (or bbox, page, catchment) then prints where that read's
# instructions go: callgrind_annotate's functions by inclusive count, over K requests.
set -euo pipefail
cd "$(dirname "$0")/.."
K=${1:-1000}; N=${2:-10000}
cargo build --release --quiet --example replay
if [ -z "${ASSETMAP_BIN:-}" ]; then cargo build --release --quiet; fi
BIN=$(realpath "${ASSETMAP_BIN:-target/release/assetmap}"); REPLAY=$PWD/target/release/examples/replay
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"; kill $(jobs -p) 2>/dev/null || true' EXIT
URL="sqlite://$tmp/db.db"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
base="http://127.0.0.1:$port"
wait_up() { until curl -sf -o /dev/null "$base$1"; do sleep 0.2; done; }
RUST_LOG=warn $BIN serve --listen 127.0.0.1:$port --database-url "$URL" >/dev/null 2>&1 & pid=$!
wait_up /healthz; kill $pid; wait $pid 2>/dev/null || true
python3 benches/seed_sqlite.py "$tmp/db.db" "$N"
RUST_LOG=warn $BIN serve --no-demo --listen 127.0.0.1:$port --database-url "$URL" >/dev/null 2>&1 & pid=$!
wait_up /healthz
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
for name in "${names[@]}"; do
  ct=$(curl -s -o "$tmp/$name.body" -w '%{content_type}' "$base${paths[$name]}")
  printf '%s\t%s\t%s\n' "${paths[$name]}" "$ct" "$tmp/$name.body" >>"$tmp/manifest"
done
kill $pid; wait $pid 2>/dev/null || true

# Instructions of one server run: start under callgrind, send `count` requests
# for `path` on one keep-alive connection, stop.
run() { # who path count
  local out="$tmp/cg.$RANDOM"
  if [ "$1" = assetmap ]; then
    RUST_LOG=warn valgrind --tool=callgrind --callgrind-out-file="$out" $BIN serve --no-demo --listen 127.0.0.1:$port --database-url "$URL" >/dev/null 2>"$out.log" & pid=$!
    wait_up /healthz
  else
    valgrind --tool=callgrind --callgrind-out-file="$out" $REPLAY 127.0.0.1:$port "$tmp/manifest" >/dev/null 2>"$out.log" & pid=$!
    wait_up "$2"
  fi
  python3 - "$port" "$2" "$3" <<'PY'
import http.client, sys
port, path, n = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
c = http.client.HTTPConnection('127.0.0.1', port)
for _ in range(n):
    c.request('GET', path); r = c.getresponse(); r.read()
PY
  kill -INT $pid; wait $pid 2>/dev/null || true
  sed -n 's/.*Collected : \([0-9]*\).*/\1/p' "$out.log"
}
echo "| read | bytes | assetmap instructions/request | replay instructions/request | replay/assetmap |"
echo "|---|---:|---:|---:|---:|"
# ONLY=one (or bbox, …) measures that read alone.
[ -n "${ONLY:-}" ] && names=("$ONLY")
for name in "${names[@]}"; do
  p=${paths[$name]}
  # The least of REPEAT measurements: what a server does besides the requests
  # (the database pool's upkeep) only ever adds to a count.
  a=; r=
  for _ in $(seq "${REPEAT:-1}"); do
    x=$(( ($(run assetmap "$p" "$K") - $(run assetmap "$p" 1)) / (K - 1) ))
    y=$(( ($(run replay "$p" "$K") - $(run replay "$p" 1)) / (K - 1) ))
    if [ -z "$a" ] || [ "$x" -lt "$a" ]; then a=$x; fi
    if [ -z "$r" ] || [ "$y" -lt "$r" ]; then r=$y; fi
  done
  printf '| %s | %s | %s | %s | %s%% |\n' "$name" "$(stat -c %s "$tmp/$name.body")" "$a" "$r" "$(( 100 * r / a ))"
done
if [ -n "${ANNOTATE:-}" ]; then
  # Only the requests are counted: the counters are zeroed once the server is
  # up and dumped after the last request (callgrind_control), so start-up
  # (loading the index) and shutdown stay out.
  p=${paths[$ANNOTATE]}
  out="$tmp/cg.annotate"
  RUST_LOG=warn valgrind --tool=callgrind --callgrind-out-file="$out" $BIN serve --no-demo --listen 127.0.0.1:$port --database-url "$URL" >/dev/null 2>"$out.log" & pid=$!
  wait_up /healthz
  callgrind_control -z $pid >/dev/null
  python3 - "$port" "$p" "$K" <<'PY'
import http.client, sys
port, path, n = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
c = http.client.HTTPConnection('127.0.0.1', port)
for _ in range(n):
    c.request('GET', path); r = c.getresponse(); r.read()
PY
  callgrind_control -d $pid >/dev/null
  kill -9 $pid; wait $pid 2>/dev/null || true
  out="$out.1"
  echo
  echo "== $ANNOTATE: functions by inclusive instructions over $K requests (callgrind_annotate; requests only)"
  callgrind_annotate --inclusive=yes --threshold=100 "$out" 2>/dev/null | grep -E '^ *[0-9,]+ ' | head -${ANNOTATE_LINES:-70} || true
  if [ -n "${ANNOTATE_SELF:-}" ]; then
    echo
    echo "== $ANNOTATE: functions by their own instructions"
    callgrind_annotate --inclusive=no --threshold=100 "$out" 2>/dev/null | grep -E '^ *[0-9,]+ ' | head -${ANNOTATE_LINES:-70} || true
  fi
fi
