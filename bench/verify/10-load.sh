#!/usr/bin/env bash
# Load proof (issue 7 item 1): 200 grid workers reporting cases with photos and 50 responders working
# their queues, for 5 minutes, against gunicorn + the procrastinate worker on a fresh copy of the seeded
# demo county (database gridgov_load, template gridgov_load_tpl). Writes var/verify/load.json; fails when
# a check fails, the error rate is above 1 % or a p95 target is missed (docs/reliability/load.md).
# LOAD_WORKERS / LOAD_RESPONDERS / LOAD_DURATION change the size.
set -euo pipefail
cd "$(dirname "$0")/../.."
exec .venv/bin/python bench/load/harness.py --workers "${LOAD_WORKERS:-200}" --responders "${LOAD_RESPONDERS:-50}" \
  --duration "${LOAD_DURATION:-300}" --db gridgov_load --template gridgov_load_tpl --out var/verify/load.json
