"""Import grid units from a county's own files (Shapefile, GeoJSON, GeoPackage).

    report = import_grids("grids.zip", ImportOptions(encoding="gbk", datum="gcj02"))

Everything is read and checked before anything is written; every problem found is listed with
the feature and its code, and then nothing is written at all (ImportRefused). What is safely
repairable (invalid rings) is repaired with make_valid and reported. The write is one call to
do_upsert_units (one transaction; unchanged units stay untouched, changed boundaries become new
versions), so importing the same file twice changes nothing.
"""
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path

import shapely
from django.contrib.gis.geos import GEOSGeometry
from django.db import DatabaseError, transaction

from gridgov.core.errors import FieldError
from gridgov.grids.actions import UnitInput, do_upsert_units
from gridgov.grids.models import CODE_LENGTH, GridUnit, Level, level_for_code, parent_code

from .datums import normalise_datum
from .import_geometry import describe_srs, layer_to_storage, srs_for_srid
from .import_reading import read_sources
from .import_sources import FORMAT_LABEL, ImportRefused, Problem, normalise_encoding, resolved_sources

NAME_MAX = 100


@dataclass
class ImportOptions:
    code_field: str | None = None
    name_field: str | None = None
    parent_field: str | None = None
    population_field: str | None = None
    level: int | None = None  # 1..4; every feature must then be at this level
    srid: int | None = None  # the file's CRS when it has none (or a wrong one), like ogr2ogr -a_srs
    datum: str = "wgs84"  # gcj02 / bd09 for data digitised on Chinese web maps
    encoding: str | None = None  # text encoding of the attributes (shapefiles without .cpg: gbk)
    layers: tuple = ()
    dry_run: bool = False
    retire_under: str | None = None  # a unit the file describes completely: its missing descendants are retired
    progress: object = None  # callable(label, done, total)
    progress_every: int = 1000

    def checked(self):
        """Refuse bad option values before the file is even opened."""
        bad = []
        if self.encoding:
            codec = normalise_encoding(self.encoding)
            if codec is None:
                bad.append(Problem("--encoding", None, f"不认识的编码 {self.encoding!r}", f"unknown encoding {self.encoding!r}"))
            self.encoding = codec
        try:
            self.datum = normalise_datum(self.datum)
        except ValueError:
            bad.append(Problem("--datum", None, f"不支持的坐标系 {self.datum!r}（可选 wgs84/cgcs2000/gcj02/bd09）",
                               f"unknown datum {self.datum!r} (wgs84, cgcs2000, gcj02 or bd09)"))
        if self.srid is not None and srs_for_srid(self.srid) is None:
            bad.append(Problem("--srid", None, f"未知的 EPSG 代码 {self.srid}", f"unknown EPSG code {self.srid}"))
        if self.level is not None and self.level not in Level.values:
            bad.append(Problem("--level", None, "层级应为 1（区县）、2（街镇）、3（社区村）或 4（网格）",
                               "level must be 1 (district), 2 (street/town), 3 (community/village) or 4 (grid)"))
        if bad:
            raise ImportRefused(bad)
        return self


@dataclass
class ImportReport:
    result: object = None  # gridgov.grids.actions.UpsertResult
    repairs: list = field(default_factory=list)
    sources: list = field(default_factory=list)  # one line per file/layer read
    features: int = 0
    dry_run: bool = False


def normalise_code(value):
    """'320831101001001', ' 320831101001001.0', '3.20831101001001E+14' → '320831101001001'."""
    if value is None:
        return None
    s = str(value).strip().replace(" ", "")
    if re.fullmatch(r"\d+\.0*", s):
        return s.split(".")[0]
    if re.fullmatch(r"\d+(\.\d+)?[eE]\+?\d+", s):
        try:
            d = Decimal(s)
        except InvalidOperation:
            return s
        if d == d.to_integral_value():
            return str(int(d))
    return s


def _population(value):
    if value is None or not str(value).strip():
        return None, None
    try:
        d = Decimal(str(value).strip())
    except InvalidOperation:
        d = None
    if d is None or d != d.to_integral_value() or d < 0 or d > 2_000_000_000:
        return None, (f"人口不是非负整数：{value!r}", f"population is not a non-negative whole number: {value!r}")
    return int(d), None


@dataclass
class _Row:
    ref: str
    code: str
    name: str
    population: int | None
    geom: object  # shapely MultiPolygon, WGS-84


def check_rows(layers, geoms_by_layer, level=None):
    """Codes, names, levels, parents and duplicates of every feature. Returns (rows, problems)."""
    rows, problems, first_ref = [], [], {}
    for layer, geoms in zip(layers, geoms_by_layer):
        for i in range(len(layer)):
            if i in layer.bad:
                continue
            ref = layer.refs[i]
            raw_code = normalise_code(layer.codes[i])
            parent = normalise_code(layer.parents[i])
            code = raw_code
            if code and code.isdigit() and len(code) <= 3 and parent and level_for_code(parent) and len(parent) < 15:
                code = parent + code.zfill(3)  # a local number ("001") under its parent's code
            bad = []
            if not code:
                bad.append(("缺少编码", "missing code"))
            elif level_for_code(code) is None:
                bad.append((f"编码 {code!r} 格式错误：应为 6/9/12/15 位数字", f"code {code!r} is malformed: 6, 9, 12 or 15 digits expected"))
            elif level and level_for_code(code) != level:
                want = CODE_LENGTH[Level(level)]
                bad.append((f"编码 {code} 有 {len(code)} 位，而 --level {level} 要求 {want} 位",
                            f"code {code} has {len(code)} digits but --level {level} expects {want}"))
            elif parent and parent_code(code) != parent:
                bad.append((f"上级编码字段为 {parent}，与编码前缀 {parent_code(code) or '（无）'} 不一致",
                            f"the parent field says {parent} but the code's prefix is {parent_code(code) or '(none)'}"))
            name = (layer.names[i] or "").strip()
            if not name:
                bad.append(("缺少名称", "missing name"))
            elif len(name) > NAME_MAX:
                bad.append((f"名称超过 {NAME_MAX} 个字", f"name longer than {NAME_MAX} characters"))
            population, pop_problem = _population(layer.populations[i])
            if pop_problem:
                bad.append(pop_problem)
            if code and code in first_ref:
                bad.append((f"编码重复（与 {first_ref[code]} 相同）", f"duplicate code (same as {first_ref[code]})"))
            elif code:
                first_ref[code] = ref
            problems.extend(Problem(ref, code or raw_code, zh, en) for zh, en in bad)
            if not bad and geoms[i] is not None:
                rows.append(_Row(ref, code, name, population, geoms[i]))
    return rows, problems, set(first_ref)


def check_parents(rows, file_codes):
    """Every parent must be in the file or already stored (one query for all of them)."""
    wanted = {parent_code(r.code) for r in rows} - file_codes - {None}
    stored = set(GridUnit.objects.filter(code__in=wanted).values_list("code", flat=True)) if wanted else set()
    return [Problem(r.ref, r.code, f"上级 {parent_code(r.code)} 既不在文件中也不在数据库中",
                    f"parent {parent_code(r.code)} is neither in the file nor in the database")
            for r in rows if parent_code(r.code) in wanted - stored]


def _units(rows):
    wkbs = shapely.to_wkb([r.geom for r in rows])
    return [UnitInput(code=r.code, name=r.name, population=r.population, ref=f"{r.ref} ",
                      geom=GEOSGeometry(memoryview(wkb), srid=4326)) for r, wkb in zip(rows, wkbs)]


def import_grids(path, options=None):
    """Read, check and (unless dry_run) write the grid units in `path`. Raises ImportRefused."""
    options = (options or ImportOptions()).checked()
    progress = options.progress or (lambda *a: None)
    report = ImportReport(dry_run=options.dry_run)
    requested = {"code": options.code_field, "name": options.name_field, "parent": options.parent_field,
                 "population": options.population_field}
    with resolved_sources(path, options.encoding) as sources:
        layers, problems = read_sources(sources, requested, options.layers, progress, options.progress_every)
    geoms_by_layer = []
    for layer in layers:
        progress(f"{layer.label}: 坐标转换与几何校验 / transforming and checking geometry", len(layer), len(layer))
        geoms, geom_problems, repairs = layer_to_storage(layer, options.srid, options.datum)
        geoms_by_layer.append(geoms)
        problems.extend(geom_problems)
        report.repairs.extend(repairs)
        source = layer.source
        srs = srs_for_srid(options.srid) if options.srid else layer.srs
        report.sources.append(
            f"{layer.label}: {FORMAT_LABEL[source.driver]}, {len(layer)} 个要素 features, CRS {describe_srs(srs)}, "
            f"datum {options.datum}, encoding {source.encoding} ({source.encoding_from})")
        report.features += len(layer)
    rows, code_problems, file_codes = check_rows(layers, geoms_by_layer, options.level)
    problems.extend(code_problems)
    problems.extend(check_parents(rows, file_codes))
    if not problems and not rows:
        problems.append(Problem(Path(path).name, None, "文件中没有要素", "the file has no features"))
    if problems:
        raise ImportRefused(problems)
    progress("写入数据库 / writing to the database", len(rows), len(rows))
    units = _units(rows)
    try:
        with transaction.atomic():
            report.result = do_upsert_units(units, source=f"import_grids:{Path(path).name}"[:255],
                                            retire_under=options.retire_under)
            if options.dry_run:
                transaction.set_rollback(True)
    except FieldError as err:
        raise ImportRefused([Problem(Path(path).name, None, err.message_zh, err.message_en)]) from err
    except DatabaseError as err:
        raise ImportRefused([Problem(Path(path).name, None, f"数据库拒绝写入：{err}", f"the database refused the write: {err}")]) from err
    return report
