"""A demo base map generated from the county's own grid units (no open road data ships offline).

There is no open road/building data for the demo county in the repository or in a package registry
(../shared/data holds only county boundaries), so the base map is *made up*, deterministically, from
the demo generator's geometry, and every feature is stored with source "demo:<county>" and shown with
the label 示意底图 (演示数据，非真实道路):

- places: each street/town seat (the seat of geodata.demo.TOWNS when it lies in the unit, else a point
  on its surface) and each village/community centre, named after the unit (the demo's names);
- roads: 县道 join the seats (minimum spanning tree plus each seat's nearest neighbours), 乡村道路 join
  every village centre to the tree of its town; lines bend gently, every name says which places the
  road joins;
- settlements: an irregular built-up patch around each seat and a smaller one around each village,
  cut to the unit;
- water: a few canals crossing the county and two small lakes (made-up names).
"""
import math
from dataclasses import dataclass

import numpy as np
import shapely
from shapely.geometry import LineString, Point

from geodata.demo_geometry import LocalPlane

from .models import Kind

DEMO_LABEL = "示意底图（演示数据，非真实道路）"
CANAL_NAMES = ("中心河（示意）", "一号干渠（示意）", "二号干渠（示意）", "三号干渠（示意）")
LAKE_NAMES = ("荷花荡（示意）", "菱角塘（示意）")
SUFFIXES = ("街道", "镇", "农场", "经济开发区", "社区", "村", "分场")


@dataclass
class Place:
    code: str
    name: str
    parent: str
    x: float  # km in the local plane
    y: float
    unit_km: object  # the unit's polygon in km


@dataclass
class Feature:
    kind: str
    name: str
    geom: object  # shapely, lon/lat
    unit_code: str = ""


def short(name):
    for s in SUFFIXES:
        if name.endswith(s) and len(name) > len(s) + 1:
            return name[: -len(s)]
    return name


def _mst(points):
    """Edges (i, j) of the Euclidean minimum spanning tree (Prim, O(n²): fine for a few hundred)."""
    n = len(points)
    if n < 2:
        return []
    pts = np.asarray(points)
    inside = np.zeros(n, bool)
    inside[0] = True
    best = np.hypot(*(pts - pts[0]).T)
    link = np.zeros(n, int)
    edges = []
    for _ in range(n - 1):
        cand = np.where(inside, np.inf, best)
        j = int(np.argmin(cand))
        edges.append((int(link[j]), j))
        inside[j] = True
        d = np.hypot(*(pts - pts[j]).T)
        closer = d < best
        best = np.where(closer, d, best)
        link = np.where(closer, j, link)
    return edges


def _bend(a, b, rng, amount=0.08, steps=6):
    """A gently curved line from a to b (km): a sine offset across the chord, fixed by rng."""
    (x0, y0), (x1, y1) = a, b
    length = math.hypot(x1 - x0, y1 - y0)
    if length == 0:
        return None
    nx, ny = -(y1 - y0) / length, (x1 - x0) / length
    amp = rng.uniform(-amount, amount) * length
    pts = []
    for i in range(steps + 1):
        t = i / steps
        off = amp * math.sin(math.pi * t)
        pts.append((x0 + (x1 - x0) * t + nx * off, y0 + (y1 - y0) * t + ny * off))
    return LineString(pts)


def _blob(cx, cy, radius, rng, n=14):
    """An irregular closed patch (km) of about `radius`."""
    angles = np.sort(rng.uniform(0, 2 * math.pi, n))
    r = radius * rng.uniform(0.6, 1.15, n)
    return shapely.Polygon(np.column_stack([cx + r * np.cos(angles), cy + r * np.sin(angles)])).buffer(0)


def _river(county_km, rng, name):
    """A meandering canal across the county's bounding box, west to east, clipped to the county."""
    x0, y0, x1, y1 = county_km.bounds
    ya, yb = rng.uniform(y0 + 0.15 * (y1 - y0), y1 - 0.15 * (y1 - y0), 2)
    xs = np.linspace(x0 - 1, x1 + 1, 60)
    phase, wave = rng.uniform(0, 2 * math.pi), rng.uniform(6, 14)
    ys = ya + (yb - ya) * (xs - x0) / (x1 - x0) + 1.2 * np.sin(xs / wave * 2 * math.pi + phase)
    return Feature(Kind.RIVER, name, LineString(np.column_stack([xs, ys])).intersection(county_km))


def build_features(county, towns, villages, seats=None, seed=320831):
    """Features (lon/lat) for a county.

    county: shapely (multi)polygon, lon/lat; towns: [(code, name, polygon)] (level 2);
    villages: [(code, name, parent code, polygon)] (level 3); seats: {town code: (lon, lat)}.
    """
    rng = np.random.default_rng(seed)
    c = county.centroid
    plane = LocalPlane(c.x, c.y)
    county_km = plane.to_km(county)
    shapely.prepare(county_km)
    seats = seats or {}
    town_places = []
    for code, name, poly in towns:
        km = plane.to_km(poly)
        seat = seats.get(code)
        p = Point(plane.point_km(*seat)) if seat else None
        if p is None or not km.contains(p):
            p = km.point_on_surface()
        town_places.append(Place(code, name, "", p.x, p.y, km))
    village_places = []
    for code, name, parent, poly in villages:
        km = plane.to_km(poly)
        p = km.point_on_surface()
        village_places.append(Place(code, name, parent, p.x, p.y, km))

    out = []
    # places
    for t in town_places:
        out.append(Feature(Kind.TOWN, t.name, Point(t.x, t.y), t.code))
    for v in village_places:
        out.append(Feature(Kind.VILLAGE, v.name, Point(v.x, v.y), v.code))
    # settlements: built-up areas around seats, villages around their centres
    for t in town_places:
        radius = min(1.4, 0.12 * math.sqrt(t.unit_km.area) + 0.4)
        patch = _blob(t.x, t.y, radius, rng).intersection(t.unit_km)
        out.append(Feature(Kind.BUILT_UP, t.name, patch, t.code))
    for v in village_places:
        radius = min(0.45, 0.08 * math.sqrt(v.unit_km.area) + 0.12)
        patch = _blob(v.x, v.y, radius, rng).intersection(v.unit_km)
        out.append(Feature(Kind.SETTLEMENT, v.name, patch, v.code))
    # county roads between seats: the spanning tree and each seat's nearest neighbour pair
    pts = [(t.x, t.y) for t in town_places]
    edges = set(tuple(sorted(e)) for e in _mst(pts))
    for i, (x, y) in enumerate(pts):
        order = np.argsort([math.hypot(x - a, y - b) for a, b in pts])
        for j in order[1:3]:
            edges.add(tuple(sorted((i, int(j)))))
    for i, j in sorted(edges):
        line = _bend(pts[i], pts[j], rng, amount=0.06)
        if line is not None:
            name = f"{short(town_places[i].name)}—{short(town_places[j].name)}公路"
            out.append(Feature(Kind.MAJOR_ROAD, name, line.intersection(county_km)))
    # village roads: per town, a spanning tree over the seat and its villages
    by_town = {}
    for v in village_places:
        by_town.setdefault(v.parent, []).append(v)
    for t in town_places:
        members = [t] + by_town.get(t.code, [])
        mpts = [(m.x, m.y) for m in members]
        for i, j in _mst(mpts):
            a, b = (i, j) if i < j else (j, i)
            line = _bend(mpts[a], mpts[b], rng, amount=0.12, steps=5)
            if line is None:
                continue
            far = members[b]
            out.append(Feature(Kind.MINOR_ROAD, f"{short(far.name)}路", line.intersection(county_km)))
    # water
    for name in CANAL_NAMES[: 2 + int(rng.integers(0, 3))]:
        out.append(_river(county_km, rng, name))
    for name in LAKE_NAMES:
        x0, y0, x1, y1 = county_km.bounds
        for _ in range(50):
            cx, cy = rng.uniform(x0, x1), rng.uniform(y0, y1)
            lake = _blob(cx, cy, rng.uniform(0.6, 1.2), rng, n=18)
            if county_km.contains(lake) and not any(
                    f.kind in (Kind.BUILT_UP, Kind.SETTLEMENT) and f.geom.intersects(lake) for f in out):
                out.append(Feature(Kind.LAKE, name, lake))
                break
    # back to lon/lat; drop empty and non-matching geometry
    result = []
    for f in out:
        g = plane.to_deg(f.geom)
        g = _only(g, f.kind)
        if g is not None and not g.is_empty:
            result.append(Feature(f.kind, f.name, shapely.make_valid(g) if not g.is_valid else g, f.unit_code))
    return result


def _only(geom, kind):
    """Keep the parts of the geometry type the kind needs (clipping may leave points)."""
    want = {Kind.MAJOR_ROAD: "LineString", Kind.MINOR_ROAD: "LineString", Kind.RIVER: "LineString",
            Kind.TOWN: "Point", Kind.VILLAGE: "Point"}.get(kind, "Polygon")
    parts = [p for p in shapely.get_parts(geom) if p.geom_type == want and not p.is_empty]
    if not parts:
        return None
    if len(parts) == 1:
        return parts[0]
    return {"LineString": shapely.MultiLineString, "Polygon": shapely.MultiPolygon,
            "Point": shapely.MultiPoint}[want](parts)
