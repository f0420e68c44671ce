"""The media a backup holds: the public MEDIA_ROOT ("media") and the private root of photo originals
and hotline imports ("private"); which file columns refer to which root; checksums."""
import hashlib
from pathlib import Path, PurePosixPath

from django.apps import apps
from django.conf import settings
from django.db.models import FileField
from psycopg import sql

from gridgov.cases.conf import private_media_root
from gridgov.core.errors import FieldError

KINDS = ("media", "private")
CHUNK = 1 << 20
# Directories restore makes inside a root (staging; old contents kept aside): never backed up.
RESTORE_DIRS = (".restore-", ".before-restore-")


def media_roots(media_root=None, private_root=None):
    return {"media": Path(media_root or settings.MEDIA_ROOT), "private": Path(private_root or private_media_root())}


def walk(root, skip_prefixes=RESTORE_DIRS):
    """Relative POSIX paths of the regular files under root, sorted (symlinks are not followed;
    top-level entries starting with skip_prefixes are left out)."""
    root = Path(root)
    if not root.is_dir():
        return []
    out = []
    for top in root.iterdir():
        if top.name.startswith(skip_prefixes) or top.is_symlink():
            continue
        paths = [top] if top.is_file() else top.rglob("*") if top.is_dir() else []
        out.extend(p.relative_to(root).as_posix() for p in paths if p.is_file() and not p.is_symlink())
    return sorted(out)


def sha256_of(path):
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def member_name(kind, rel):
    return f"{kind}/{rel}"


def split_member(name):
    """("media", "cases/2026/11/x.jpg") from an archive member name, refusing anything that could
    land outside its root (absolute paths, "..", backslashes, empty parts)."""
    path = PurePosixPath(name)
    parts = path.parts
    if (path.is_absolute() or len(parts) < 2 or parts[0] not in KINDS or "\\" in name
            or any(p in ("", ".", "..") for p in parts)):
        raise FieldError("BACKUP", "unsafe_path", f"备份包中的路径不安全：{name}",
                         f"unsafe path in the archive: {name}")
    return parts[0], "/".join(parts[1:])


def _kind_of(storage):
    location = Path(getattr(storage, "location", "") or "").resolve()
    return "private" if location == Path(private_media_root()).resolve() else "media"


def file_columns():
    """(table, column, kind) of every FileField / ImageField in the installed models."""
    out = []
    for model in apps.get_models():
        if model._meta.proxy or not model._meta.managed:
            continue
        for field in model._meta.concrete_fields:
            if isinstance(field, FileField):
                out.append((model._meta.db_table, field.column, _kind_of(field.storage)))
    return out


def referenced_files(cur):
    """{(kind, relative path)} that rows refer to, read in the caller's snapshot."""
    found = set()
    for table, column, kind in file_columns():
        if cur.execute("SELECT to_regclass(%s)", [table]).fetchone()[0] is None:
            continue
        query = sql.SQL("SELECT DISTINCT {c} FROM {t} WHERE {c} IS NOT NULL AND {c} <> ''").format(
            c=sql.Identifier(column), t=sql.Identifier(table))
        found.update((kind, name) for (name,) in cur.execute(query))
    return found
