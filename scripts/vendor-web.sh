#!/usr/bin/env bash
# Refreshes the browser libraries vendored under web/vendor/ from the npm registry.
# The vendored files are committed, so the page never loads anything from a CDN
# and the server needs no build step. Run this only to change a version.
set -euo pipefail
cd "$(dirname "$0")/.."
LEAFLET=1.9.4
CLUSTER=1.5.3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent "leaflet@$LEAFLET" >/dev/null && tar xzf leaflet-*.tgz)
mkdir -p "$tmp/cluster"
(cd "$tmp/cluster" && npm pack --silent "leaflet.markercluster@$CLUSTER" >/dev/null && tar xzf leaflet.markercluster-*.tgz)
rm -rf web/vendor/leaflet
mkdir -p web/vendor/leaflet/images
cp "$tmp/package/dist/leaflet.js" "$tmp/package/dist/leaflet.css" web/vendor/leaflet/
cp "$tmp/package/dist/images/"*.png web/vendor/leaflet/images/
cp "$tmp/package/LICENSE" web/vendor/leaflet/LICENSE
echo "leaflet@$LEAFLET from the npm registry" > web/vendor/leaflet/VERSION
rm -rf web/vendor/leaflet.markercluster
mkdir -p web/vendor/leaflet.markercluster
cp "$tmp/cluster/package/dist/leaflet.markercluster.js" "$tmp/cluster/package/dist/MarkerCluster.css" \
   "$tmp/cluster/package/dist/MarkerCluster.Default.css" web/vendor/leaflet.markercluster/
cp "$tmp/cluster/package/MIT-LICENCE.txt" web/vendor/leaflet.markercluster/LICENSE 2>/dev/null ||
  cp "$tmp/cluster/package/LICENSE"* web/vendor/leaflet.markercluster/LICENSE
echo "leaflet.markercluster@$CLUSTER from the npm registry" > web/vendor/leaflet.markercluster/VERSION
echo "vendored leaflet@$LEAFLET and leaflet.markercluster@$CLUSTER into web/vendor/"
