"""Back up the database and media into one tar file (`make backup`, scripts/backup.sh).

    python -m gridgov.ops.backup [--output PATH] [--database NAME] [--media-root DIR] [--private-root DIR]

Order and why: the database first, media second.
1. One REPEATABLE READ transaction exports a snapshot; pg_dump dumps exactly that snapshot
   (--snapshot), and the row counts, migration state and the list of files the rows refer to are read
   in the same snapshot, so the manifest describes the dump and nothing later.
2. Then the media directories are copied. A photo file is written before the row that refers to it
   commits, and files are never changed in place, so every file the dump refers to is already on disk:
   the archive may hold extra files (photos of cases committed after the snapshot, or of reports that
   failed), never fewer than the dump refers to. The backup checks this and says so if not.

Archive (uncompressed tar; the dump is compressed by pg_dump, photos are JPEG already):
    db.dump          pg_dump custom format
    media/...        MEDIA_ROOT (display photos, thumbnails)
    private/...      GRIDGOV_PRIVATE_MEDIA_ROOT (photo originals, hotline files)
    manifest.json    last: a truncated archive has none and is refused by restore
It is written as PATH.partial and renamed when complete, so a failed backup never looks finished.
"""
import argparse
import hashlib
import io
import json
import os
import platform
import subprocess
import sys
import tarfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import psycopg

from gridgov.core.errors import FieldError

from . import files, pg
from .cli import report_error

FORMAT = "gridgov-backup/1"
SNAPSHOT_ORDER = ("database snapshot first (pg_dump --snapshot; counts and file references read in the "
                  "same snapshot), media copied after: the archive may hold extra files, never fewer "
                  "than the database refers to")


@dataclass
class BackupResult:
    path: Path
    manifest: dict
    seconds: float
    dump_seconds: float
    missing: list  # files the database refers to that were not on disk (the source is already damaged)


class _Hashing(io.RawIOBase):
    """A read-through file that hashes what tarfile copies into the archive."""

    def __init__(self, fh):
        self.fh, self.digest, self.size = fh, hashlib.sha256(), 0

    def readable(self):
        return True

    def read(self, n=-1):
        data = self.fh.read(n)
        self.digest.update(data)
        self.size += len(data)
        return data


def default_path(now=None):
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%SZ")
    from django.conf import settings

    return Path(settings.BASE_DIR) / "var" / "backups" / f"gridgov-{stamp}.tar"


def _add_file(tar, name, path):
    info = tar.gettarinfo(str(path), arcname=name)
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    with open(path, "rb") as fh:
        reader = _Hashing(fh)
        tar.addfile(info, reader)
    if reader.size != info.size:
        raise FieldError(name, "changed_during_backup", f"文件在备份过程中被修改：{name}",
                         f"file changed while it was being backed up: {name}")
    return {"path": name, "size": info.size, "sha256": reader.digest.hexdigest()}


def _git_commit():
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True, timeout=5,
                             cwd=Path(__file__).resolve().parent)
        return out.stdout.strip() or None
    except (OSError, subprocess.SubprocessError):
        return None


def _dump_snapshot(db, dump_path):
    """pg_dump of one snapshot, with the manifest facts read in that snapshot."""
    try:
        conn = db.connect()
    except psycopg.OperationalError as exc:
        raise FieldError("DATABASE_URL", "unreachable", f"无法连接数据库 {db.label()}：{exc}",
                         f"cannot connect to the database {db.label()}: {exc}")
    with conn:
        conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        conn.read_only = True
        with conn.cursor() as cur:
            snapshot = cur.execute("SELECT pg_export_snapshot()").fetchone()[0]
            major = pg.server_major(cur)
            pg_dump = pg.client("pg_dump", major)
            facts = {"tables": pg.row_counts(cur), "migrations": pg.migrations(cur),
                     "referenced": files.referenced_files(cur), "server": pg.server_versions(cur)}
            started = time.monotonic()
            proc = subprocess.run([pg_dump, "--format=custom", "--compress=6", f"--snapshot={snapshot}",
                                   f"--file={dump_path}"], env=db.env(), capture_output=True, text=True)
            facts["dump_seconds"] = time.monotonic() - started
            if proc.returncode != 0:
                raise FieldError("pg_dump", "dump_failed", f"pg_dump 失败：{proc.stderr.strip()}",
                                 f"pg_dump failed: {proc.stderr.strip()}")
            facts["pg_dump"] = subprocess.run([pg_dump, "--version"], capture_output=True,
                                              text=True).stdout.strip()
        conn.rollback()  # read-only: ends the transaction and releases the snapshot
    return facts


def do_backup(output=None, db=None, media_root=None, private_root=None):
    """Write one archive; returns BackupResult. Raises FieldError; leaves no file behind on failure."""
    import django

    started = time.monotonic()
    db = db or pg.Database.from_settings()
    roots = files.media_roots(media_root, private_root)
    output = Path(output) if output else default_path()
    if output.exists():
        raise FieldError("BACKUP", "exists", f"备份文件已存在，不覆盖：{output}",
                         f"the backup file already exists, not overwriting it: {output}")
    partial = output.with_name(output.name + ".partial")
    dump_path = output.with_name(output.name + ".dump.partial")
    try:
        output.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        # Personal data (names, phone numbers, photo originals with EXIF): readable by the owner only.
        for path in (partial, dump_path):
            path.unlink(missing_ok=True)  # left by a backup killed part-way
            path.touch(mode=0o600)
        facts = _dump_snapshot(db, dump_path)
        entries = []
        with tarfile.open(partial, "w", format=tarfile.PAX_FORMAT) as tar:
            dump_entry = _add_file(tar, "db.dump", dump_path)
            present = set()
            for kind, root in roots.items():
                for rel in files.walk(root):
                    entries.append(_add_file(tar, files.member_name(kind, rel), root / rel))
                    present.add((kind, rel))
            missing = sorted(f"{k}/{n}" for k, n in facts["referenced"] - present)
            manifest = {
                "format": FORMAT,
                "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
                "order": SNAPSHOT_ORDER,
                "source": {"database": db.name, "host": db.host, "port": db.port,
                           "media_root": str(roots["media"]), "private_root": str(roots["private"])},
                "versions": {**facts["server"], "pg_dump": facts["pg_dump"], "gridgov_commit": _git_commit(),
                             "django": django.get_version(), "python": platform.python_version()},
                "migrations": facts["migrations"],
                "tables": facts["tables"],
                "rows": sum(facts["tables"].values()),
                "dump": dump_entry,
                "media": {kind: {"files": sum(1 for e in entries if e["path"].startswith(kind + "/")),
                                 "bytes": sum(e["size"] for e in entries if e["path"].startswith(kind + "/"))}
                          for kind in roots},
                "referenced_files": len(facts["referenced"]),
                "missing_referenced": missing,
                "files": entries,
            }
            data = json.dumps(manifest, ensure_ascii=False, indent=1).encode()
            info = tarfile.TarInfo("manifest.json")
            info.size, info.mtime = len(data), int(time.time())
            tar.addfile(info, io.BytesIO(data))
        with open(partial, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(partial, output)
    except OSError as exc:  # a full disk, a directory we may not write to
        raise FieldError("BACKUP", "io_error", f"写备份文件失败，未留下备份：{exc}",
                         f"writing the backup failed; no backup was left: {exc}") from exc
    finally:
        for leftover in (partial, dump_path):
            leftover.unlink(missing_ok=True)
    return BackupResult(output, manifest, time.monotonic() - started, facts["dump_seconds"], missing)


def _size(n):
    return f"{n / 1048576:.1f} MiB" if n >= 1048576 else f"{n / 1024:.1f} KiB"


def main(argv=None):
    parser = argparse.ArgumentParser(description="备份数据库与媒体文件 / back up the database and media")
    parser.add_argument("--output", help="archive path (default var/backups/gridgov-<UTC>.tar)")
    parser.add_argument("--database", help="database name (default: the configured one)")
    parser.add_argument("--media-root")
    parser.add_argument("--private-root")
    args = parser.parse_args(argv)
    db = pg.Database.from_settings(args.database)
    try:
        result = do_backup(args.output, db, args.media_root, args.private_root)
    except FieldError as exc:
        report_error("备份", "backup", exc)
        return 2
    m = result.manifest
    print(f"backup: {result.path}")
    print(f"  database {db.label()}: {len(m['tables'])} tables, {m['rows']} rows, "
          f"{len(m['migrations'])} migrations, dump {_size(m['dump']['size'])} in {result.dump_seconds:.1f} s")
    for kind, info in m["media"].items():
        print(f"  {kind}: {info['files']} files, {_size(info['bytes'])}")
    print(f"  archive {_size(result.path.stat().st_size)}, {result.seconds:.1f} s in all")
    if result.missing:
        print(f"警告 / WARNING: 数据库引用的 {len(result.missing)} 个文件在备份前已不在磁盘上 / "
              f"{len(result.missing)} file(s) the database refers to were not on disk:", file=sys.stderr)
        for name in result.missing[:20]:
            print(f"  {name}", file=sys.stderr)
        return 3
    return 0


if __name__ == "__main__":
    from gridgov.ops.cli import setup

    setup()
    sys.exit(main())
