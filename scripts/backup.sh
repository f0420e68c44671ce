#!/usr/bin/env bash
# Back up the database (pg_dump, one snapshot) and all media into one tar with a manifest.
# Usage: scripts/backup.sh [--output PATH] [--database NAME] [--media-root DIR] [--private-root DIR]
#        make backup [BACKUP=path]
# Exit: 0 written; 2 refused/failed (nothing written); 3 written, but files the database refers to
# were already missing from disk. How and why: gridgov/ops/backup.py, docs/reliability/backup.md.
set -euo pipefail
cd "$(dirname "$0")/.."
exec "${PY:-.venv/bin/python}" -m gridgov.ops.backup "$@"
