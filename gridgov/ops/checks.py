"""After a restore: does the target hold what the manifest says? Row counts per table, media checksums,
every file the restored rows refer to, sequences ahead of their columns, migration state."""
from django.db.migrations.loader import MigrationLoader

from . import files, pg


def _code_migrations():
    loader = MigrationLoader(None, ignore_no_migrations=True)
    return {f"{app}.{name}" for app, name in loader.disk_migrations}


def verify(db, roots, manifest):
    """(ok, lines): one line per check, each saying what was compared and what differed."""
    lines, ok = [], True
    with db.connect() as conn, conn.cursor() as cur:
        counts = pg.row_counts(cur)
        referenced = files.referenced_files(cur)
        seq_problems, seq_total = pg.sequence_problems(cur)
        restored_migrations = pg.migrations(cur)
        target = pg.server_versions(cur)
    expected = manifest["tables"]
    wrong = [f"{t}: {counts.get(t, 'missing')} != {n}" for t, n in expected.items() if counts.get(t) != n]
    wrong += [f"{t}: not in the backup" for t in sorted(set(counts) - set(expected))]
    ok &= not wrong
    lines.append(f"rows: {len(expected) - len([w for w in wrong if 'not in the backup' not in w])}/"
                 f"{len(expected)} tables match the manifest ({sum(counts.values())} rows)"
                 + ("" if not wrong else " — MISMATCH: " + "; ".join(wrong[:10])))

    bad = []
    for entry in manifest["files"]:
        kind, rel = files.split_member(entry["path"])
        path = roots[kind] / rel
        if not path.is_file():
            bad.append(f"{entry['path']}: missing")
        elif files.sha256_of(path) != entry["sha256"]:
            bad.append(f"{entry['path']}: checksum differs")
    ok &= not bad
    lines.append(f"media: {len(manifest['files']) - len(bad)}/{len(manifest['files'])} files match their "
                 f"SHA-256" + ("" if not bad else " — " + "; ".join(bad[:10])))

    absent = sorted(f"{k}/{n}" for k, n in referenced if not (roots[k] / n).is_file())
    known_missing = set(manifest.get("missing_referenced", []))
    new_absent = [a for a in absent if a not in known_missing]
    ok &= not new_absent
    lines.append(f"references: {len(referenced) - len(absent)}/{len(referenced)} files the database refers to "
                 f"are present" + (f" ({len(known_missing)} were already missing at backup time)"
                                   if known_missing else "")
                 + ("" if not new_absent else " — MISSING: " + "; ".join(new_absent[:10])))

    ok &= not seq_problems
    lines.append(f"sequences: {seq_total - len(seq_problems)}/{seq_total} ahead of their column's maximum"
                 + ("" if not seq_problems else " — " + "; ".join(seq_problems[:10])))

    same = restored_migrations == manifest["migrations"]
    ok &= same
    unapplied = sorted(_code_migrations() - set(restored_migrations))
    unknown = sorted(set(restored_migrations) - _code_migrations())
    note = ""
    if unapplied:
        note += f"; this code has {len(unapplied)} migration(s) not applied (run manage.py migrate)"
    if unknown:
        note += f"; {len(unknown)} applied migration(s) unknown to this code (backup from newer code?)"
    lines.append(f"migrations: {len(restored_migrations)} applied, "
                 f"{'same as' if same else 'DIFFERENT from'} the manifest{note}")
    source = manifest.get("versions", {})
    lines.append(f"versions: PostgreSQL {source.get('postgresql')} -> {target['postgresql']}, "
                 f"PostGIS {source.get('postgis')} -> {target['postgis']}")
    return ok, lines
