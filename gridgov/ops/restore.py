"""Restore a backup archive into a database and media roots (`make restore BACKUP=...`), then verify it.

    python -m gridgov.ops.restore ARCHIVE [--force] [--database NAME] [--media-root DIR] [--private-root DIR]

Steps, each finished before the next; a refusal or failure at any step leaves the target as it was:
1. Read the archive and its manifest; every listed file must be there (corrupt / truncated / tampered
   archives are refused before anything is written).
2. The target database is created if absent; one with tables (or media roots with files) is refused
   unless --force (FORCE=1).
3. The dump and every media file are copied out of the archive and checked against their SHA-256
   (media into a staging directory inside each root, so the final move is a rename even on a volume).
4. The database is restored in ONE transaction (pg_restore | psql --single-transaction): with --force
   the old schema is dropped in that same transaction, so a failure rolls back to the old database.
   PostGIS: the dump's CREATE EXTENSION IF NOT EXISTS creates it or finds it; the extension's comment
   is skipped (only its owner may set it). Objects are owned by the restoring user (--no-owner).
5. Media: the staged files replace the roots' contents; old contents (with --force) are kept in
   <root>/.before-restore-<UTC> until you delete them.
6. Verify (gridgov.ops.checks): row counts per table and every media checksum against the manifest,
   every file the restored rows refer to present, every sequence ahead of its column's maximum.
"""
import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import psycopg

from gridgov.conf import setting
from gridgov.core.errors import FieldError

from . import checks, files, pg
from .archive import Archive
from .cli import report_error

STAGE, KEEP = files.RESTORE_DIRS


@dataclass
class RestoreResult:
    ok: bool
    lines: list
    seconds: float
    created_database: bool
    kept: list = field(default_factory=list)  # old media moved aside (--force)


def _target_state(db, roots):
    """(tables, files): what the target already holds."""
    with db.connect() as conn, conn.cursor() as cur:
        tables = [f"{s}.{t}" for s, t in pg.user_tables(cur)]
        major = pg.server_major(cur)
    held = {kind: files.walk(root) for kind, root in roots.items()}
    return tables, held, major


def _refuse_unless_empty(db, roots, tables, held):
    if tables:
        raise FieldError("FORCE", "target_not_empty",
                         f"目标数据库 {db.label()} 不是空的（{len(tables)} 张表，如 {tables[0]}）。"
                         f"恢复会替换其全部内容；确认覆盖请加 FORCE=1（--force）",
                         f"the target database {db.label()} is not empty ({len(tables)} tables, e.g. {tables[0]}). "
                         f"A restore replaces all of it; add FORCE=1 (--force) to overwrite it")
    for kind, names in held.items():
        if names:
            raise FieldError("FORCE", "media_not_empty",
                             f"目标目录 {roots[kind]} 已有 {len(names)} 个文件。确认覆盖请加 FORCE=1（--force）",
                             f"the target directory {roots[kind]} already holds {len(names)} file(s); "
                             f"add FORCE=1 (--force) to overwrite it")


def _toc_without_extension_comments(pg_restore, dump, workdir):
    listing = subprocess.run([pg_restore, "--list", str(dump)], capture_output=True, text=True)
    if listing.returncode != 0:
        raise FieldError("BACKUP", "corrupt_dump", f"pg_restore 读不出数据库转储：{listing.stderr.strip()}",
                         f"pg_restore cannot read the database dump: {listing.stderr.strip()}")
    lines = [ln for ln in listing.stdout.splitlines() if " COMMENT - EXTENSION " not in ln]
    schemas = [ln.split(" SCHEMA - ", 1)[1].split()[0] for ln in lines
               if not ln.startswith(";") and " SCHEMA - " in ln]
    path = Path(workdir) / "toc.list"
    path.write_text("\n".join(lines) + "\n")
    return path, schemas


def _restore_database(db, dump, major, force, workdir):
    """pg_restore piped into psql as one transaction (with --force, after dropping the old schemas)."""
    pg_restore, psql = pg.client("pg_restore", major), pg.client("psql", major)
    toc, schemas = _toc_without_extension_comments(pg_restore, dump, workdir)
    # Running web servers or workers hold locks the drop must wait for: give up rather than hang.
    prefix = f"SET lock_timeout = '{int(setting('GRIDGOV_RESTORE_LOCK_TIMEOUT_S', 30, int))}s';\n"
    if force:
        for schema in dict.fromkeys(["public", *schemas]):
            prefix += f'DROP SCHEMA IF EXISTS "{schema}" CASCADE;\n'
        prefix += "CREATE SCHEMA public;\n"
    err_restore, err_psql = Path(workdir) / "pg_restore.err", Path(workdir) / "psql.err"
    with open(err_restore, "w") as e1, open(err_psql, "w") as e2:
        consumer = subprocess.Popen([psql, "-X", "-q", "-v", "ON_ERROR_STOP=1", "--single-transaction",
                                     "-d", db.name], stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                                    stderr=e2, env=db.env())
        producer = subprocess.Popen([pg_restore, "--no-owner", "--no-privileges", f"--use-list={toc}",
                                     "--file=-", str(dump)], stdout=subprocess.PIPE, stderr=e1, env=db.env())
        try:
            consumer.stdin.write(prefix.encode())
            shutil.copyfileobj(producer.stdout, consumer.stdin, 1 << 20)
        except BrokenPipeError:
            pass  # psql stopped at an error: its stderr says which
        finally:
            producer.stdout.close()
            producer.wait()
            try:
                consumer.stdin.close()
            except BrokenPipeError:
                pass
            consumer.wait()
    if producer.returncode != 0 or consumer.returncode != 0:
        detail = (err_psql.read_text().strip() or err_restore.read_text().strip())[-2000:]
        raise FieldError("BACKUP", "restore_failed",
                         f"数据库恢复失败，已整体回滚，目标数据库未改变：{detail}",
                         f"the database restore failed and was rolled back as a whole; the target is unchanged: "
                         f"{detail}")


def _stage_media(archive, roots, stamp, staged):
    """Copy and check every media file into <root>/.restore-<stamp>/, noting each staging directory in
    `staged` as soon as it exists (so a failure part-way can remove them all)."""
    for kind, root in roots.items():
        staged[kind] = root / f"{STAGE}{stamp}"
        staged[kind].mkdir(parents=True)
    for entry in archive.manifest["files"]:
        kind, rel = files.split_member(entry["path"])
        archive.copy_member(entry["path"], staged[kind] / rel, entry["sha256"], entry["size"])


def _swap_media(roots, staged, stamp):
    """Move the roots' old contents aside (kept) and the staged files in: renames within each root."""
    kept = []
    for kind, root in roots.items():
        old = [p for p in root.iterdir() if not p.name.startswith((STAGE, KEEP))]
        if old:
            keep = root / f"{KEEP}{stamp}"
            keep.mkdir()
            for p in old:
                p.rename(keep / p.name)
            kept.append(keep)
        for p in list(staged[kind].iterdir()):
            p.rename(root / p.name)
        staged[kind].rmdir()
    return kept


def do_restore(path, db=None, media_root=None, private_root=None, force=False):
    started = time.monotonic()
    db = db or pg.Database.from_settings()
    roots = files.media_roots(media_root, private_root)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    created = False
    staged = {}
    made_roots = {kind for kind, root in roots.items() if not root.exists()}
    with Archive(path) as archive:
        try:
            if not pg.database_exists(db):
                pg.create_database(db)
                created = True
            tables, held, major = _target_state(db, roots)
        except psycopg.OperationalError as exc:
            raise FieldError("DATABASE_URL", "unreachable", f"无法连接目标数据库 {db.label()}：{exc}",
                             f"cannot connect to the target database {db.label()}: {exc}")
        try:
            if not force:
                _refuse_unless_empty(db, roots, tables, held)
            with tempfile.TemporaryDirectory(prefix="gridgov-restore-") as workdir:
                dump = Path(workdir) / "db.dump"
                archive.copy_member("db.dump", dump, archive.manifest["dump"]["sha256"],
                                    archive.manifest["dump"]["size"])
                _stage_media(archive, roots, stamp, staged)
                _restore_database(db, dump, major, force, workdir)
        except BaseException as exc:
            for kind, stage in staged.items():
                shutil.rmtree(stage, ignore_errors=True)
                if kind in made_roots:
                    shutil.rmtree(roots[kind], ignore_errors=True)  # made by this restore, empty again
            if created:
                _drop_database(db)
            if isinstance(exc, OSError):  # a full disk, a root we may not write to
                raise FieldError("MEDIA_ROOT", "io_error", f"写入文件失败，已撤销，目标未改变：{exc}",
                                 f"writing files failed; undone, the target is unchanged: {exc}") from exc
            raise
        kept = _swap_media(roots, staged, stamp)
        manifest = archive.manifest
    ok, lines = checks.verify(db, roots, manifest)
    return RestoreResult(ok, lines, time.monotonic() - started, created, kept)


def _drop_database(db):
    from psycopg import sql

    with db.connect(dbname="postgres", autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(db.name)))


def main(argv=None):
    parser = argparse.ArgumentParser(description="从备份恢复数据库与媒体文件 / restore the database and media")
    parser.add_argument("archive")
    parser.add_argument("--force", action="store_true", help="overwrite a non-empty database and media roots")
    parser.add_argument("--database", help="target database name (default: the configured one)")
    parser.add_argument("--media-root")
    parser.add_argument("--private-root")
    args = parser.parse_args(argv)
    db = pg.Database.from_settings(args.database)
    try:
        result = do_restore(args.archive, db, args.media_root, args.private_root, args.force)
    except FieldError as exc:
        report_error("恢复", "restore", exc)
        return 2
    print(f"restore: {args.archive} -> {db.label()}{' (created)' if result.created_database else ''}, "
          f"{result.seconds:.1f} s")
    for line in result.lines:
        print("  " + line)
    for keep in result.kept:
        print(f"  原有文件已移至 / old files kept in {keep} (delete when satisfied)")
    print("恢复完成并通过校验 / restored and verified" if result.ok else "校验未通过 / VERIFICATION FAILED")
    return 0 if result.ok else 1


if __name__ == "__main__":
    from gridgov.ops.cli import setup

    setup()
    sys.exit(main())
