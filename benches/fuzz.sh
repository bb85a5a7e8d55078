#!/usr/bin/env bash
# The longer fuzzing run: the property tests of tests/fuzz.rs with many more
# cases than CI runs (256 each). Usage: benches/fuzz.sh [CASES]  (default 20000)
set -euo pipefail
cd "$(dirname "$0")/.."
cases="${1:-20000}"
start=$(date +%s)
PROPTEST_CASES="$cases" cargo test --release --test fuzz -- --test-threads=2
echo "fuzz: $cases cases per property in $(( $(date +%s) - start )) s"
