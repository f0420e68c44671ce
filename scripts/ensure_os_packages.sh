#!/usr/bin/env bash
# Installs the Debian/Ubuntu packages gridgov needs, only those missing. Quick when all are present.
set -euo pipefail
PKGS=(postgresql postgresql-15-postgis-3 gdal-bin libgdal-dev libproj-dev binutils chromium fonts-noto-cjk)
# Ubuntu/other Debian releases ship another PostgreSQL major: accept any postgresql-*-postgis-3.
missing=()
for p in "${PKGS[@]}"; do
  if [ "$p" = postgresql-15-postgis-3 ] && dpkg-query -W -f='${Status}\n' 'postgresql-*-postgis-3' 2>/dev/null | grep -q 'install ok installed'; then continue; fi
  dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "Installing OS packages: ${missing[*]}"
SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
$SUDO apt-get update -qq
if ! DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null; then
  # Not Debian 12: pick the PostGIS package that matches the installed PostgreSQL major.
  ver=$(ls /usr/lib/postgresql 2>/dev/null | sort -n | tail -1)
  alt=("${missing[@]/postgresql-15-postgis-3/postgresql-${ver}-postgis-3}")
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${alt[@]}" >/dev/null
fi
