"""Every write to grid units goes through here (atomic; boundary history kept)."""
from dataclasses import dataclass, field

from django.contrib.gis.geos import GEOSGeometry, MultiPolygon
from django.db import connection, transaction
from django.utils import timezone

from gridgov.core.errors import FieldError

from .models import GridUnit, level_for_code, parent_code

# Two boundaries closer than this (degrees, ~1 cm) are the same boundary: re-importing the same
# file must change nothing even after a round trip through another format.
SAME_BOUNDARY_TOLERANCE = 1e-7


@dataclass
class UnitInput:
    code: str
    name: str
    geom: GEOSGeometry  # MultiPolygon, EPSG:4326, valid
    population: int | None = None
    ref: str = ""  # where it came from (feature number), for error messages


@dataclass
class UpsertResult:
    created: list = field(default_factory=list)
    changed: list = field(default_factory=list)
    unchanged: list = field(default_factory=list)
    retired: list = field(default_factory=list)

    def summary(self):
        return {"created": len(self.created), "changed": len(self.changed), "unchanged": len(self.unchanged),
                "retired": len(self.retired)}


def _as_multipolygon(geom):
    if geom.geom_type == "Polygon":
        geom = MultiPolygon(geom, srid=geom.srid)
    return geom


def check_inputs(units, existing_codes):
    """Codes well-formed, unique, and each parent present (in the batch or already stored)."""
    seen = set()
    batch_codes = {u.code for u in units}
    for u in units:
        level = level_for_code(u.code)
        if level is None:
            raise FieldError("code", "malformed_code",
                             f"{u.ref}编码 {u.code!r} 格式错误：应为 6/9/12/15 位数字",
                             f"{u.ref}code {u.code!r} is malformed: 6, 9, 12 or 15 digits expected")
        if u.code in seen:
            raise FieldError("code", "duplicate_code", f"{u.ref}编码 {u.code} 重复", f"{u.ref}duplicate code {u.code}")
        seen.add(u.code)
        p = parent_code(u.code)
        if p and p not in batch_codes and p not in existing_codes:
            raise FieldError("parent", "missing_parent",
                             f"{u.ref}{u.code} 的上级 {p} 不存在（既不在文件中也不在数据库中）",
                             f"{u.ref}parent {p} of {u.code} is neither in the file nor in the database")
        if not (u.name or "").strip():
            raise FieldError("name", "required", f"{u.ref}{u.code} 缺少名称", f"{u.ref}{u.code} has no name")


@transaction.atomic
def do_assign_workers(unit, users):
    unit.workers.set(users)


# --- Create or update units ----------------------------------------------------------------------
# The writes go through a temporary table filled by COPY and a handful of set-based INSERT/UPDATE
# statements instead of queries per unit, so a file of 10,000 grids is written in seconds.

_STAGE_SQL = """
    CREATE TEMPORARY TABLE _upsert_units (
        code text PRIMARY KEY, name text NOT NULL, population integer, geom geometry NOT NULL,
        action text NOT NULL, new_version boolean NOT NULL
    ) ON COMMIT DROP
"""
_CLOSE_VERSIONS_SQL = """
    UPDATE grids_gridboundary b SET valid_to = %(now)s
    FROM _upsert_units t JOIN grids_gridunit u ON u.code = t.code
    WHERE t.action = 'change' AND t.new_version AND b.unit_id = u.id AND b.valid_to IS NULL
"""
_UPDATE_UNITS_SQL = """
    UPDATE grids_gridunit u SET geom = t.geom, name = t.name, is_active = true,
        population = coalesce(t.population, u.population), area_m2 = ST_Area(t.geom::geography),
        updated_at = %(now)s
    FROM _upsert_units t WHERE t.action = 'change' AND u.code = t.code
"""
_CREATE_UNITS_SQL = """
    INSERT INTO grids_gridunit (code, name, level, parent_id, geom, area_m2, population, is_active,
                                created_at, updated_at)
    SELECT t.code, t.name, %(level)s, p.id, t.geom, ST_Area(t.geom::geography), t.population, true,
           %(now)s, %(now)s
    FROM _upsert_units t LEFT JOIN grids_gridunit p ON length(t.code) > 6 AND p.code = left(t.code, -3)
    WHERE t.action = 'create' AND length(t.code) = %(length)s
    ORDER BY t.code
"""
_OPEN_VERSIONS_SQL = """
    INSERT INTO grids_gridboundary (unit_id, geom, area_m2, name, valid_from, valid_to, source)
    SELECT u.id, u.geom, u.area_m2, u.name, %(now)s, NULL, %(source)s
    FROM _upsert_units t JOIN grids_gridunit u ON u.code = t.code
    WHERE t.new_version
"""


_RETIRE_SQL = """
    WITH gone AS (
        UPDATE grids_gridunit u SET is_active = false, updated_at = %(now)s
        WHERE u.is_active AND u.code LIKE %(prefix)s AND u.code <> %(under)s AND NOT (u.code = ANY(%(keep)s))
        RETURNING u.id, u.code
    ), closed AS (
        UPDATE grids_gridboundary b SET valid_to = %(now)s
        FROM gone WHERE b.unit_id = gone.id AND b.valid_to IS NULL AND b.valid_from < %(now)s
    )
    SELECT gone.code FROM gone ORDER BY gone.code
"""


def _retire_missing(under, keep, now, result):
    with connection.cursor() as cur:
        cur.execute(_RETIRE_SQL, {"now": now, "prefix": under.replace("%", "") + "%", "under": under,
                                  "keep": sorted(keep)})
        result.retired.extend(code for (code,) in cur.fetchall())


def _storage_multipolygon(geom):
    geom = _as_multipolygon(geom)
    if geom.srid and geom.srid != GridUnit._meta.get_field("geom").srid:
        geom = geom.transform(GridUnit._meta.get_field("geom").srid, clone=True)
    return geom


@transaction.atomic
def do_upsert_units(units, source="", now=None, retire_under=None):
    """Create or update grid units; a changed boundary (or name) closes the current version and
    opens a new one; an attribute-only change (population) makes no new version.

    All or nothing: inputs are checked before anything is written (FieldError naming the unit),
    and the whole batch runs in one transaction. Areas are computed by PostGIS on the spheroid.
    """
    now = now or timezone.now()
    units = sorted(units, key=lambda u: (len(u.code), u.code))
    existing = {u.code: u for u in GridUnit.objects.filter(code__in=[u.code for u in units])
                .only("code", "name", "geom", "population", "is_active")}
    all_codes = set(GridUnit.objects.filter(code__in={parent_code(u.code) for u in units} - {None})
                    .values_list("code", flat=True)) | set(existing)
    check_inputs(units, all_codes)
    if retire_under is not None and not GridUnit.objects.filter(code=retire_under).exists():
        raise FieldError("retire_under", "unknown", f"要停用其下缺失网格的单元 {retire_under} 不存在",
                         f"unit {retire_under} (whose missing descendants would be retired) does not exist")
    result = UpsertResult()
    rows = []
    for u in units:
        geom, name = _storage_multipolygon(u.geom), u.name.strip()
        old = existing.get(u.code)
        if old is None:
            rows.append((u.code, name, u.population, geom.hex.decode(), "create", True))
            result.created.append(u.code)
            continue
        same_geom = old.geom.equals_exact(geom, SAME_BOUNDARY_TOLERANCE)
        same_attrs = old.name == name and (u.population is None or old.population == u.population) and old.is_active
        if same_geom and same_attrs:
            result.unchanged.append(u.code)
            continue
        # a retired unit coming back gets a current boundary again
        rows.append((u.code, name, u.population, geom.hex.decode(), "change",
                     not same_geom or old.name != name or not old.is_active))
        result.changed.append(u.code)
    if retire_under is not None:
        _retire_missing(retire_under, {u.code for u in units}, now, result)
    if not rows:
        return result
    srid = GridUnit._meta.get_field("geom").srid
    params = {"now": now, "source": source}
    with connection.cursor() as cur:
        cur.execute("DROP TABLE IF EXISTS _upsert_units")
        cur.execute(_STAGE_SQL)
        with cur.cursor.copy("COPY _upsert_units (code, name, population, geom, action, new_version) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        cur.execute("UPDATE _upsert_units SET geom = ST_SetSRID(geom, %s)", [srid])
        cur.execute(_CLOSE_VERSIONS_SQL, params)
        cur.execute(_UPDATE_UNITS_SQL, params)
        for length in (6, 9, 12, 15):
            cur.execute(_CREATE_UNITS_SQL, {**params, "level": level_for_code("0" * length), "length": length})
        cur.execute(_OPEN_VERSIONS_SQL, params)
        cur.execute("DROP TABLE _upsert_units")
    return result
