#!/usr/bin/env bash
# verify: backups (issue 7, item 6). Full round trip of the demo database (make run's seeded data) and
# its media into a scratch database and scratch media directories, with timings and sizes:
#   1. make backup of the demo (database + var/media + var/private) -> restore into a scratch database
#      -> verified against the manifest -> the tables compared with the demo's -> a new case with a
#      photo created in the restored database (sequences are right)
#   1b. the restored copy backed up while cases with photos keep arriving in it, restored again: row
#      counts match the manifest (one snapshot), no referenced photo missing (media after the dump)
#   2. the same restore again without FORCE is refused (exit 2, target unchanged); with FORCE it replaces
#   3. media throughput: the demo database with VERIFY_BACKUP_PHOTOS synthetic photo files (default 1000
#      × 200 KB) in scratch media roots, backed up and restored
# Never writes to the demo database or its media. Usage: bash bench/verify/60-backup.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
PY=.venv/bin/python
export DJANGO_SETTINGS_MODULE=gridgov.settings
[ -z "${DATABASE_URL:-}" ] && bash scripts/pg.sh start
WORK=var/verify/backup
SCRATCH=${VERIFY_BACKUP_DB:-gridgov_verify_restore}
PHOTOS=${VERIFY_BACKUP_PHOTOS:-1000}
rm -rf "$WORK"; mkdir -p "$WORK"
fail() { echo "FAILED: $*"; exit 1; }
now() { date +%s.%N; }
secs() { python3 -c "print(f'{$2 - $1:.1f}')"; }
size() { du -b "$1" | cut -f1 | python3 -c "import sys; n=int(sys.stdin.read()); print(f'{n/1048576:.1f} MiB')"; }
dropdb_scratch() {
  $PY - "$SCRATCH" <<'PY'
import sys, django; django.setup()
from psycopg import sql
from gridgov.ops import pg
db = pg.Database.from_settings(sys.argv[1])
with db.connect(dbname="postgres", autocommit=True) as conn:
    conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(db.name)))
PY
}
trap 'touch "$WORK/stop" 2>/dev/null; SCRATCH=${SCRATCH}_2 dropdb_scratch; dropdb_scratch' EXIT
dropdb_scratch
echo "load: $(uptime | sed 's/.*load average: //')"
$PY - <<'PY' || fail "the demo database has no seeded data: run 'make run' (or 'make seed') first"
import sys, django; django.setup()
from gridgov.accounts.models import Role
from gridgov.grids.models import GridUnit
sys.exit(0 if GridUnit.objects.filter(workers__role=Role.GRID_WORKER).exists() else 1)
PY

# --- 1. the demo, as make run leaves it ---------------------------------------------------------
t0=$(now)
make -s backup BACKUP="$WORK/demo.tar" | tee "$WORK/backup.out"
t1=$(now)
bash scripts/restore.sh "$WORK/demo.tar" --database "$SCRATCH" --media-root "$WORK/restored/media" \
  --private-root "$WORK/restored/private" | tee "$WORK/restore.out"
t2=$(now)
grep -q "restored and verified" "$WORK/restore.out" || fail "restore did not verify"

$PY - "$SCRATCH" "$WORK/restored" <<'PY' || fail "restored database differs or is not usable"
import sys, django; django.setup()
from gridgov.ops import pg
demo, scratch = pg.Database.from_settings(), pg.Database.from_settings(sys.argv[1])
def counts(db):
    with db.connect() as conn, conn.cursor() as cur:
        return pg.row_counts(cur)
a, b = counts(demo), counts(scratch)
diff = {t: (a.get(t), b.get(t)) for t in set(a) | set(b) if a.get(t) != b.get(t)}
print(f"tables compared with the demo: {len(a)}, rows {sum(a.values())}, differing: {diff or 'none'}")
sys.exit(1 if diff else 0)
PY

# A new case with a photo in the restored database (grid worker's own grid; sequences must be right).
SCRATCH_URL="$($PY -c "
import django, sys; django.setup()
from urllib.parse import quote; from gridgov.ops import pg
d = pg.Database.from_settings('$SCRATCH')
auth = quote(d.user) + (':' + quote(d.password, safe='') if d.password else '')
print(f'postgis://{auth}@{quote(d.host, safe=\"\")}:{d.port or 5432}/{d.name}')")"
DATABASE_URL="$SCRATCH_URL" GRIDGOV_MEDIA_ROOT="$WORK/restored/media" GRIDGOV_PRIVATE_MEDIA_ROOT="$WORK/restored/private" \
$PY - <<'PY' || fail "no new case could be created after the restore"
import django; django.setup()
from gridgov.accounts.models import Role
from gridgov.cases.models import Case
from gridgov.grids.models import GridUnit
from tests.factories import make_case, make_photo
before = Case.objects.order_by("-id").values_list("id", flat=True).first() or 0
grid = GridUnit.objects.filter(workers__role=Role.GRID_WORKER).order_by("code").first()
worker = grid.workers.filter(role=Role.GRID_WORKER).order_by("username").first()
p = grid.geom.point_on_surface
case = make_case(worker, p.x, p.y, category="E0101", photos=[make_photo(lonlat=(p.x, p.y))])
assert case.pk > before, (case.pk, before)
print(f"new case {case.number} (id {case.pk} > {before}) with a photo in the restored database")
PY

# --- 1b. consistency under writes: back up the restored copy while cases with photos keep arriving
# in it, restore that into a second scratch database: row counts must match the manifest (one
# snapshot) and every photo the restored rows refer to must be there (media copied after the dump).
rm -f "$WORK/stop"
DATABASE_URL="$SCRATCH_URL" GRIDGOV_MEDIA_ROOT="$WORK/restored/media" \
GRIDGOV_PRIVATE_MEDIA_ROOT="$WORK/restored/private" $PY - "$WORK/stop" > "$WORK/writer.out" 2>&1 <<'PY' &
import os, sys, django; django.setup()
from gridgov.accounts.models import Role
from gridgov.grids.models import GridUnit
from tests.factories import make_case, make_photo
grid = GridUnit.objects.filter(workers__role=Role.GRID_WORKER).order_by("code").first()
worker = grid.workers.filter(role=Role.GRID_WORKER).order_by("username").first()
p = grid.geom.point_on_surface
n = 0
while not os.path.exists(sys.argv[1]):
    make_case(worker, p.x, p.y, category="E0101", photos=[make_photo(lonlat=(p.x, p.y))])
    n += 1
print(f"writer: {n} cases with photos created during the backup")
PY
WRITER=$!
sleep 3
bash scripts/backup.sh --output "$WORK/busy.tar" --database "$SCRATCH" --media-root "$WORK/restored/media" \
  --private-root "$WORK/restored/private" > "$WORK/busy-backup.out" || { cat "$WORK/busy-backup.out"; fail "busy backup"; }
sleep 2
touch "$WORK/stop"; wait $WRITER || fail "the writer failed: $(tail -3 "$WORK/writer.out")"
cat "$WORK/writer.out"
SCRATCH_2=${SCRATCH}_2
SCRATCH=$SCRATCH_2 dropdb_scratch
bash scripts/restore.sh "$WORK/busy.tar" --database "$SCRATCH_2" --media-root "$WORK/busy/media" \
  --private-root "$WORK/busy/private" > "$WORK/busy-restore.out" || true
SCRATCH=$SCRATCH_2 dropdb_scratch
grep -q "restored and verified" "$WORK/busy-restore.out" || { cat "$WORK/busy-restore.out"; fail "backup under writes"; }
echo "backup while writing: $(grep -E '^  (rows|references)' "$WORK/busy-restore.out" | tr -s ' ' | paste -sd';')"
python3 - "$WORK/busy.tar" <<'PY'
import json, sys, tarfile
m = json.loads(tarfile.open(sys.argv[1]).extractfile("manifest.json").read())
held = sum(v["files"] for v in m["media"].values())
print(f"  the archive holds {held} media files; the dump's snapshot refers to {m['referenced_files']} "
      f"(extra: {held - m['referenced_files']}, missing: {len(m['missing_referenced'])})")
PY

# --- 2. a second restore over it: refused without FORCE, replaces with FORCE -----------------------
set +e
bash scripts/restore.sh "$WORK/demo.tar" --database "$SCRATCH" --media-root "$WORK/restored/media" \
  --private-root "$WORK/restored/private" > "$WORK/refused.out" 2>&1
rc=$?
set -e
[ $rc -eq 2 ] && grep -q "target_not_empty" "$WORK/refused.out" || fail "a non-empty target was not refused (rc $rc)"
echo "non-empty target without FORCE: refused (exit 2): $(sed -n 3p "$WORK/refused.out" | cut -c1-90)…"
t3=$(now)
bash scripts/restore.sh "$WORK/demo.tar" --database "$SCRATCH" --media-root "$WORK/restored/media" \
  --private-root "$WORK/restored/private" --force > "$WORK/force.out"
t4=$(now)
grep -q "restored and verified" "$WORK/force.out" || { cat "$WORK/force.out"; fail "FORCE restore did not verify"; }

# --- 3. media throughput: the demo database with synthetic photo files ----------------------------
mkdir -p "$WORK/photos/media/cases/2026/01" "$WORK/photos/private/cases/originals/2026/01"
python3 - "$WORK/photos" "$PHOTOS" <<'PY'
import os, sys
root, n = sys.argv[1], int(sys.argv[2])
for i in range(n):
    with open(f"{root}/private/cases/originals/2026/01/p{i:05d}.jpg", "wb") as fh:
        fh.write(os.urandom(150_000))
    with open(f"{root}/media/cases/2026/01/p{i:05d}.jpg", "wb") as fh:
        fh.write(os.urandom(50_000))
PY
dropdb_scratch
t5=$(now)
bash scripts/backup.sh --output "$WORK/photos.tar" --media-root "$WORK/photos/media" \
  --private-root "$WORK/photos/private" > "$WORK/photos-backup.out"
t6=$(now)
bash scripts/restore.sh "$WORK/photos.tar" --database "$SCRATCH" --media-root "$WORK/photos-restored/media" \
  --private-root "$WORK/photos-restored/private" > "$WORK/photos-restore.out"
t7=$(now)
grep -q "restored and verified" "$WORK/photos-restore.out" || { cat "$WORK/photos-restore.out"; fail "photo restore"; }

echo "== backup figures ($(date -u +%Y-%m-%dT%H:%MZ), load $(uptime | sed 's/.*load average: //'))"
# own: the time the tool reports itself (without the interpreter and Django start-up)
own_b() { grep -oE '[0-9.]+ s in all' "$1" | cut -d' ' -f1; }
own_r() { grep -oE '^restore: .*, [0-9.]+ s$' "$1" | grep -oE '[0-9.]+ s$' | cut -d' ' -f1; }
echo "demo backup:   $(secs "$t0" "$t1") s wall (make, Django start; own $(own_b "$WORK/backup.out") s)," \
     "archive $(size "$WORK/demo.tar")"
echo "demo restore:  $(secs "$t1" "$t2") s wall (own $(own_r "$WORK/restore.out") s) into an empty database, verified"
echo "FORCE restore: $(secs "$t3" "$t4") s wall (own $(own_r "$WORK/force.out") s) over the restored copy, verified"
echo "with $((PHOTOS * 2)) photo files: backup $(secs "$t5" "$t6") s wall (own $(own_b "$WORK/photos-backup.out") s)," \
     "restore $(secs "$t6" "$t7") s wall (own $(own_r "$WORK/photos-restore.out") s), archive $(size "$WORK/photos.tar")"
grep -E "^  (database|media|private|archive)" "$WORK/photos-backup.out" | sed 's/^/  /'
rm -rf "$WORK/photos" "$WORK/photos-restored" "$WORK/restored" "$WORK/busy" "$WORK"/*.tar
echo "backup: ok"
