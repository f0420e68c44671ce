"""Reading a backup archive for restore: every check that can be made before anything is written.

A member is only ever extracted to a path computed here from a name the manifest lists (never the
tar's own idea of where it goes), after checking the name cannot leave its root, and its SHA-256 is
checked while it is copied.
"""
import hashlib
import json
import tarfile
from pathlib import Path

from gridgov.core.errors import FieldError

from . import files
from .backup import FORMAT

CHUNK = 1 << 20


def _corrupt(path, why_zh, why_en):
    return FieldError("BACKUP", "corrupt_archive", f"备份文件损坏或不完整（{why_zh}）：{path}",
                      f"the backup file is damaged or incomplete ({why_en}): {path}")


class Archive:
    """An opened, checked backup archive: its manifest, and copies of members with their checksums."""

    def __init__(self, path):
        self.path = Path(path)
        if not self.path.is_file():
            raise FieldError("BACKUP", "missing", f"备份文件不存在：{self.path}",
                             f"the backup file does not exist: {self.path}")
        try:
            self.tar = tarfile.open(self.path, "r:")
            self.members = {m.name: m for m in self.tar.getmembers()}
        except (tarfile.TarError, EOFError, OSError) as exc:
            raise _corrupt(self.path, f"不是可读的 tar 文件：{exc}", f"not a readable tar file: {exc}")
        if "manifest.json" not in self.members:
            raise _corrupt(self.path, "缺少 manifest.json，可能被截断", "no manifest.json: truncated?")
        try:
            self.manifest = json.loads(self.tar.extractfile(self.members["manifest.json"]).read())
        except (ValueError, tarfile.TarError, OSError) as exc:
            raise _corrupt(self.path, f"manifest.json 无法读取：{exc}", f"manifest.json unreadable: {exc}")
        if not isinstance(self.manifest, dict) or self.manifest.get("format") != FORMAT:
            raise _corrupt(self.path, f"不是 {FORMAT} 格式", f"not in the {FORMAT} format")
        self._check_listing()

    def _check_listing(self):
        listed = {"manifest.json", "db.dump"}
        try:
            for key in ("tables", "migrations", "dump", "files"):
                self.manifest[key]
            if self.manifest["dump"]["path"] != "db.dump":
                raise TypeError("dump.path")
            for entry in [self.manifest["dump"], *self.manifest["files"]]:
                if not (isinstance(entry["path"], str) and isinstance(entry["size"], int)
                        and isinstance(entry["sha256"], str)):
                    raise TypeError(entry.get("path"))
            for entry in self.manifest["files"]:
                files.split_member(entry["path"])
                listed.add(entry["path"])
        except (KeyError, TypeError) as exc:
            raise _corrupt(self.path, f"manifest.json 缺少或写错了字段 {exc}", f"manifest.json lacks or garbles {exc}")
        for name in listed - {"manifest.json"}:
            member = self.members.get(name)
            if member is None:
                raise FieldError("BACKUP", "missing_file", f"备份文件中缺少清单列出的文件：{name}（{self.path}）",
                                 f"the archive lacks a file its manifest lists: {name} ({self.path})")
            if not member.isfile():
                raise FieldError("BACKUP", "unsafe_member", f"备份文件中 {name} 不是普通文件",
                                 f"{name} in the archive is not a regular file")
        extra = sorted(set(self.members) - listed)
        if extra:
            raise FieldError("BACKUP", "unexpected_member",
                             f"备份文件含有清单以外的内容（{len(extra)} 项，如 {extra[0]}），拒绝恢复",
                             f"the archive holds {len(extra)} member(s) its manifest does not list "
                             f"(e.g. {extra[0]}); refusing to restore")

    def copy_member(self, name, target, expected_sha256, expected_size):
        """Copy one member to target, checking its size and SHA-256 (a mismatch removes the copy)."""
        digest, size = hashlib.sha256(), 0
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            src = self.tar.extractfile(self.members[name])
            with open(target, "xb") as out:
                while chunk := src.read(CHUNK):
                    digest.update(chunk)
                    size += len(chunk)
                    out.write(chunk)
        except (tarfile.TarError, EOFError) as exc:
            target.unlink(missing_ok=True)
            raise _corrupt(self.path, f"{name} 读不出：{exc}", f"{name} unreadable: {exc}")
        if size != expected_size or digest.hexdigest() != expected_sha256:
            target.unlink(missing_ok=True)
            raise FieldError("BACKUP", "checksum_mismatch",
                             f"备份文件中 {name} 的校验和与清单不符（文件已损坏），拒绝恢复",
                             f"{name} in the archive does not match its manifest checksum (damaged); "
                             f"refusing to restore")

    def close(self):
        self.tar.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
