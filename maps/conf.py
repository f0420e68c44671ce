"""Map-wall settings. Each can be set in Django settings or, failing that, in the environment.

Base map (offline by default: county networks often have no internet):

    GRIDGOV_MAPWALL_BASEMAP      offline (default: the project's own vector base map, gridgov.basemap) |
                                 none (grid outlines only) | tianditu | xyz
    GRIDGOV_TIANDITU_TK          Tianditu key (tianditu): vector + annotation tiles in Web Mercator
    GRIDGOV_MAPWALL_XYZ_URL      any XYZ template, e.g. http://10.0.0.5/tiles/{z}/{x}/{y}.png (xyz)
    GRIDGOV_MAPWALL_XYZ_DATUM    wgs84 (default) | gcj02 — gcj02 for AMap/Tencent-style tiles: the wall then
                                 shifts the base map by the local GCJ-02 offset (see README)
    GRIDGOV_MAPWALL_POLL_SECONDS live-update interval (default 15, at most 30)
"""
import os

from django.conf import settings


def _get(name, default):
    value = getattr(settings, name, None)
    if value is None:
        value = os.environ.get(name, default)
    return value


def basemap():
    kind = str(_get("GRIDGOV_MAPWALL_BASEMAP", "offline")).lower()
    tk = str(_get("GRIDGOV_TIANDITU_TK", ""))
    if kind == "tianditu" and tk:
        base = "https://t{s}.tianditu.gov.cn/%s_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0&LAYER=%s" \
               "&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles&TILEMATRIX={z}&TILEROW={y}&TILECOL={x}&tk=" + tk
        return {"kind": "tianditu", "datum": "wgs84", "subdomains": "01234567",
                "layers": [base % ("vec", "vec"), base % ("cva", "cva")]}
    url = str(_get("GRIDGOV_MAPWALL_XYZ_URL", ""))
    if kind == "xyz" and url:
        datum = str(_get("GRIDGOV_MAPWALL_XYZ_DATUM", "wgs84")).lower()
        return {"kind": "xyz", "datum": "gcj02" if datum == "gcj02" else "wgs84", "subdomains": "abc",
                "layers": [url]}
    if kind == "none":
        return {"kind": "none", "datum": "wgs84", "subdomains": "", "layers": []}
    return {"kind": "offline", "datum": "wgs84", "subdomains": "", "layers": []}


def poll_seconds():
    try:
        value = int(_get("GRIDGOV_MAPWALL_POLL_SECONDS", 15))
    except (TypeError, ValueError):
        value = 15
    return max(3, min(30, value))


# Zooms: below STREET_ZOOM the wall shows server-side aggregates (grid choropleth, hexagon bins);
# from STREET_ZOOM on, vector tiles of grids and individual open cases.
STREET_ZOOM = 13
MAX_TILE_ZOOM = 20
# Hexagon edge length (metres, in GRIDGOV_METRIC_SRID) per zoom at district zooms.
HEX_SIZE_BY_ZOOM = {8: 4000, 9: 3000, 10: 2000, 11: 1000, 12: 500}
# Layers whose content depends on the clock (overdue, "today") are cached per time bucket as well.
CLOCK_BUCKET_SECONDS = 60
# District aggregates and the panels may be this many seconds behind the newest case (the wall polls
# every 15 s), so a busy intake does not recompute them on every new case. Tiles are always current.
WALL_MAX_STALE = 20
