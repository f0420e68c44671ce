"""Spatial weights for hotspot analysis, stated with the results.

- grids, "queen": Queen contiguity (units sharing an edge or a corner), from PostGIS ST_Intersects on
  the current boundaries of the active level-4 grids;
- grids, "distance": binary distance band on grid centroids (ST_PointOnSurface) in GRIDGOV_METRIC_SRID;
  the default band is the smallest that gives every grid a neighbour (ArcGIS's default);
- hexagons: Queen contiguity of the hexagon lattice (the six cells around), i.e. a distance band of
  √3 × edge length between centres.

Weights are cached in the process, keyed by the grid set (count, max id, last update).
"""
import threading

import numpy as np
from django.conf import settings
from django.db import connection

_lock = threading.Lock()
_cache = {}


def _grid_fingerprint():
    with connection.cursor() as cur:
        cur.execute("SELECT count(*), max(id), max(updated_at) FROM grids_gridunit WHERE level = 4 AND is_active")
        return tuple(str(v) for v in cur.fetchone())


def _memo(key, build):
    with _lock:
        if key in _cache:
            return _cache[key]
    value = build()
    with _lock:
        if len(_cache) > 32:
            _cache.clear()
        _cache[key] = value
    return value


def _w(neighbors, ids):
    from libpysal.weights import W

    return W({i: neighbors.get(i, []) for i in ids}, id_order=list(ids), silence_warnings=True)


def grid_queen(ids):
    """libpysal W (Queen contiguity) over grid ids, in the order given."""
    key = ("queen", tuple(ids), _grid_fingerprint())

    def build():
        with connection.cursor() as cur:
            cur.execute("""
                SELECT a.id, b.id FROM grids_gridunit a
                JOIN grids_gridunit b ON b.level = 4 AND b.is_active AND a.id <> b.id
                     AND a.geom && b.geom AND ST_Intersects(a.geom, b.geom)
                WHERE a.level = 4 AND a.is_active AND a.id = ANY(%s)
            """, [list(ids)])
            pairs = cur.fetchall()
        wanted = set(ids)
        neighbors = {}
        for a, b in pairs:
            if b in wanted:
                neighbors.setdefault(a, []).append(b)
        return _w(neighbors, ids)

    return _memo(key, build)


def grid_centroids(ids):
    """Metric (x, y) of a point on each grid's surface, in the order of ids."""
    with connection.cursor() as cur:
        cur.execute("""
            SELECT u.id, ST_X(p), ST_Y(p) FROM grids_gridunit u,
                   LATERAL ST_Transform(ST_PointOnSurface(u.geom), %s) p
            WHERE u.id = ANY(%s)
        """, [int(settings.GRIDGOV_METRIC_SRID), list(ids)])
        xy = {r[0]: (r[1], r[2]) for r in cur.fetchall()}
    return np.array([xy[i] for i in ids])


def min_band(coords):
    """Smallest distance that gives every point at least one neighbour."""
    from scipy.spatial import cKDTree

    if len(coords) < 2:
        return 1.0
    d, _ = cKDTree(coords).query(coords, k=2)
    return float(np.max(d[:, 1])) * 1.0001


def distance_band(coords, threshold, ids):
    from libpysal.weights import DistanceBand

    w = DistanceBand(coords, threshold=threshold, binary=True, ids=list(ids), silence_warnings=True)
    return w


def grid_distance(ids, threshold=None):
    key = ("distance", tuple(ids), threshold, _grid_fingerprint())

    def build():
        coords = grid_centroids(ids)
        band = threshold or min_band(coords)
        return distance_band(coords, band, ids), band

    return _memo(key, build)


def hex_centre(i, j, size):
    h = np.sqrt(3.0) * size
    return 1.5 * size * i, h * j + 0.5 * h * (abs(i) % 2)


def hex_queen(cells, size):
    """W over hexagon cells [(i, j), ...] (lattice neighbours), with the band used."""
    key = ("hex", tuple(cells), size)

    def build():
        coords = np.array([hex_centre(i, j, size) for i, j in cells])
        band = np.sqrt(3.0) * size * 1.01
        return distance_band(coords, band, list(range(len(cells)))), band

    return _memo(key, build)
