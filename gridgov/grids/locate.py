"""Locate: point → the finest grid unit covering it, with all its ancestors.

This is the service every later part uses (case intake, hotline import, citizen form).

Tie-breaking: a point on an edge or vertex shared by several grids is covered by all of them;
the one with the smallest code wins, in the single-point and the bulk path alike, so the same
point always lands in the same grid.
"""
import math
from dataclasses import dataclass, field

from django.db import connection

from geodata.datums import DATUMS, UnknownDatum, normalise_datum, to_wgs84, to_wgs84_arrays
from gridgov.core.errors import FieldError

from .models import Level

# Mainland China's extent with a margin: used to recognise swapped coordinates.
CHINA_LON = (73.0, 136.0)
CHINA_LAT = (3.0, 54.0)


class PointOutsideGrids(FieldError):
    status = 404


@dataclass(frozen=True)
class UnitRef:
    id: int
    code: str
    name: str
    level: int

    def as_dict(self):
        return {"code": self.code, "name": self.name, "level": self.level,
                "level_name": str(Level(self.level).label)}


@dataclass(frozen=True)
class Located:
    unit: UnitRef
    ancestors: list = field(default_factory=list)  # district first
    lon: float = 0.0  # WGS-84
    lat: float = 0.0

    @property
    def grid_id(self):
        return self.unit.id

    def as_dict(self):
        return {**self.unit.as_dict(), "ancestors": [a.as_dict() for a in self.ancestors],
                "point": {"lon": round(self.lon, 7), "lat": round(self.lat, 7), "datum": "wgs84"}}


def _number(value, name, zh_name):
    if value is None or (isinstance(value, str) and not value.strip()):
        raise FieldError(name, "required", f"缺少{zh_name}（{name}）", f"{name} is required")
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise FieldError(name, "not_a_number", f"{zh_name}不是数字：{value!r}", f"{name} is not a number: {value!r}")
    if math.isnan(number) or math.isinf(number):
        raise FieldError(name, "not_finite", f"{zh_name}不是有限数值（NaN/无穷）", f"{name} must be a finite number, not NaN or infinity")
    return number


def validate_point(lon, lat, datum="wgs84"):
    """Parse and check a lon/lat pair; returns (lon, lat, datum) or raises FieldError naming the field."""
    try:
        datum = normalise_datum(datum)
    except UnknownDatum:
        raise FieldError("datum", "unknown_datum", f"不支持的坐标系：{datum!r}，可选 {', '.join(DATUMS)}",
                         f"unknown datum {datum!r}; one of {', '.join(DATUMS)}")
    lon = _number(lon, "lon", "经度")
    lat = _number(lat, "lat", "纬度")
    if lon == 0 and lat == 0:
        raise FieldError("lon", "gps_failure", "坐标为 (0, 0)：定位失败，请重新定位",
                         "coordinates are (0, 0): the GPS fix failed, locate again")
    if not -90 <= lat <= 90:
        if -90 <= lon <= 90 and -180 <= lat <= 180:
            raise FieldError("lat", "swapped", f"纬度 {lat} 超出 ±90°：经纬度可能填反了",
                             f"lat {lat} is outside ±90°: lon and lat look swapped")
        raise FieldError("lat", "out_of_range", f"纬度 {lat} 超出 ±90°", f"lat {lat} is outside ±90°")
    if not -180 <= lon <= 180:
        raise FieldError("lon", "out_of_range", f"经度 {lon} 超出 ±180°", f"lon {lon} is outside ±180°")
    in_china = CHINA_LON[0] <= lon <= CHINA_LON[1] and CHINA_LAT[0] <= lat <= CHINA_LAT[1]
    swapped_in_china = CHINA_LON[0] <= lat <= CHINA_LON[1] and CHINA_LAT[0] <= lon <= CHINA_LAT[1]
    if not in_china and swapped_in_china:
        raise FieldError("lat", "swapped", f"经纬度可能填反了：lon={lon}, lat={lat}",
                         f"lon and lat look swapped: lon={lon}, lat={lat}")
    return lon, lat, datum


# A unit's ancestors are the units whose codes are prefixes of its code (district 6 characters, street or
# town 9, village or community 12): the one rule for a single report (locate) and bulk creation
# (gridgov.cases.bulk).
ANCESTOR_PREFIXES = (6, 9, 12)


def ancestor_codes_sql(code_expr):
    """SQL list of the ancestor codes of the unit code `code_expr` (an identifier of the caller's)."""
    return ", ".join(f"left({code_expr}, {n})" for n in ANCESTOR_PREFIXES)


# One round trip: the finest covering unit (ties → smallest code), then its ancestors by code prefix.
_CHAIN_SQL = """
    WITH hit AS ({hit})
    SELECT u.id, u.code, {name}, u.level FROM hit JOIN grids_gridunit u
      ON u.code IN (""" + ancestor_codes_sql("hit.code") + """, hit.code)
    {join_boundary}
    ORDER BY length(u.code)
"""
_HIT_NOW = """SELECT code FROM grids_gridunit
    WHERE is_active AND ST_Covers(geom, ST_SetSRID(ST_MakePoint(%(lon)s, %(lat)s), 4326))
    ORDER BY level DESC, code LIMIT 1"""
# Historic boundaries: the versions valid at the given instant (names as they were then too).
_HIT_AT = """SELECT u.code FROM grids_gridboundary b JOIN grids_gridunit u ON u.id = b.unit_id
    WHERE b.valid_from <= %(at)s AND (b.valid_to IS NULL OR b.valid_to > %(at)s)
      AND ST_Covers(b.geom, ST_SetSRID(ST_MakePoint(%(lon)s, %(lat)s), 4326))
    ORDER BY u.level DESC, u.code LIMIT 1"""
_COVERING_SQL = _CHAIN_SQL.format(hit=_HIT_NOW, name="u.name", join_boundary="")
_COVERING_AT_SQL = _CHAIN_SQL.format(
    hit=_HIT_AT, name="coalesce(b.name, u.name)",
    join_boundary="LEFT JOIN grids_gridboundary b ON b.unit_id = u.id AND b.valid_from <= %(at)s "
                  "AND (b.valid_to IS NULL OR b.valid_to > %(at)s)")
_NEAREST_SQL = """
    SELECT code, name, ST_Distance(geom::geography, ST_SetSRID(ST_MakePoint(%s, %s), 4326)::geography)
    FROM grids_gridunit WHERE is_active AND level = (SELECT max(level) FROM grids_gridunit WHERE is_active)
    ORDER BY geom <-> ST_SetSRID(ST_MakePoint(%s, %s), 4326) LIMIT 1
"""


def locate(lon, lat, datum="wgs84", at=None):
    """The finest grid unit covering the point, with its ancestors.

    `at` (aware datetime) locates against the boundaries valid then instead of the current ones.
    Raises FieldError for bad input and PointOutsideGrids (naming the nearest grid and the
    distance in metres) when no grid covers the point.
    """
    lon, lat, datum = validate_point(lon, lat, datum)
    wlon, wlat = to_wgs84(lon, lat, datum)
    params = {"lon": wlon, "lat": wlat, "at": at}
    with connection.cursor() as cur:
        cur.execute(_COVERING_SQL if at is None else _COVERING_AT_SQL, params)
        chain = [UnitRef(*row) for row in cur.fetchall()]
        if not chain:
            cur.execute(_NEAREST_SQL, [wlon, wlat, wlon, wlat])
            nearest = cur.fetchone()
    if not chain:
        if nearest is None:
            raise PointOutsideGrids("lon", "no_grids", "尚未导入任何网格", "no grid units have been imported")
        code, name, distance = nearest
        raise PointOutsideGrids(
            "lon", "outside_grids",
            f"该点不在任何网格内：最近的网格是 {name}（{code}），距离 {distance:.0f} 米",
            f"the point is outside every grid: the nearest is {name} ({code}), {distance:.0f} m away",
            nearest={"code": code, "name": name, "distance_m": round(distance, 1)},
        )
    return Located(unit=chain[-1], ancestors=chain[:-1], lon=wlon, lat=wlat)


# Bulk assignment. Grid-outer on purpose: for each grid, the points inside its bounding box come
# from the points' GiST index and are tested against that one polygon, so PostGIS reuses the
# prepared polygon across consecutive calls (6x faster than the point-outer plan the planner picks
# for a plain join; see bench/locate_bench.py). OFFSET 0 keeps the planner from flattening the
# LATERAL subquery back into that plan. DISTINCT ON applies locate()'s tie-break to the few points
# on shared edges and vertices.
_ASSIGN_SQL = """
    CREATE TEMP TABLE {into} ON COMMIT DROP AS
    SELECT DISTINCT ON (p.pk) p.pk AS point_id, g.id AS grid_id
    FROM grids_gridunit g
    CROSS JOIN LATERAL (
        SELECT t.{pk} AS pk FROM {table} t WHERE ST_Covers(g.geom, t.{geom_col}) OFFSET 0
    ) p
    WHERE g.is_active AND g.level = %s
    ORDER BY p.pk, g.code
"""


def bulk_assign(table, geom_col="geom", pk="id", into="grid_assignment", level=Level.GRID):
    """Assign every point of `table` (with a GiST index on `geom_col`) to its grid, in SQL.

    Creates the temporary table `into` (point_id, grid_id), dropped at the end of the
    transaction; callers join it into their INSERT/UPDATE in the same transaction. Points outside
    every grid have no row. Table and column names are the caller's identifiers, never user input.
    Returns the number of points assigned.
    """
    if not connection.in_atomic_block:
        raise RuntimeError("bulk_assign must run inside transaction.atomic() (its result table is temporary)")
    with connection.cursor() as cur:
        cur.execute(f"DROP TABLE IF EXISTS {into}")
        cur.execute(_ASSIGN_SQL.format(into=into, table=table, geom_col=geom_col, pk=pk), [int(level)])
        return cur.rowcount


def locate_many(lons, lats, datum="wgs84", level=Level.GRID):
    """Grid ids (or None), in input order, for arrays of validated points — set-based in PostGIS."""
    from django.db import transaction

    wlon, wlat = to_wgs84_arrays(lons, lats, datum)
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute("DROP TABLE IF EXISTS locate_many_points")
        cur.execute("CREATE TEMP TABLE locate_many_points ON COMMIT DROP AS "
                    "SELECT i AS id, ST_SetSRID(ST_MakePoint(x, y), 4326) AS geom "
                    "FROM unnest(%s::float8[], %s::float8[]) WITH ORDINALITY AS u(x, y, i)",
                    [list(map(float, wlon)), list(map(float, wlat))])
        cur.execute("CREATE INDEX ON locate_many_points USING gist (geom)")
        cur.execute("ANALYZE locate_many_points")
        bulk_assign("locate_many_points", into="locate_many_result", level=level)
        cur.execute("SELECT p.id, r.grid_id FROM locate_many_points p "
                    "LEFT JOIN locate_many_result r ON r.point_id = p.id ORDER BY p.id")
        return [gid for _, gid in cur.fetchall()]
