"""Geometry for the demo county: partitions that look like real grids and tile exactly.

Everything is generated in a local plane in kilometres (equirectangular about the county, so
Voronoi cells are not stretched by the 0.84 lon/lat ratio at 33°N), then mapped back to lon/lat.
That map is affine, so straight edges stay straight.

Exactness: the generated cells are only approximately consistent (floating point). `exact_tiling`
nodes every boundary once on a fixed 1e-7° grid (snap rounding), polygonizes the noded linework
into faces and rebuilds every unit as the union of its faces. Siblings then share identical
edges, their union is their parent, and no two siblings overlap by any area.
"""
import math

import numpy as np
import shapely
from shapely.geometry import MultiPoint, MultiPolygon, Polygon
from shapely.strtree import STRtree

GRID_SIZE = 1e-7  # degrees (~1 cm): the precision every demo vertex is snapped to
KM_PER_DEG_LAT = 110.574


class LocalPlane:
    """lon/lat ↔ km about a reference point (equirectangular; affine both ways)."""

    def __init__(self, lon0, lat0):
        self.lon0, self.lat0 = lon0, lat0
        self.kx = 111.320 * math.cos(math.radians(lat0))
        self.ky = KM_PER_DEG_LAT

    def to_km(self, geom):
        return shapely.transform(geom, lambda c: np.column_stack(
            [(c[:, 0] - self.lon0) * self.kx, (c[:, 1] - self.lat0) * self.ky]))

    def to_deg(self, geom):
        return shapely.transform(geom, lambda c: np.column_stack(
            [c[:, 0] / self.kx + self.lon0, c[:, 1] / self.ky + self.lat0]))

    def point_km(self, lon, lat):
        return ((lon - self.lon0) * self.kx, (lat - self.lat0) * self.ky)


def sample_in(region, n, rng, batch=None):
    """n uniform random points inside `region` (rejection sampling), as an (n, 2) array."""
    shapely.prepare(region)
    x0, y0, x1, y1 = region.bounds
    out = []
    got = 0
    while got < n:
        m = batch or max(64, int(n * 1.6 * (x1 - x0) * (y1 - y0) / max(region.area, 1e-12)))
        xy = np.column_stack([rng.uniform(x0, x1, m), rng.uniform(y0, y1, m)])
        xy = xy[shapely.contains_xy(region, xy[:, 0], xy[:, 1])]
        out.append(xy)
        got += len(xy)
    return np.concatenate(out)[:n]


def kmeans(points, k, rng, iterations=25):
    """Plain Lloyd k-means; returns k centres (deterministic for a given rng state)."""
    centres = points[rng.choice(len(points), size=k, replace=False)].copy()
    for _ in range(iterations):
        d2 = ((points[:, None, :] - centres[None, :, :]) ** 2).sum(axis=2)
        label = d2.argmin(axis=1)
        for j in range(k):
            mine = points[label == j]
            if len(mine):
                centres[j] = mine.mean(axis=0)
    return centres


def voronoi_cells(points, region, clip=True):
    """Voronoi cells of `points` (in input order), clipped to `region` unless clip=False."""
    if len(points) == 1:
        return [region]
    x0, y0, x1, y1 = region.bounds
    envelope = shapely.box(x0 - 1, y0 - 1, x1 + 1, y1 + 1)
    diagram = shapely.voronoi_polygons(MultiPoint(points), extend_to=envelope, ordered=True)
    cells = np.array(diagram.geoms)
    return list(shapely.intersection(cells, region)) if clip else list(cells)


def polygons_of(geom):
    """The polygon parts of any geometry (drops points and lines left by clipping)."""
    if geom is None or geom.is_empty:
        return []
    if geom.geom_type == "Polygon":
        return [geom]
    if hasattr(geom, "geoms"):
        return [p for g in geom.geoms for p in polygons_of(g)]
    return []


def defragment(units):
    """Give every detached part of a unit to the neighbour it shares the longest edge with.

    Clipping Voronoi cells to a non-convex parent can split a cell; real units are (almost
    always) one piece, so the stray pieces join the sibling that surrounds them.
    """
    units = list(units)
    for _ in range(4):
        moved = False
        for i, geom in enumerate(units):
            parts = sorted(polygons_of(geom), key=lambda p: -p.area)
            if len(parts) <= 1:
                continue
            units[i] = parts[0]
            for part in parts[1:]:
                edge = part.boundary
                shared = [(edge.intersection(units[j]).length if j != i else -1.0) for j in range(len(units))]
                j = int(np.argmax(shared))
                if shared[j] <= 0:
                    units[i] = shapely.union(units[i], part)
                    continue
                units[j] = shapely.union(units[j], part)
                moved = True
        if not moved:
            break
    return units


def partition_weighted(region, centres, target_shares, rng, n_base=4000, noise_km2=0.0,
                       noise_wavelength_km=6.0, iterations=300):
    """Split `region` among `centres` with areas close to `target_shares`.

    A fine Voronoi mesh of random points is assigned to centres by a power distance
    (|p - c|² - w) plus a smooth per-centre noise field; the weights w are tuned until each
    centre gets its share. Borders follow the mesh, so they are irregular like real ones.
    """
    centres = np.asarray(centres, dtype=float)
    k = len(centres)
    pts = sample_in(region, n_base, rng)
    target = np.asarray(target_shares, dtype=float)
    target = target / target.sum() * len(pts)
    noise = np.zeros((len(pts), k))
    if noise_km2:
        for _ in range(4):
            f = rng.normal(size=(k, 2)) * (2 * math.pi / noise_wavelength_km)
            phase = rng.uniform(0, 2 * math.pi, size=k)
            noise += noise_km2 / 2 * np.sin(pts @ f.T + phase)
    d2 = ((pts[:, None, :] - centres[None, :, :]) ** 2).sum(axis=2) + noise
    w = np.zeros(k)
    scale = float(np.median(d2))
    for it in range(iterations):  # gradient ascent on the (concave) transport dual, decaying step
        label = (d2 - w).argmin(axis=1)
        counts = np.bincount(label, minlength=k)
        w += 0.5 * scale * (target - counts) / len(pts) * k / (1 + it / 50)
    label = (d2 - w).argmin(axis=1)
    cells = np.array(voronoi_cells(pts, region, clip=False))  # a coverage: dissolve, then clip once
    units = [shapely.intersection(shapely.coverage_union_all(cells[label == j]), region)
             if (label == j).any() else Polygon() for j in range(k)]
    return defragment(units)


def relaxed_seeds(region, n, rng, clusters=1, steps=2):
    """n seed points for grids: clustered around settlements, then Lloyd-relaxed `steps` times."""
    area = region.area
    sigma = math.sqrt(area) / 4
    centres = sample_in(region, clusters, rng)
    pts = []
    n_clustered = n // 2
    while len(pts) < n_clustered:
        c = centres[rng.integers(len(centres))]
        p = c + rng.normal(scale=sigma, size=2)
        if shapely.contains_xy(region, p[0], p[1]):
            pts.append(p)
    pts = np.array(pts).reshape(-1, 2)
    pts = np.concatenate([pts, sample_in(region, n - len(pts), rng)])
    for _ in range(steps):
        cells = voronoi_cells(pts, region)
        nxt = []
        for p, cell in zip(pts, cells):
            if cell.is_empty:
                nxt.append(p)
                continue
            c = cell.centroid
            if not region.contains(c):
                c = cell.point_on_surface()
            nxt.append((c.x, c.y))
        pts = np.array(nxt)
    return pts


def grid_cells(region, n, rng, clusters=1, steps=2, attempts=8):
    """n irregular grid cells tiling `region` (Voronoi of relaxed clustered seeds).

    A grid that does not contain its own centroid (a C-shaped cell along a wiggly community
    border) is legal but awkward (labels and "the grid's centre" fall outside it), so up to
    `attempts` layouts are drawn and the first without one is kept.
    """
    if n == 1:
        return [region]
    best = None
    for _ in range(attempts):  # prefer a layout where every grid contains its own centroid
        seeds = relaxed_seeds(region, n, rng, clusters=clusters, steps=steps)
        cells = defragment(voronoi_cells(seeds, region))
        misses = sum(not c.contains(c.centroid) for c in cells)
        if best is None or misses < best[0]:
            best = (misses, cells)
        if misses == 0:
            break
    return best[1]


def as_multipolygon(geom):
    parts = polygons_of(geom)
    return MultiPolygon(parts)


def exact_tiling(leaves):
    """Rebuild leaf polygons (lon/lat) so that they tile exactly on the 1e-7° grid.

    Returns (faces, owner): the faces of the noded arrangement and, for each face, the index of
    the leaf it belongs to. Any unit is then the union of its leaves' faces.
    """
    lines = shapely.boundary(np.array(leaves, dtype=object))
    noded = shapely.union_all(lines, grid_size=GRID_SIZE)
    faces = np.array(shapely.get_parts(shapely.polygonize(shapely.get_parts(noded))))
    faces = faces[shapely.area(faces) > 0]
    tree = STRtree(leaves)
    reps = shapely.point_on_surface(faces)
    face_idx, leaf_idx = tree.query(reps, predicate="within")
    owner = np.full(len(faces), -1)
    hits = np.bincount(face_idx, minlength=len(faces))
    single = hits[face_idx] == 1
    owner[face_idx[single]] = leaf_idx[single]
    for f in np.flatnonzero(owner < 0):  # on an edge, or a sliver the snapping moved: most overlap
        cands = tree.query(faces[f])
        if len(cands) == 0:
            continue
        overlap = shapely.area(shapely.intersection(faces[f], np.array(leaves, dtype=object)[cands]))
        if overlap.max() > 0:
            owner[f] = cands[int(np.argmax(overlap))]
    keep = owner >= 0
    return faces[keep], owner[keep]


def union_faces(faces):
    """Dissolve faces of the noded arrangement (a coverage: edges are shared exactly)."""
    if len(faces) == 1:
        return as_multipolygon(faces[0])
    return as_multipolygon(shapely.coverage_union_all(faces))


def reading_order(geoms):
    """Indices sorted north→south in rows, west→east within a row (how grids are numbered).

    Rows are bands of the typical cell height, so irregular cells still read like a table.
    """
    if not geoms:
        return []
    cents = [g.centroid for g in geoms]
    ys = np.array([c.y for c in cents])
    xs = np.array([c.x for c in cents])
    total = shapely.union_all(geoms)
    band = math.sqrt(total.area / len(geoms))
    top = total.bounds[3]
    rows = np.floor((top - ys) / band).astype(int)
    return sorted(range(len(geoms)), key=lambda i: (rows[i], xs[i], -ys[i]))
