#!/usr/bin/env bash
# Serves the app (gunicorn) and the background worker (procrastinate, on the same PostgreSQL)
# until interrupted; stopping one stops both.
set -euo pipefail
cd "$(dirname "$0")/.."
HOST=${1:-127.0.0.1}; PORT=${2:-8000}
mkdir -p var/log
.venv/bin/python manage.py procrastinate worker >>var/log/worker.log 2>&1 &
WORKER=$!
trap 'kill $WORKER 2>/dev/null || true' EXIT INT TERM
echo "gridgov: http://$HOST:$PORT/  (admin /admin/, API docs /api/docs/; worker log var/log/worker.log)  Ctrl-C stops."
.venv/bin/gunicorn gridgov.wsgi:application --bind "$HOST:$PORT" --workers 3 --threads 4 \
  --access-logfile var/log/access.log --log-level warning
