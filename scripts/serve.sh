#!/usr/bin/env bash
# Serves the app (gunicorn) and the background worker until interrupted.
set -euo pipefail
cd "$(dirname "$0")/.."
HOST=${1:-127.0.0.1}; PORT=${2:-8000}
echo "gridgov: http://$HOST:$PORT/  (admin: /admin/, API docs: /api/docs/)  Ctrl-C stops."
exec .venv/bin/gunicorn gridgov.wsgi:application --bind "$HOST:$PORT" --workers 3 --threads 4 \
  --access-logfile - --log-level warning
