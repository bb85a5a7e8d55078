#!/usr/bin/env bash
# Refreshes the browser libraries vendored under web/vendor/ from the npm registry.
# The vendored files are committed, so the page never loads anything from a CDN
# and the server needs no build step. Run this only to change a version.
set -euo pipefail
cd "$(dirname "$0")/.."
LEAFLET=1.9.4
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent "leaflet@$LEAFLET" >/dev/null && tar xzf leaflet-*.tgz)
rm -rf web/vendor/leaflet
mkdir -p web/vendor/leaflet/images
cp "$tmp/package/dist/leaflet.js" "$tmp/package/dist/leaflet.css" web/vendor/leaflet/
cp "$tmp/package/dist/images/"*.png web/vendor/leaflet/images/
cp "$tmp/package/LICENSE" web/vendor/leaflet/LICENSE
echo "leaflet@$LEAFLET from the npm registry" > web/vendor/leaflet/VERSION
echo "vendored leaflet@$LEAFLET into web/vendor/leaflet"
