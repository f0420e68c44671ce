"""Input datums and their conversion to the storage datum (WGS-84 lon/lat).

GCJ-02 (AMap, Tencent, WeChat) and BD-09 (Baidu) must be converted locally: the vendors' services
refuse the reverse direction. The forward formulas come from the coordTransform package; its
closed-form GCJ→WGS inverse is refined here by fixed-point iteration on the exact forward
transform, which brings the error well below a centimetre (the reference point in
docs/domain.md is checked in the tests).
"""
import numpy as np
from coordTransform import coordTransform as ct

WGS84 = "wgs84"
CGCS2000 = "cgcs2000"
GCJ02 = "gcj02"
BD09 = "bd09"
DATUMS = (WGS84, CGCS2000, GCJ02, BD09)
DATUM_LABELS = {
    WGS84: "WGS-84 (GPS)",
    CGCS2000: "CGCS2000 (EPSG:4490)",
    GCJ02: "GCJ-02 (高德/腾讯/微信)",
    BD09: "BD-09 (百度)",
}
_ALIASES = {"wgs-84": WGS84, "4326": WGS84, "epsg:4326": WGS84, "gps": WGS84, "4490": CGCS2000,
            "epsg:4490": CGCS2000, "gcj-02": GCJ02, "gcj": GCJ02, "amap": GCJ02, "bd-09": BD09,
            "baidu": BD09}


class UnknownDatum(ValueError):
    pass


def normalise_datum(name):
    key = (name or WGS84).strip().lower()
    key = _ALIASES.get(key, key)
    if key not in DATUMS:
        raise UnknownDatum(name)
    return key


def _gcj_to_wgs(lon, lat, iterations=3):
    lon = np.ravel(np.asarray(lon, dtype=float))
    lat = np.ravel(np.asarray(lat, dtype=float))
    wlon, wlat = lon.copy(), lat.copy()
    for _ in range(iterations):
        glon, glat = _wgs_to_gcj(wlon, wlat)
        wlon = wlon - (glon - lon)
        wlat = wlat - (glat - lat)
    return wlon, wlat


def _batch(func, lon, lat):
    lon = np.ascontiguousarray(np.ravel(lon), dtype=np.float64)
    lat = np.ascontiguousarray(np.ravel(lat), dtype=np.float64)
    if lon.size == 0:
        return lon, lat
    out_lon, out_lat = func(lon, lat)  # the package's C batch path for arrays
    return np.asarray(out_lon, dtype=np.float64), np.asarray(out_lat, dtype=np.float64)


def _wgs_to_gcj(lon, lat):
    return _batch(ct.wgs84_to_gcj02, lon, lat)


def _bd_to_gcj(lon, lat):
    return _batch(ct.bd09_to_gcj02, lon, lat)


def to_wgs84_arrays(lon, lat, datum):
    """Convert arrays of lon/lat in `datum` to WGS-84."""
    datum = normalise_datum(datum)
    if datum in (WGS84, CGCS2000):
        return np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    if datum == BD09:
        lon, lat = _bd_to_gcj(lon, lat)
    return _gcj_to_wgs(lon, lat)


def to_wgs84(lon, lat, datum):
    """Convert one point; returns (lon, lat) floats in WGS-84."""
    x, y = to_wgs84_arrays([lon], [lat], datum)
    return float(x[0]), float(y[0])


def from_wgs84(lon, lat, datum):
    """WGS-84 → datum, for display on vendor base maps (GCJ-02/BD-09 tiles)."""
    datum = normalise_datum(datum)
    if datum in (WGS84, CGCS2000):
        return float(lon), float(lat)
    glon, glat = ct.wgs84_to_gcj02(float(lon), float(lat))
    if datum == GCJ02:
        return glon, glat
    return tuple(ct.gcj02_to_bd09(glon, glat))


def transform_geometry_to_wgs84(geom, datum):
    """A shapely geometry digitised in GCJ-02/BD-09 → WGS-84 (vertex by vertex)."""
    import shapely

    datum = normalise_datum(datum)
    if datum in (WGS84, CGCS2000):
        return geom

    def convert(coords):
        x, y = to_wgs84_arrays(coords[:, 0], coords[:, 1], datum)
        return np.column_stack([x, y])

    return shapely.transform(geom, convert)
