#!/usr/bin/env bash
# Where a read's time goes: a release server over the Seattle demo plus N
# assets is sampled with `perf record` (Debian's linux-perf) while wrk drives
# one read; prints the symbols with the most samples (self time), grouped as
# the kernel (sockets), hyper/tokio (the connection), tower/axum layers,
# assetmap's own code and the allocator.
# Usage: benches/profile.sh [one|bbox|page|catchment] [N] [SECS]
set -euo pipefail
cd "$(dirname "$0")/.."
READ=${1:-one}; N=${2:-100000}; SECS=${3:-10}
command -v perf >/dev/null || { echo "needs perf: apt-get install linux-perf" >&2; exit 1; }
command -v wrk >/dev/null || { echo "needs wrk: apt-get install wrk" >&2; exit 1; }
cargo build --release --quiet
BIN=target/release/assetmap
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"; kill $(jobs -p) 2>/dev/null || true' EXIT
URL="sqlite://$tmp/p.db"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
base="http://127.0.0.1:$port"
serve() { RUST_LOG=warn $BIN serve "$@" --listen 127.0.0.1:$port --database-url "$URL" >"$tmp/server.log" 2>&1 & pid=$!
  until curl -sf "$base/healthz" >/dev/null; do sleep 0.1; done; }
serve; kill $pid; wait $pid 2>/dev/null || true
python3 benches/seed_sqlite.py "$tmp/p.db" "$N"
serve --no-demo
w=$(python3 -c "print(0.23 * (100 / $N) ** 0.5)"); h=$(python3 -c "print(0.26 * (100 / $N) ** 0.5)")
bbox=$(python3 -c "print(f'-122.33,47.60,{-122.33 + $w:.6f},{47.60 + $h:.6f}')")
one=$(curl -s "$base/collections/assets/items?limit=1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["features"][0]["id"])')
case $READ in
  one) path="/collections/assets/items/$one"; c=32 ;;
  bbox) path="/collections/assets/items?bbox=$bbox"; c=32 ;;
  page) path="/collections/assets/items?limit=1000&offset=5000"; c=32 ;;
  catchment) path="/collections/assets/items?school=201&limit=10000"; c=4 ;;
  *) echo "unknown read $READ" >&2; exit 1 ;;
esac
wrk -t2 -c$c -d2s "$base$path" >/dev/null   # warm
perf record -F 999 -p "$pid" -o "$tmp/perf.data" -- sleep "$SECS" 2>/dev/null &
rec=$!
wrk -t2 -c$c -d"${SECS}s" "$base$path" | grep -E "Requests/sec|Latency"
wait $rec || true
echo "== $READ: symbols by self time (share of the server's samples)"
perf report -i "$tmp/perf.data" --no-children --stdio --sort symbol --percent-limit 0.7 2>/dev/null |
  grep -E '^ +[0-9.]+%' | sed -E 's/[[:space:]]+-[[:space:]]+-[[:space:]]*$//; s/[[:space:]]+$//' | head -40
echo "== by part"
perf report -i "$tmp/perf.data" --no-children --stdio --sort dso,symbol --percent-limit 0 2>/dev/null |
  grep -E '^ +[0-9.]+%' | python3 -c '
import sys, re, collections
parts = collections.Counter()
for line in sys.stdin:
    m = re.match(r"\s+([0-9.]+)%\s+(\S+)\s+\[(.)\]\s+(.*)", line)
    if not m: continue
    pct, dso, kind, sym = float(m.group(1)), m.group(2), m.group(3), m.group(4)
    if kind == "k": part = "kernel (sockets, scheduling)"
    elif "malloc" in sym or "free" in sym or "alloc" in sym and "assetmap" not in sym: part = "allocator"
    elif "assetmap::" in sym: part = "assetmap"
    elif re.search(r"hyper|h2::|httparse", sym): part = "hyper (HTTP/1)"
    elif re.search(r"tokio|mio|parking", sym): part = "tokio (runtime)"
    elif re.search(r"tower|axum|tracing|http::|matchit", sym): part = "axum/tower layers, tracing, http types"
    elif re.search(r"memcpy|memmove|memset", sym): part = "memcpy/memset"
    elif dso.startswith("libc"): part = "libc (other)"
    else: part = "other"
    parts[part] += pct
for part, pct in parts.most_common():
    print(f"{pct:6.1f}%  {part}")
'
