#!/usr/bin/env bash
# Access-control proof (issue 7 item 4), full size: tests/test_access_matrix.py with ACCESS_MATRIX_FULL=1
# (every role on every endpoint, every object of the world: 5 cases, 4 dispatches, 5 photos, notifications,
# a suspension), against PostGIS. The same file runs in `make test` as the quick matrix (fewer objects,
# one role of each kind on reference endpoints). Writes var/verify/access.json (requests, roles ×
# endpoints counted, problems found in this run) and prints a summary; fails when any cell fails.
# What each rule is and what was found and fixed: docs/reliability/access.md.
# Uses its own test database (ACCESS_TEST_DB, default gg_verify_access).
set -uo pipefail
cd "$(dirname "$0")/../.."
mkdir -p var/verify
export DJANGO_SETTINGS_MODULE=gridgov.settings
export GRIDGOV_TEST_DB="${ACCESS_TEST_DB:-gg_verify_access}"
export ACCESS_MATRIX_FULL=1
export ACCESS_MATRIX_SUMMARY=var/verify/access.json
echo "load before: $(uptime)"
start=$(date +%s)
.venv/bin/python -m pytest -p no:cacheprovider -q -p no:logging --create-db tests/test_access_matrix.py
status=$?
echo "took $(( $(date +%s) - start )) s; load after: $(uptime)"
.venv/bin/python - <<'PY'
import json

s = json.load(open("var/verify/access.json"))
print(f"access matrix: {s['roles']} roles x {s['endpoints']} endpoints ({s['matrix_endpoints']} with rules, "
      f"{s['public_endpoints']} public), {s['role_endpoint_pairs']} role x endpoint pairs, {s['requests']} requests")
print("endpoints requested per role: " + ", ".join(f"{r} {n}" for r, n in s["endpoints_per_role"].items()))
print(f"problems found in this run: {len(s['problems_found_now'])}")
for p in s["problems_found_now"][:50]:
    print("  " + p)
PY
echo "leaks found and fixed (docs/reliability/access.md):"
sed -n '/^## Found and fixed/,/^## /p' docs/reliability/access.md | grep '^[0-9]*\. ' | cut -c1-160
exit $status
