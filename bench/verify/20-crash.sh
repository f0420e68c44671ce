#!/usr/bin/env bash
# Crash proof (issue 7 item 2): the load of 10-load.sh, and at 2 minutes kill -9 of gunicorn (master and
# workers) and of the procrastinate worker; 30 s later both are started again while the clients keep
# retrying with the same client UUIDs. Then: every case answered 201 is in the database with all its
# photos (rows and files), no client UUID has two cases, and every reminder/escalation that fell due
# (including deadlines placed inside the downtime) was sent exactly once, after the restart.
# Writes var/verify/crash.json; fails when any check fails (docs/reliability/crash.md).
set -euo pipefail
cd "$(dirname "$0")/../.."
exec .venv/bin/python bench/load/harness.py --workers "${LOAD_WORKERS:-200}" --responders "${LOAD_RESPONDERS:-50}" \
  --duration "${LOAD_DURATION:-300}" --crash-at "${CRASH_AT:-120}" --down "${CRASH_DOWN:-30}" \
  --db gridgov_crash --template gridgov_load_tpl --out var/verify/crash.json
