#!/usr/bin/env bash
# The document is the contract: runs schemathesis (PyPI) with every check
# against a real server on a fresh embedded database holding the demo data,
# generating requests from the server's own /api. Exits non-zero on any failure.
#
# Usage: scripts/schemathesis.sh [BIN] [extra schemathesis options]
#   BIN defaults to target/debug/assetmap. SCHEMATHESIS_SEED fixes the seed
#   (scripts/test.sh fixes one so that CI runs the same cases every time;
#   run without it to explore).
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:-target/debug/assetmap}
shift || true

if ! command -v schemathesis >/dev/null 2>&1; then
  echo "installing schemathesis (PyPI)"
  python3 -m pip install --quiet 'schemathesis>=4.3,<5' 2>/dev/null ||
    python3 -m pip install --quiet --break-system-packages 'schemathesis>=4.3,<5'
fi

dir=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
# The sign-up and suggestion limits are raised so that the generated requests
# reach the logic behind them; everything else is as served.
"$bin" serve --listen "127.0.0.1:$port" --database-url "sqlite://$dir/st.db" \
  --signups-per-hour 1000000 --suggestions-per-hour 1000000 >"$dir/serve.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true; wait $server 2>/dev/null || true; rm -rf "$dir"' EXIT
for _ in $(seq 1 100); do
  curl -fsS "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && break
  sleep 0.2
done

seed=()
if [ -n "${SCHEMATHESIS_SEED:-}" ]; then seed=(--seed "$SCHEMATHESIS_SEED"); fi
SCHEMATHESIS_HOOKS=schemathesis_hooks PYTHONPATH="$PWD/scripts${PYTHONPATH:+:$PYTHONPATH}" \
  schemathesis run "http://127.0.0.1:$port/api" \
  --checks all --max-examples "${SCHEMATHESIS_EXAMPLES:-20}" --workers 1 \
  --no-color "${seed[@]}" "$@"
