"""Mapbox vector tiles (ST_AsMVT) of open cases and grid units, built in PostGIS, cached per data version.

    case_tile(z, x, y, filters)  layer "cases": open cases, coloured by maps_case_warning
    grid_tile(z, x, y, filters)  layer "grids": level-4 units with open / overdue / period counts;
                                 layer "streets": street/town outlines and names

Tiles are Web Mercator (EPSG:3857) XYZ, extent 4096. Personal data never enters a tile: only the case
number, category, warning colour, status, urgency and time received.
"""
from django.db import connection

from gridgov.core.errors import FieldError

from . import cache
from .conf import MAX_TILE_ZOOM

CASE_MIN_ZOOM = 12
GRID_MIN_ZOOM = 8
EXTENT = 4096
CONTENT_TYPE = "application/vnd.mapbox-vector-tile"

_ENVELOPE = """
    env AS (SELECT ST_TileEnvelope(%(z)s, %(x)s, %(y)s) AS e),
    box AS (SELECT e, ST_Transform(ST_Expand(e, (ST_XMax(e) - ST_XMin(e)) * %(margin)s), 4326) AS b FROM env)
"""

CASES_SQL = """
WITH {envelope},
feats AS (
    SELECT ST_AsMVTGeom(ST_Transform(w.point, 3857), box.e, {extent}, 16, true) AS geom,
           w.case_id AS id, w.number, coalesce(cat.name, '') AS category, coalesce(grp.name, '') AS category_group,
           w.colour, w.status, w.urgency, extract(epoch FROM w.received_at)::bigint AS received,
           w.overdue
    FROM box
    JOIN maps_case_warning w ON w.point && box.b
    LEFT JOIN cases_category cat ON cat.id = w.category_id
    LEFT JOIN cases_category grp ON grp.id = cat.parent_id
    WHERE w.is_open AND {category}
)
SELECT maps_data_version(), (SELECT ST_AsMVT(feats, 'cases', {extent}, 'geom', 'id') FROM feats)
"""

GRIDS_SQL = """
WITH {envelope},
g AS (
    SELECT u.id, u.code, u.name, u.population, u.geom
    FROM box JOIN grids_gridunit u ON u.geom && box.b
    WHERE u.level = 4 AND u.is_active
),
open_stats AS (
    SELECT w.grid_id, count(*) AS open, count(*) FILTER (WHERE w.overdue) AS overdue
    FROM maps_case_warning w
    WHERE w.is_open AND w.grid_id IN (SELECT id FROM g) AND {category_w}
    GROUP BY w.grid_id
),
period_stats AS (
    SELECT c.grid_id, count(*) AS total
    FROM cases_case c
    WHERE c.grid_id IN (SELECT id FROM g) AND {period}
    GROUP BY c.grid_id
),
grids AS (
    SELECT ST_AsMVTGeom(ST_Transform(g.geom, 3857), box.e, {extent}, 64, true) AS geom,
           g.id, g.code, g.name, coalesce(g.population, 0) AS population,
           coalesce(o.open, 0) AS open, coalesce(o.overdue, 0) AS overdue, coalesce(p.total, 0) AS total,
           CASE WHEN g.population > 0 THEN round(coalesce(p.total, 0) * 1000.0 / g.population, 2) END AS per_1000
    FROM box, g
    LEFT JOIN open_stats o ON o.grid_id = g.id
    LEFT JOIN period_stats p ON p.grid_id = g.id
),
streets AS (
    SELECT ST_AsMVTGeom(ST_Transform(ST_Boundary(u.geom), 3857), box.e, {extent}, 64, true) AS geom,
           u.id, u.code, u.name
    FROM box JOIN grids_gridunit u ON u.geom && box.b
    WHERE u.level = 2 AND u.is_active
)
SELECT maps_data_version(),
       coalesce((SELECT ST_AsMVT(grids, 'grids', {extent}, 'geom', 'id') FROM grids WHERE geom IS NOT NULL), '')
       || coalesce((SELECT ST_AsMVT(streets, 'streets', {extent}, 'geom', 'id') FROM streets
                    WHERE geom IS NOT NULL), '')
"""


def _check(z, x, y, min_zoom):
    if not min_zoom <= z <= MAX_TILE_ZOOM:
        raise FieldError("z", "zoom_out_of_range", f"该图层的缩放级别应在 {min_zoom}–{MAX_TILE_ZOOM} 之间",
                         f"zoom must be {min_zoom}-{MAX_TILE_ZOOM} for this layer")
    n = 1 << z
    if not (0 <= x < n and 0 <= y < n):
        raise FieldError("x", "tile_out_of_range", "瓦片行列号超出范围", "tile column/row out of range")


def _run(sql, params):
    with connection.cursor() as cur:
        cur.execute(sql, params)
        version, body = cur.fetchone()
    return version, bytes(body or b"")


def case_tile(z, x, y, filters):
    """(version, bytes, cache hit) of the case tile z/x/y."""
    _check(z, x, y, CASE_MIN_ZOOM)
    sql = CASES_SQL.format(envelope=_ENVELOPE, extent=EXTENT, category=filters.category_sql("w"))
    params = {"z": z, "x": x, "y": y, "margin": 16 / EXTENT, **filters.params()}
    key = f"tile/cases/{z}/{x}/{y}/{filters.category or '*'}"
    return cache.cached(key, lambda: _run(sql, params), CONTENT_TYPE, clocked=True)


def grid_tile(z, x, y, filters):
    """(version, bytes, cache hit) of the grid tile z/x/y with per-grid counts for the period."""
    _check(z, x, y, GRID_MIN_ZOOM)
    sql = GRIDS_SQL.format(envelope=_ENVELOPE, extent=EXTENT, category_w=filters.category_sql("w"),
                           period=filters.period_sql("c"))
    params = {"z": z, "x": x, "y": y, "margin": 64 / EXTENT, **filters.params()}
    key = f"tile/grids/{z}/{x}/{y}/{filters.key}"
    return cache.cached(key, lambda: _run(sql, params), CONTENT_TYPE, clocked=True)
