"""Vector tiles (ST_AsMVT, built in PostGIS) of the offline base map.

Layers: "water" (rivers, lakes), "settlements" (built-up areas, village patches), "roads" (county roads from
z8, village roads from z11; with name), "places" (town seats from z8, villages from z11; name, kind).
Web Mercator XYZ, extent 4096, like maps/tiles.py. The data change only when the base map is rebuilt.
"""
from django.db import connection

from gridgov.core.errors import FieldError

MIN_ZOOM, MAX_ZOOM, DETAIL_ZOOM = 8, 20, 11
EXTENT = 4096
CONTENT_TYPE = "application/vnd.mapbox-vector-tile"

TILE_SQL = """
WITH env AS (SELECT ST_TileEnvelope(%(z)s, %(x)s, %(y)s) AS e),
box AS (SELECT e, ST_Transform(ST_Expand(e, (ST_XMax(e) - ST_XMin(e)) * 64 / 4096.0), 4326) AS b FROM env),
f AS (
    SELECT b.id, b.kind, b.name, b.geom FROM box JOIN basemap_basemapfeature b ON b.geom && box.b
    WHERE %(z)s >= %(detail)s OR b.kind IN ('major_road', 'river', 'lake', 'built_up', 'town')
),
layer AS (
    SELECT CASE WHEN kind IN ('river', 'lake') THEN 'water' WHEN kind IN ('built_up', 'settlement') THEN 'settlements'
                WHEN kind IN ('major_road', 'minor_road') THEN 'roads' ELSE 'places' END AS layer,
           ST_AsMVTGeom(ST_Transform(f.geom, 3857), box.e, 4096, 64, true) AS geom, f.id, f.kind, f.name
    FROM f, box
)
SELECT coalesce((SELECT ST_AsMVT(l, 'water', 4096, 'geom', 'id') FROM (SELECT geom, id, kind, name FROM layer
                 WHERE layer = 'water' AND geom IS NOT NULL) l), '')
    || coalesce((SELECT ST_AsMVT(l, 'settlements', 4096, 'geom', 'id') FROM (SELECT geom, id, kind, name FROM layer
                 WHERE layer = 'settlements' AND geom IS NOT NULL) l), '')
    || coalesce((SELECT ST_AsMVT(l, 'roads', 4096, 'geom', 'id') FROM (SELECT geom, id, kind, name FROM layer
                 WHERE layer = 'roads' AND geom IS NOT NULL) l), '')
    || coalesce((SELECT ST_AsMVT(l, 'places', 4096, 'geom', 'id') FROM (SELECT geom, id, kind, name FROM layer
                 WHERE layer = 'places' AND geom IS NOT NULL) l), '')
"""


def check_tile(z, x, y):
    if not MIN_ZOOM <= z <= MAX_ZOOM:
        raise FieldError("z", "zoom_out_of_range", f"底图缩放级别应在 {MIN_ZOOM}–{MAX_ZOOM} 之间",
                         f"zoom must be {MIN_ZOOM}-{MAX_ZOOM} for the base map")
    n = 1 << z
    if not (0 <= x < n and 0 <= y < n):
        raise FieldError("x", "tile_out_of_range", "瓦片行列号超出范围", "tile column/row out of range")


def basemap_tile(z, x, y):
    """MVT bytes of base-map tile z/x/y (empty bytes where there is nothing)."""
    check_tile(z, x, y)
    with connection.cursor() as cur:
        cur.execute(TILE_SQL, {"z": z, "x": x, "y": y, "detail": DETAIL_ZOOM})
        body = cur.fetchone()[0]
    return bytes(body or b"")


def data_version():
    """Changes whenever the base map is rebuilt (max id and count): the tiles' ETag."""
    with connection.cursor() as cur:
        cur.execute("SELECT coalesce(max(id), 0), count(*) FROM basemap_basemapfeature")
        top, n = cur.fetchone()
    return f"{top}-{n}"
