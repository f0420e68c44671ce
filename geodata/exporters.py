"""Export grid units to GeoJSON (built in PostGIS) and GeoPackage (GDAL's ogr2ogr on that GeoJSON).

Attributes: code, name, level, parent_code, area_m2, population — the same names import_grids
looks for, so an export can be imported again (and changes nothing).
"""
import os
import re
import subprocess
import tempfile
from pathlib import Path

from django.db import connection

from gridgov.core.errors import FieldError
from gridgov.grids.models import Level

FORMATS = ("geojson", "gpkg")
LAYER = "grid_units"
# 9 decimals of a degree is 0.1 mm: far below SAME_BOUNDARY_TOLERANCE, so a round trip is "unchanged".
GEOJSON_DECIMALS = 9

_FEATURES_SQL = """
    SELECT json_build_object(
        'type', 'FeatureCollection',
        'name', %(layer)s,
        'features', coalesce(json_agg(json_build_object(
            'type', 'Feature',
            'geometry', ST_AsGeoJSON(u.geom, %(decimals)s)::json,
            'properties', json_build_object(
                'code', u.code, 'name', u.name, 'level', u.level, 'parent_code', p.code,
                'area_m2', round(u.area_m2::numeric, 1), 'population', u.population)
        ) ORDER BY u.code), '[]'::json)
    )::text, count(*)
    FROM grids_gridunit u LEFT JOIN grids_gridunit p ON p.id = u.parent_id
    WHERE u.is_active AND (%(level)s::int IS NULL OR u.level = %(level)s::int) AND u.code LIKE %(prefix)s
"""

# Column types made explicit for the GeoPackage (GeoJSON would guess String for an all-null column).
_GPKG_SQL = (f"SELECT code, name, CAST(level AS integer) AS level, parent_code, "
             f"CAST(area_m2 AS float) AS area_m2, CAST(population AS integer) AS population FROM {LAYER}")


def check_filters(level=None, code_prefix=""):
    if level is not None and level not in Level.values:
        raise FieldError("level", "invalid", "层级应为 1–4", "level must be 1, 2, 3 or 4")
    if code_prefix and not re.fullmatch(r"\d{1,15}", code_prefix):
        raise FieldError("code_prefix", "invalid", f"编码前缀只能是数字：{code_prefix!r}",
                         f"the code prefix must be digits: {code_prefix!r}")


def geojson_text(level=None, code_prefix=""):
    """(FeatureCollection as text, number of features) for the active units matching the filters."""
    check_filters(level, code_prefix)
    with connection.cursor() as cur:
        cur.execute(_FEATURES_SQL, {"layer": LAYER, "decimals": GEOJSON_DECIMALS, "level": level,
                                    "prefix": (code_prefix or "") + "%"})
        text, count = cur.fetchone()
    return text, count


def _replace_atomically(out, write):
    """Write next to `out` and move into place, so a failed export leaves no half-written file."""
    out = Path(out)
    fd, tmp = tempfile.mkstemp(prefix=f".{out.name}.", dir=out.parent or ".")
    os.close(fd)
    os.unlink(tmp)
    try:
        write(Path(tmp))
        os.replace(tmp, out)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def export_grids(out, fmt="geojson", level=None, code_prefix=""):
    """Write the matching grid units to `out`; returns the number of features written."""
    if fmt not in FORMATS:
        raise FieldError("format", "invalid", f"不支持的格式 {fmt!r}（geojson 或 gpkg）", f"unknown format {fmt!r} (geojson or gpkg)")
    text, count = geojson_text(level, code_prefix)
    if count == 0:
        raise FieldError("code_prefix", "empty", "没有符合条件的网格单元", "no grid units match")
    if fmt == "geojson":
        _replace_atomically(out, lambda tmp: tmp.write_text(text, encoding="utf-8"))
        return count
    with tempfile.TemporaryDirectory(prefix="gridgov-export-") as work:
        src = Path(work) / f"{LAYER}.geojson"
        src.write_text(text, encoding="utf-8")

        def write_gpkg(tmp):
            proc = subprocess.run(
                ["ogr2ogr", "-f", "GPKG", str(tmp), str(src), "-dialect", "OGRSQL", "-sql", _GPKG_SQL,
                 "-nln", LAYER, "-nlt", "MULTIPOLYGON", "-a_srs", "EPSG:4326", "-lco", "GEOMETRY_NAME=geom"],
                capture_output=True, text=True)
            if proc.returncode != 0:
                raise FieldError("format", "ogr2ogr_failed", f"ogr2ogr 失败：{proc.stderr.strip()}",
                                 f"ogr2ogr failed: {proc.stderr.strip()}")

        _replace_atomically(out, write_gpkg)
    return count
