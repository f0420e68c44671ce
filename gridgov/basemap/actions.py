"""Writes of the offline base map: (re)build the demo base layer from the grid units in the database."""
from dataclasses import dataclass

import shapely
from django.contrib.gis.geos import GEOSGeometry
from django.db import transaction

from .generate import build_features
from .models import BasemapFeature


@dataclass
class BuildResult:
    county: str
    source: str
    counts: dict  # kind -> number of features
    replaced: int  # rows of an earlier build removed


def _units(county_code):
    from gridgov.grids.models import GridUnit, Level

    rows = GridUnit.objects.filter(is_active=True, code__startswith=county_code)
    county = rows.filter(level=Level.DISTRICT, code=county_code).first()
    if county is None:
        return None, [], []
    shp = lambda g: shapely.from_wkb(bytes(g.wkb))  # noqa: E731
    towns = [(u.code, u.name, shp(u.geom)) for u in rows.filter(level=Level.STREET).order_by("code")]
    villages = [(u.code, u.name, u.code[:9], shp(u.geom)) for u in rows.filter(level=Level.COMMUNITY).order_by("code")]
    return shp(county.geom), towns, villages


@transaction.atomic
def do_build_basemap(county_code=None):
    """Generate the demo base map of a county (default: the demo county) and replace the previous build.

    Deterministic: building twice gives the same features. Returns None when the county has no grid units.
    """
    from geodata.demo import COUNTY_CODE, DEFAULT_SEED, TOWNS

    county_code = county_code or COUNTY_CODE
    county, towns, villages = _units(county_code)
    if county is None:
        return None
    seats = {county_code + t.code: (t.lon, t.lat) for t in TOWNS} if county_code == COUNTY_CODE else {}
    features = build_features(county, towns, villages, seats=seats, seed=DEFAULT_SEED)
    source = f"demo:{county_code}"
    replaced, _ = BasemapFeature.objects.filter(source=source).delete()
    BasemapFeature.objects.bulk_create([
        BasemapFeature(kind=f.kind, name=f.name, unit_code=f.unit_code, source=source,
                       geom=GEOSGeometry(memoryview(shapely.to_wkb(f.geom)), srid=4326))
        for f in features
    ], batch_size=500)
    counts = {}
    for f in features:
        counts[str(f.kind)] = counts.get(str(f.kind), 0) + 1
    return BuildResult(county_code, source, counts, replaced)
