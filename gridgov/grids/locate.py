"""Locate: point → the finest grid unit covering it, with all its ancestors.

This is the service every later part uses (case intake, hotline import, citizen form).

Tie-breaking: a point on an edge or vertex shared by several grids is covered by all of them;
the one with the smallest code wins, in the single-point and the bulk path alike, so the same
point always lands in the same grid.
"""
import math
from dataclasses import dataclass, field

from django.conf import settings
from django.db import connection

from geodata.datums import DATUMS, UnknownDatum, normalise_datum, to_wgs84, to_wgs84_arrays
from gridgov.errors import FieldError

from .models import GridUnit, Level, ancestor_codes

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


def _refs(codes):
    rows = GridUnit.objects.filter(code__in=codes).values_list("id", "code", "name", "level")
    by_code = {r[1]: UnitRef(*r) for r in rows}
    return [by_code[c] for c in codes if c in by_code]


_COVERING_SQL = """
    SELECT id, code, name, level FROM grids_gridunit
    WHERE is_active AND ST_Covers(geom, ST_SetSRID(ST_MakePoint(%s, %s), 4326))
    ORDER BY level DESC, code LIMIT 1
"""
# Historic boundaries: the version valid at the given instant.
_COVERING_AT_SQL = """
    SELECT u.id, u.code, b.name, u.level FROM grids_gridboundary b JOIN grids_gridunit u ON u.id = b.unit_id
    WHERE b.valid_from <= %s AND (b.valid_to IS NULL OR b.valid_to > %s)
      AND ST_Covers(b.geom, ST_SetSRID(ST_MakePoint(%s, %s), 4326))
    ORDER BY u.level DESC, u.code LIMIT 1
"""
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
    with connection.cursor() as cur:
        if at is None:
            cur.execute(_COVERING_SQL, [wlon, wlat])
        else:
            cur.execute(_COVERING_AT_SQL, [at, at, wlon, wlat])
        row = cur.fetchone()
        if row is None:
            cur.execute(_NEAREST_SQL, [wlon, wlat, wlon, wlat])
            nearest = cur.fetchone()
    if row is None:
        if nearest is None:
            raise PointOutsideGrids("lon", "no_grids", "尚未导入任何网格", "no grid units have been imported")
        code, name, distance = nearest
        raise PointOutsideGrids(
            "lon", "outside_grids",
            f"该点不在任何网格内：最近的网格是 {name}（{code}），距离 {distance:.0f} 米",
            f"the point is outside every grid: the nearest is {name} ({code}), {distance:.0f} m away",
            nearest={"code": code, "name": name, "distance_m": round(distance, 1)},
        )
    unit = UnitRef(*row)
    return Located(unit=unit, ancestors=_refs(ancestor_codes(unit.code)), lon=wlon, lat=wlat)


# Bulk: one statement; the tie-break is the same as locate()'s (finest level, then smallest code).
_BULK_SQL = """
    SELECT p.i, g.id
    FROM unnest(%s::float8[], %s::float8[]) WITH ORDINALITY AS p(x, y, i)
    LEFT JOIN LATERAL (
        SELECT id FROM grids_gridunit
        WHERE is_active AND level = %s AND ST_Covers(geom, ST_SetSRID(ST_MakePoint(p.x, p.y), 4326))
        ORDER BY code LIMIT 1
    ) g ON true
    ORDER BY p.i
"""


def locate_many(lons, lats, datum="wgs84", level=Level.GRID):
    """Grid ids (or None) for arrays of points, in one SQL statement. Inputs must be validated."""
    wlon, wlat = to_wgs84_arrays(lons, lats, datum)
    with connection.cursor() as cur:
        cur.execute(_BULK_SQL, [list(map(float, wlon)), list(map(float, wlat)), int(level)])
        return [gid for _, gid in cur.fetchall()]


ASSIGN_TABLE_SQL = """
    UPDATE {table} t SET {grid_col} = g.id
    FROM (
        SELECT DISTINCT ON (t2.{pk}) t2.{pk} AS pk, u.id
        FROM {table} t2 JOIN grids_gridunit u
          ON u.is_active AND u.level = %s AND ST_Covers(u.geom, t2.{geom_col})
        ORDER BY t2.{pk}, u.code
    ) g
    WHERE t.{pk} = g.pk
"""


def assign_grids_in_table(table, geom_col="geom", grid_col="grid_id", pk="id", level=Level.GRID):
    """Bulk assignment for a table of points already in the database (imports, backfills).

    Runs as one set-based statement: PostGIS joins the points to the grids through the GiST
    index, with the same tie-break as locate(). Identifiers are the caller's (not user input).
    """
    sql = ASSIGN_TABLE_SQL.format(table=table, geom_col=geom_col, grid_col=grid_col, pk=pk)
    with connection.cursor() as cur:
        cur.execute(sql, [int(level)])
        return cur.rowcount
