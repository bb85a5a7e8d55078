#!/usr/bin/env bash
# The bulk catchment join: 1,000,000 assets against the 80 Seattle attendance
# areas (elementary, middle, high), by `assetmap join` and by PostGIS
# (ST_Covers with a GiST index) in the same run, with the same answer.
# Usage: benches/join.sh [N]   (needs PostgreSQL with PostGIS, as scripts/test.sh sets up)
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-1000000}
PG_ADMIN=${ASSETMAP_TEST_PG_URL:-postgres://postgres@127.0.0.1:5432/postgres}
PG_DB=assetmap_bench_join
PG_URL="${PG_ADMIN%/*}/$PG_DB"
cargo build --release --quiet
BIN=target/release/assetmap
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
D=data/seattle

python3 - "$N" "$tmp" <<'PY'
import json, random, sys
n, tmp = int(sys.argv[1]), sys.argv[2]
random.seed(42)
with open(f"{tmp}/assets.geojson", "w") as g, open(f"{tmp}/assets.csv", "w") as c:
    g.write('{"type":"FeatureCollection","features":[\n')
    for i in range(n):
        lon, lat = -122.45 + random.random() * 0.23, 47.48 + random.random() * 0.26
        g.write(("," if i else "") + json.dumps({"type": "Feature", "geometry": {"type": "Point", "coordinates": [lon, lat]},
                 "properties": {"id": str(i), "name": f"Asset {i}", "category": "food"}}) + "\n")
        c.write(f"{i},{lon!r},{lat!r}\n")
    g.write("]}\n")
PY

echo "== assetmap join, $N assets"
t0=$(date +%s.%N)
$BIN join --assets "$tmp/assets.geojson" --id-field id \
  --catchments $D/sps_attendance_area_ES_2020_2021.geojson --school-field ES_SCH --year 2020-2021 \
  --catchments $D/sps_attendance_area_MS_2020_2021.geojson --school-field MS_SCH --year 2020-2021 \
  --catchments $D/sps_attendance_area_HS_2020_2021.geojson --school-field HS_SCH --year 2020-2021 \
  --out "$tmp/join.csv"
t1=$(date +%s.%N)
echo "containments: $(awk -F, 'NR > 1 && $(NF-1) != "\"\"" {n++} END {print n}' "$tmp/join.csv")"
python3 -c "print(f'wall time, reading the 1M-feature file included: {$t1-$t0:.2f} s')"

echo "== PostGIS, the same points and areas"
psql "$PG_ADMIN" -qc "DROP DATABASE IF EXISTS $PG_DB WITH (FORCE)" -c "CREATE DATABASE $PG_DB" 2>/dev/null
$BIN import schools $D/Sites_2020.geojson --id-field SchoolID --name-field property_l --database-url "$PG_URL" 2>/dev/null
for l in ES MS HS; do
  $BIN import catchments $D/sps_attendance_area_${l}_2020_2021.geojson --school-field ${l}_SCH --year 2020-2021 --database-url "$PG_URL" 2>/dev/null
done
psql "$PG_URL" -q <<SQL
CREATE TABLE pts (id text, lon float8, lat float8);
\copy pts FROM '$tmp/assets.csv' WITH (FORMAT csv)
ALTER TABLE pts ADD COLUMN geom geometry(Point, 4326);
UPDATE pts SET geom = ST_SetSRID(ST_MakePoint(lon, lat), 4326);
CREATE INDEX ON pts USING gist (geom);
VACUUM ANALYZE pts;
VACUUM ANALYZE catchments;
\timing on
SELECT count(*) AS containments FROM pts p JOIN catchments c ON ST_Covers(c.geom, p.geom);
SQL
psql "$PG_ADMIN" -qc "DROP DATABASE IF EXISTS $PG_DB WITH (FORCE)"
