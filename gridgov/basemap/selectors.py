"""Reads of the offline base map: reverse lookup (nearest road and village, KNN in PostGIS), place names."""
from django.db import connection

from gridgov.grids.locate import validate_point
from geodata.datums import to_wgs84

from .generate import DEMO_LABEL

# KNN (<->) on the GiST index gives the nearest candidates in degrees; they are re-ranked in metres on the
# spheroid (a degree of longitude is shorter than one of latitude at 33°N).
_NEAREST_SQL = """
WITH pt AS (SELECT ST_SetSRID(ST_MakePoint(%(lon)s, %(lat)s), 4326) AS g),
cand AS (
    SELECT f.id, f.kind, f.name, f.unit_code, f.source, f.geom FROM basemap_basemapfeature f, pt
    WHERE f.kind = ANY(%(kinds)s)
    ORDER BY f.geom <-> pt.g LIMIT 8
)
SELECT cand.kind, cand.name, cand.unit_code, cand.source, ST_Distance(cand.geom::geography, pt.g::geography)
FROM cand, pt ORDER BY 5, cand.id LIMIT 1
"""
ROADS = ["major_road", "minor_road"]
PLACES = ["village", "town"]
# farther than this from every road/village, a point gets no address (it is not "near" anything)
MAX_ADDRESS_DISTANCE_M = 3000


def _nearest(lon, lat, kinds):
    with connection.cursor() as cur:
        cur.execute(_NEAREST_SQL, {"lon": lon, "lat": lat, "kinds": kinds})
        row = cur.fetchone()
    if not row:
        return None
    kind, name, unit_code, source, dist = row
    return {"kind": kind, "name": name, "unit_code": unit_code, "source": source, "distance_m": round(dist, 1)}


def _town_name(unit_code):
    if len(unit_code) < 9:
        return ""
    with connection.cursor() as cur:
        cur.execute("SELECT name FROM basemap_basemapfeature WHERE kind = 'town' AND unit_code = %s LIMIT 1",
                    [unit_code[:9]])
        row = cur.fetchone()
    return row[0] if row else ""


def format_address(place, road, town=""):
    """黎城街道王庄村附近，王庄路旁约 120 米 (only the parts within MAX_ADDRESS_DISTANCE_M)."""
    parts = []
    if place and place["distance_m"] <= MAX_ADDRESS_DISTANCE_M:
        where = place["name"] if place["kind"] == "town" or not town else town + place["name"]
        parts.append(f"{where}附近")
    if road and road["distance_m"] <= MAX_ADDRESS_DISTANCE_M and road["name"]:
        parts.append(f"{road['name']}旁约 {int(round(road['distance_m'], -1)) or 10} 米")
    return "，".join(parts)


def reverse_lookup(lon, lat, datum="wgs84"):
    """Nearest road and village of a point (validated; any datum), and an address line built from them.

    Raises gridgov.core.errors.FieldError naming the field for bad input.
    """
    lon, lat, datum = validate_point(lon, lat, datum)
    wlon, wlat = to_wgs84(lon, lat, datum)
    road = _nearest(wlon, wlat, ROADS)
    place = _nearest(wlon, wlat, PLACES)
    town = _town_name(place["unit_code"]) if place and place["kind"] == "village" else ""
    demo = any(x and x["source"].startswith("demo:") for x in (road, place))
    return {"point": {"lon": round(wlon, 7), "lat": round(wlat, 7), "datum": "wgs84"},
            "road": road, "place": place, "town": town or None,
            "address": format_address(place, road, town), "demo": demo, "label": DEMO_LABEL if demo else ""}


def address_for(lon, lat, datum="wgs84"):
    """The address line for a point, "" when nothing is near (for a report filed without an address)."""
    return reverse_lookup(lon, lat, datum)["address"]


_PLACES_SQL = """
SELECT json_build_object('type', 'FeatureCollection', 'label', %(label)s, 'features', coalesce(json_agg(
    json_build_object('type', 'Feature', 'geometry', ST_AsGeoJSON(geom, 6)::json,
                      'properties', json_build_object('name', name, 'kind', kind, 'code', unit_code))
    ORDER BY kind DESC, unit_code), '[]'::json))
FROM basemap_basemapfeature WHERE kind IN ('town', 'village')
"""


def places_geojson():
    """Every place name (towns and villages) as GeoJSON text: a few hundred points, labelled by the pages."""
    with connection.cursor() as cur:
        cur.execute(_PLACES_SQL, {"label": DEMO_LABEL})
        return cur.fetchone()[0]
