#!/usr/bin/env bash
# Installs front-end assets from the npm registry (package-lock.json pins them) and copies the
# files the pages use into var/assets/vendor, which Django serves as static files.
# Quick on a second run: skipped while package-lock.json is unchanged.
set -euo pipefail
cd "$(dirname "$0")/.."
STAMP=var/assets/.stamp
if [ -f "$STAMP" ] && [ "$STAMP" -nt package-lock.json ]; then exit 0; fi
command -v npm >/dev/null || { echo "npm not found: installing Debian's nodejs/npm"; SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO=sudo; $SUDO apt-get install -y -qq nodejs npm >/dev/null; }
npm ci --no-audit --no-fund --loglevel=error 2>&1 | grep -v 'Unknown user config' || true
test -f node_modules/leaflet/dist/leaflet.js || { echo "npm install failed" >&2; exit 1; }
V=var/assets/vendor
rm -rf "$V"; mkdir -p "$V/leaflet" "$V/echarts" "$V/leaflet.heat" "$V/idb"
cp -r node_modules/leaflet/dist/. "$V/leaflet/"
cp node_modules/echarts/dist/echarts.min.js "$V/echarts/"
cp node_modules/leaflet.heat/dist/leaflet-heat.js "$V/leaflet.heat/"
cp node_modules/idb/build/umd.js "$V/idb/idb.umd.js"
mkdir -p "$V/leaflet.vectorgrid" && cp node_modules/leaflet.vectorgrid/dist/Leaflet.VectorGrid.bundled.min.js "$V/leaflet.vectorgrid/"
touch "$STAMP"
