"""Where grid files come from: a path (file, folder or .zip) → the GDAL datasets to read.

Only three formats are accepted, each through its own GDAL driver (a CSV or a text file renamed
.geojson is refused, not guessed at): ESRI Shapefile, GeoJSON and GeoPackage. Zip archives are
unpacked into a private temporary folder after their entries have been checked (no absolute
paths, no "..", no links, bounded size), never with extractall.
"""
import codecs
import mmap
import re
import shutil
import stat
import tempfile
import zipfile
from contextlib import contextmanager
from ctypes import c_char_p
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from django.contrib.gis.gdal import DataSource, Driver
from django.contrib.gis.gdal.error import GDALException
from django.contrib.gis.gdal.prototypes import ds as capi

from gridgov.core.errors import FieldError

DRIVER_BY_SUFFIX = {".shp": "ESRI Shapefile", ".geojson": "GeoJSON", ".json": "GeoJSON", ".gpkg": "GPKG"}
FORMAT_LABEL = {"ESRI Shapefile": "Shapefile", "GeoJSON": "GeoJSON", "GPKG": "GeoPackage"}
GDAL_OF_VECTOR = 0x04

# Zip bombs: the total size after unpacking and the ratio to the packed size are bounded.
MAX_UNZIPPED_BYTES = 2 * 1024 ** 3
MAX_ZIP_RATIO = 1000
MAX_ZIP_ENTRIES = 10_000

# dBASE language driver ids (byte 29 of the .dbf header) that name a code page unambiguously.
# 0x00 (none) and 0x57 (“current ANSI code page”, GDAL's default) say nothing.
LDID_CODEPAGES = {0x01: "cp437", 0x02: "cp850", 0x03: "cp1252", 0x4D: "gbk", 0x4E: "cp949", 0x4F: "cp950",
                  0x7A: "gbk", 0x7B: "cp949", 0x78: "cp950"}


@dataclass
class Problem:
    """One reason a feature (or the whole file) is refused, or one repair made."""

    ref: str
    code: str | None
    message_zh: str
    message_en: str

    def line(self):
        code = f" [{self.code}]" if self.code else ""
        return f"{self.ref}{code}：{self.message_zh} / {self.message_en}"


class ImportRefused(FieldError):
    """The file was refused; nothing has been written. `problems` lists every reason found."""

    MAX_LISTED = 50

    def __init__(self, problems):
        self.problems = list(problems)
        shown = self.problems[: self.MAX_LISTED]
        more = len(self.problems) - len(shown)
        head_zh = f"导入被拒绝，未写入任何数据：共 {len(self.problems)} 个问题"
        head_en = f"import refused, nothing written: {len(self.problems)} problem(s)"
        if more:
            head_zh += f"（只列出前 {len(shown)} 个）"
            head_en += f" (first {len(shown)} listed)"
        self.body = "\n".join("  " + p.line() for p in shown)
        self.head = f"{head_zh} / {head_en}"
        super().__init__("file", "import_refused", f"{head_zh}\n{self.body}", f"{head_en}\n{self.body}",
                         problems=[p.__dict__ for p in shown])

    def text(self):
        return f"{self.head}\n{self.body}"


def refuse(ref, message_zh, message_en, code=None):
    raise ImportRefused([Problem(ref, code, message_zh, message_en)])


def normalise_encoding(name):
    """A Python codec name for a user- or .cpg-supplied encoding ("GBK", "936", "CP936", "UTF-8")."""
    value = (name or "").strip().strip('"').lower()
    if not value:
        return None
    value = re.sub(r"^(ansi|oem|cp|windows-?)\s*(?=\d+$)", "", value)
    if value.isdigit():
        value = {"65001": "utf-8", "936": "gbk", "54936": "gb18030", "20936": "gb2312"}.get(value, "cp" + value)
    try:
        return codecs.lookup(value).name
    except LookupError:
        return None


@dataclass
class Source:
    """One geodata file to read, with how its text attributes are decoded."""

    path: Path
    driver: str
    encoding: str = "utf-8"
    encoding_from: str = "default"  # "--encoding", ".cpg", "ldid", "default" (shapefiles) or "format"
    label: str = ""  # how problems name the file: its path inside the folder or zip

    def __post_init__(self):
        self.label = self.label or self.path.name


def sibling(path, suffix):
    """The shapefile part next to `path` with this suffix, whatever the case (.DBF, .Prj …)."""
    for candidate in path.parent.iterdir():
        if candidate.stem == path.stem and candidate.suffix.lower() == suffix:
            return candidate
    return None


def shapefile_encoding(shp, requested):
    """(codec, where it came from): --encoding, then the .cpg file, then the .dbf LDID byte."""
    if requested:
        return requested, "--encoding"
    cpg = sibling(shp, ".cpg")
    if cpg is not None:
        codec = normalise_encoding(cpg.read_text("ascii", errors="replace")[:40])
        if codec:
            return codec, ".cpg"
    dbf = sibling(shp, ".dbf")
    if dbf is not None:
        with open(dbf, "rb") as fh:
            header = fh.read(32)
        if len(header) == 32 and header[29] in LDID_CODEPAGES:
            return LDID_CODEPAGES[header[29]], "ldid"
    return "utf-8", "default"


def _check_geojson_crs(path):
    """GDAL < 3.9 would fetch a CRS named by URL; refuse such files before GDAL sees them."""
    if path.stat().st_size == 0:
        return
    with open(path, "rb") as fh, mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as data:
        for match in re.finditer(rb'"crs"\s*:', data):
            window = data[match.end(): match.end() + 400].lower()
            if b'"link"' in window or re.search(rb'"(https?|ftp|file)://', window) or b"/vsi" in window:
                refuse(path.name, "坐标系（crs）引用了外部链接，拒绝读取；请改用 EPSG 代码",
                       "the crs member refers to a link/URL; refused (use an EPSG code)")


def _string_list(items):
    return (c_char_p * (len(items) + 1))(*[s.encode() for s in items], None)


def open_dataset(source):
    """Open with exactly one GDAL driver (chosen by suffix); refuse anything it cannot read."""
    Driver.ensure_registered()
    if source.driver == "GeoJSON":
        _check_geojson_crs(source.path)
    if source.driver == "ESRI Shapefile":
        missing = [suffix for suffix in (".shx", ".dbf") if sibling(source.path, suffix) is None]
        if missing:
            refuse(source.label, f"Shapefile 缺少配套文件 {'、'.join(missing)}（.shp/.shx/.dbf 须放在一起）",
                   f"the shapefile's {', '.join(missing)} file(s) are missing (.shp, .shx and .dbf belong together)")
    # Shapefile text is read undecoded ("ENCODING=" turns GDAL's recoding off) and decoded here,
    # strictly, so that a wrong encoding is an error rather than silent mojibake.
    options = ["ENCODING="] if source.driver == "ESRI Shapefile" else []
    try:
        ptr = capi.open_ds(str(source.path).encode(), GDAL_OF_VECTOR, _string_list([source.driver]),
                           _string_list(options), None)
    except GDALException:
        label = FORMAT_LABEL[source.driver]
        refuse(source.label, f"不是可读取的 {label} 文件（GDAL 无法打开）",
               f"not a readable {label} file (GDAL cannot open it)")
    ds = DataSource(ptr, capi.get_dataset_driver(ptr))
    ds.encoding = source.encoding
    return ds


def _find_sources(folder, recursive):
    pattern = "**/*" if recursive else "*"
    found = []
    for p in sorted(folder.glob(pattern)):
        if not p.is_file() or p.name.startswith(".") or "__MACOSX" in p.parts:
            continue
        if p.suffix.lower() in DRIVER_BY_SUFFIX:
            found.append(p)
    return found


def _check_zip(archive, name):
    infos = archive.infolist()
    if len(infos) > MAX_ZIP_ENTRIES:
        refuse(name, f"压缩包条目过多（{len(infos)}）", f"too many entries in the archive ({len(infos)})")
    total = 0
    for info in infos:
        entry = _entry_name(info)
        parts = PurePosixPath(entry.replace("\\", "/")).parts
        if entry.startswith(("/", "\\")) or ".." in parts or re.match(r"^[A-Za-z]:", entry):
            refuse(name, f"压缩包中有越界路径 {entry!r}（路径穿越），拒绝解压",
                   f"the archive contains an unsafe path {entry!r} (path traversal); refused")
        mode = info.external_attr >> 16
        if stat.S_ISLNK(mode):
            refuse(name, f"压缩包中有符号链接 {entry!r}，拒绝解压", f"the archive contains a symbolic link {entry!r}; refused")
        total += info.file_size
        if info.file_size > MAX_ZIP_RATIO * max(info.compress_size, 1) and info.file_size > 1024 ** 2:
            refuse(name, f"压缩包条目 {entry!r} 压缩比异常（疑似压缩炸弹）",
                   f"entry {entry!r} has an absurd compression ratio (zip bomb?); refused")
    if total > MAX_UNZIPPED_BYTES:
        refuse(name, f"压缩包解压后过大（{total} 字节，上限 {MAX_UNZIPPED_BYTES}）",
               f"the archive unpacks to {total} bytes, more than the limit of {MAX_UNZIPPED_BYTES}")


def _entry_name(info):
    """Entry names from Chinese Windows tools are GBK without the UTF-8 flag; Python reads them as cp437."""
    if info.flag_bits & 0x800:
        return info.filename
    raw = info.filename.encode("cp437", errors="replace")
    for codec in ("utf-8", "gbk"):
        try:
            return raw.decode(codec)
        except UnicodeDecodeError:
            continue
    return info.filename


def _unzip(zip_path, target):
    try:
        archive = zipfile.ZipFile(zip_path)
    except (zipfile.BadZipFile, OSError):
        refuse(zip_path.name, "不是有效的 zip 压缩包", "not a valid zip archive")
    with archive:
        _check_zip(archive, zip_path.name)
        try:
            _extract(archive, zip_path.name, target)
        except (RuntimeError, NotImplementedError, zipfile.BadZipFile, EOFError, OSError) as err:
            refuse(zip_path.name, f"压缩包损坏、加密或压缩方式不支持：{err}",
                   f"the archive is damaged, encrypted or uses an unsupported compression: {err}")


def _extract(archive, name, target):
    written = 0
    for info in archive.infolist():
        rel = PurePosixPath(_entry_name(info).replace("\\", "/"))
        dest = target.joinpath(*rel.parts)
        if not dest.resolve().is_relative_to(target.resolve()):  # belt and braces after _check_zip
            refuse(name, f"压缩包中有越界路径 {info.filename!r}", f"unsafe path {info.filename!r} in the archive")
        if info.is_dir():
            dest.mkdir(parents=True, exist_ok=True)
            continue
        dest.parent.mkdir(parents=True, exist_ok=True)
        # The sizes in the zip headers may lie: count what is really unpacked.
        with archive.open(info) as src, open(dest, "wb") as out:
            while chunk := src.read(1024 * 1024):
                written += len(chunk)
                if written > MAX_UNZIPPED_BYTES:
                    refuse(name, "压缩包解压后过大", "the archive unpacks to more than the size limit")
                out.write(chunk)


@contextmanager
def resolved_sources(path, encoding=None):
    """Yield the Sources a path stands for; a zip is unpacked into a temporary folder meanwhile."""
    path = Path(path)
    if str(path).startswith("/vsi") or not path.exists():
        refuse(str(path), "文件或文件夹不存在", "no such file or folder")
    tmp = None
    try:
        if path.is_dir():
            files = _find_sources(path, recursive=False) or _find_sources(path, recursive=True)
        elif path.suffix.lower() == ".zip":
            tmp = Path(tempfile.mkdtemp(prefix="gridgov-import-"))
            _unzip(path, tmp)
            files = _find_sources(tmp, recursive=True)
        elif path.suffix.lower() in DRIVER_BY_SUFFIX:
            files = [path]
        else:
            refuse(path.name, f"不支持的文件类型 {path.suffix or '（无扩展名）'}：请提供 .shp/.zip/.geojson/.gpkg 或其所在文件夹",
                   f"unsupported file type {path.suffix or '(none)'}: give a .shp, .zip, .geojson or .gpkg, or a folder")
        if not files:
            refuse(path.name, "其中没有 Shapefile/GeoJSON/GeoPackage 文件",
                   "it contains no Shapefile, GeoJSON or GeoPackage file")
        sources = []
        root = tmp or (path if path.is_dir() else path.parent)
        for f in files:
            driver = DRIVER_BY_SUFFIX[f.suffix.lower()]
            if driver == "ESRI Shapefile":
                codec, origin = shapefile_encoding(f, encoding)
            else:  # GeoJSON (RFC 7946) and GeoPackage (SQLite) text is UTF-8 by definition
                codec, origin = "utf-8", "format"
            sources.append(Source(f, driver, codec, origin, label=f.relative_to(root).as_posix()))
        yield sources
    finally:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)
