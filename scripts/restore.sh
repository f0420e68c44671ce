#!/usr/bin/env bash
# Restore a backup (database and media) and verify it against its manifest.
# Usage: scripts/restore.sh ARCHIVE [--force] [--database NAME] [--media-root DIR] [--private-root DIR]
#        make restore BACKUP=path [FORCE=1]
# Exit: 0 restored and verified; 1 restored but a check failed; 2 refused/failed (target unchanged).
# Stop the web server and the worker first. Steps: gridgov/ops/restore.py, docs/reliability/backup.md.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${1:-}" ]; then
  echo "恢复需要指定备份文件 / restore needs the archive: make restore BACKUP=var/backups/gridgov-....tar [FORCE=1]" >&2
  exit 2
fi
exec "${PY:-.venv/bin/python}" -m gridgov.ops.restore "$@"
