"""Server-side aggregates for district zooms, built in PostGIS (GeoJSON by json_build_object, never by a
Python serializer), cached per data version:

- grid_choropleth: every active grid with open / overdue counts (now), cases received in the period,
  closed of those, population and cases per 1,000 residents;
- hexbins: ST_HexagonGrid cells (edge length by zoom, in GRIDGOV_METRIC_SRID metres) with case counts;
- heat: points snapped to a grid of ~8 screen pixels with counts, for leaflet.heat.

grid_counts / hex_counts give the same counts with zero cells included, for hotspot analysis.
"""
import json

from django.conf import settings
from django.db import connection

from gridgov.core.errors import FieldError

from . import cache
from .conf import HEX_SIZE_BY_ZOOM, WALL_MAX_STALE

GEOJSON = "application/geo+json"
JSON = "application/json"

GRID_STATS = """
g AS (
    SELECT u.id, u.code, u.name, u.population, u.geom, u.parent_id
    FROM grids_gridunit u WHERE u.level = 4 AND u.is_active
),
open_stats AS (
    SELECT w.grid_id, count(*) AS open, count(*) FILTER (WHERE w.overdue) AS overdue
    FROM maps_case_warning w
    WHERE w.is_open AND {category_w}
    GROUP BY w.grid_id
),
period_stats AS (
    SELECT c.grid_id, count(*) AS total, count(*) FILTER (WHERE c.closed_at IS NOT NULL) AS closed
    FROM cases_case c
    WHERE {period}
    GROUP BY c.grid_id
),
stats AS (
    SELECT g.id, g.code, g.name, g.geom, g.parent_id, coalesce(g.population, 0) AS population,
           coalesce(o.open, 0) AS open, coalesce(o.overdue, 0) AS overdue,
           coalesce(p.total, 0) AS total, coalesce(p.closed, 0) AS closed,
           CASE WHEN g.population > 0 THEN round(coalesce(p.total, 0) * 1000.0 / g.population, 2) END AS per_1000
    FROM g
    LEFT JOIN open_stats o ON o.grid_id = g.id
    LEFT JOIN period_stats p ON p.grid_id = g.id
)
"""

CHOROPLETH_SQL = """
WITH {stats}
SELECT maps_data_version(), json_build_object(
    'type', 'FeatureCollection',
    'features', coalesce(json_agg(json_build_object(
        'type', 'Feature', 'id', s.code,
        'geometry', ST_AsGeoJSON(ST_SimplifyPreserveTopology(s.geom, %(tolerance)s), %(digits)s)::json,
        'properties', json_build_object(
            'code', s.code, 'name', s.name, 'community', cm.name, 'street', st.name,
            'population', s.population, 'open', s.open, 'overdue', s.overdue, 'total', s.total,
            'closed', s.closed, 'per_1000', s.per_1000)
    ) ORDER BY s.code), '[]'::json)
)::text
FROM stats s
LEFT JOIN grids_gridunit cm ON cm.id = s.parent_id
LEFT JOIN grids_gridunit st ON st.id = cm.parent_id
"""

GRID_COUNTS_SQL = """
WITH {stats}
SELECT maps_data_version(), coalesce(json_agg(json_build_array(s.id, s.code, s.total, s.population, s.open)
                                               ORDER BY s.id), '[]'::json)::text
FROM stats s
"""

DISTRICT = """
d AS (SELECT ST_Transform(ST_Union(geom), %(srid)s) AS g FROM grids_gridunit WHERE level = 1 AND is_active),
hex AS (SELECT h.i, h.j, h.geom FROM d, ST_HexagonGrid(%(size)s, d.g) h WHERE ST_Intersects(h.geom, d.g)),
"""

HEX_POINTS = {
    "period": "SELECT ST_Transform(c.point, %(srid)s) AS p FROM cases_case c WHERE {period}",
    "open": "SELECT ST_Transform(w.point, %(srid)s) AS p FROM maps_case_warning w WHERE w.is_open AND {category_w}",
}

HEXBIN_SQL = """
WITH {district}
pts AS ({points}),
xy AS MATERIALIZED (SELECT ST_X(p) / %(size)s AS x, ST_Y(p) / %(size)s AS y FROM pts),
ax AS (SELECT 2.0 / 3.0 * x AS q, -x / 3.0 + sqrt(3.0) / 3.0 * y AS r FROM xy),
rd AS (SELECT q, r, round(q) AS rq, round(r) AS rr, round(-q - r) AS rs FROM ax),
cube AS (  -- cube rounding to the nearest hexagon (same arithmetic as maps_hex_ij, inlined: no function call per row)
    SELECT CASE WHEN abs(rq - q) > abs(rr - r) AND abs(rq - q) > abs(rs + q + r) THEN -rr - rs ELSE rq END AS cq,
           CASE WHEN NOT (abs(rq - q) > abs(rr - r) AND abs(rq - q) > abs(rs + q + r))
                     AND abs(rr - r) > abs(rs + q + r) THEN -rq - rs ELSE rr END AS cr
    FROM rd
),
cnt AS MATERIALIZED (
    SELECT cq::int AS i, (cr + (cq - abs(cq::int) %% 2) / 2)::int AS j, count(*) AS n FROM cube GROUP BY 1, 2
)
SELECT maps_data_version(), json_build_object(
    'type', 'FeatureCollection', 'size_m', %(size)s::int, 'srid', %(srid)s::int,
    'features', coalesce(json_agg(json_build_object(
        'type', 'Feature', 'id', hex.i || ',' || hex.j,
        'geometry', ST_AsGeoJSON(ST_Transform(hex.geom, 4326), 6)::json,
        'properties', json_build_object('i', hex.i, 'j', hex.j, 'n', coalesce(cnt.n, 0))
    ) ORDER BY hex.i, hex.j) FILTER (WHERE %(zeros)s OR cnt.n > 0), '[]'::json)
)::text
FROM hex LEFT JOIN cnt ON cnt.i = hex.i AND cnt.j = hex.j
"""

HEAT_SQL = """
WITH cells AS (
    SELECT round(ST_X(c.point) / %(cell)s) AS cx, round(ST_Y(c.point) / %(cell)s) AS cy, count(*) AS n
    FROM cases_case c WHERE {period}
    GROUP BY 1, 2
)
SELECT maps_data_version(), json_build_object(
    'cell_deg', %(cell)s::float8, 'max', coalesce(max(n), 0),
    'points', coalesce(json_agg(json_build_array(round((cy * %(cell)s)::numeric, 5), round((cx * %(cell)s)::numeric, 5), n)),
                       '[]'::json))::text
FROM cells
"""


def _run(sql, params):
    with connection.cursor() as cur:
        cur.execute(sql, params)
        version, text = cur.fetchone()
    return version, text.encode()


def _srid():
    return int(settings.GRIDGOV_METRIC_SRID)


def grid_choropleth(filters, zoom=11):
    """GeoJSON of every active grid with its counts (simplified to ~1 screen pixel at `zoom`)."""
    tolerance = 360.0 / (256 * (1 << max(6, min(zoom, 16)))) / 2
    sql = CHOROPLETH_SQL.format(stats=GRID_STATS.format(category_w=filters.category_sql("w"),
                                                        period=filters.period_sql("c")))
    # ~1 m of precision per 2 zoom levels past 12; 4 decimals (≈ 10 m) at district zooms
    params = {"tolerance": tolerance, "digits": 4 if zoom <= 12 else 5, **filters.params()}
    key = f"grids/{zoom}/{filters.key}"
    return cache.cached(key, lambda: _run(sql, params), GEOJSON, clocked=True, max_stale=WALL_MAX_STALE)


def hex_size_for_zoom(zoom):
    if zoom <= min(HEX_SIZE_BY_ZOOM):
        return HEX_SIZE_BY_ZOOM[min(HEX_SIZE_BY_ZOOM)]
    return HEX_SIZE_BY_ZOOM.get(zoom, HEX_SIZE_BY_ZOOM[max(HEX_SIZE_BY_ZOOM)])


def _hex_sql(what, filters):
    points = HEX_POINTS[what].format(period=filters.period_sql("c"), category_w=filters.category_sql("w"))
    return HEXBIN_SQL.format(district=DISTRICT, points=points)


def hexbins(filters, zoom=None, size=None, what="open", zeros=False):
    """GeoJSON of hexagon cells with counts of open cases (what='open') or cases in the period."""
    if what not in HEX_POINTS:
        raise FieldError("what", "invalid_choice", "what 应为 open/period", "what must be open or period")
    size = int(size or hex_size_for_zoom(zoom or 11))
    if not 100 <= size <= 20000:
        raise FieldError("size", "out_of_range", "六边形边长应在 100–20000 米之间", "hexagon size must be 100-20000 m")
    params = {"size": size, "srid": _srid(), "zeros": zeros, **filters.params()}
    key = f"hex/{what}/{size}/{int(zeros)}/{filters.key}"
    return cache.cached(key, lambda: _run(_hex_sql(what, filters), params), GEOJSON, clocked=(what == "open"),
                        max_stale=WALL_MAX_STALE)


def heat(filters, zoom=11):
    """Case counts on a square lon/lat grid of about 8 pixels at `zoom` (kernel density is drawn by the
    browser from these weighted cells, never from every point)."""
    zoom = max(6, min(zoom, 18))
    cell = 360.0 / (256 * (1 << zoom)) * 8
    sql = HEAT_SQL.format(period=filters.period_sql("c"))
    params = {"cell": cell, **filters.params()}
    key = f"heat/{zoom}/{filters.key}"
    return cache.cached(key, lambda: _run(sql, params), JSON, max_stale=WALL_MAX_STALE)


def grid_counts(filters):
    """(version, rows) with every active grid (zeros included): (id, code, total in period, population, open)."""
    sql = GRID_COUNTS_SQL.format(stats=GRID_STATS.format(category_w=filters.category_sql("w"),
                                                         period=filters.period_sql("c")))
    version, body, _ = cache.cached(f"gridcounts/{filters.key}", lambda: _run(sql, filters.params()), JSON)
    return version, json.loads(body)


def hex_counts(filters, size):
    """(version, GeoJSON dict) of every hexagon over the district (zeros included) with counts in the period."""
    version, body, _ = hexbins(filters, size=size, what="period", zeros=True)
    return version, json.loads(body)
