"""Build grid hierarchies and users in code (no fixtures files)."""
from django.contrib.gis.geos import MultiPolygon, Polygon

from gridgov.accounts.models import Role, User
from gridgov.grids.actions import UnitInput, do_upsert_units


def box(x0, y0, x1, y1):
    return MultiPolygon(Polygon.from_bbox((x0, y0, x1, y1)), srid=4326)


def make_user(username, role=Role.GRID_WORKER, **kw):
    return User.objects.create_user(username=username, password="pw-" + username, role=role, **kw)


def build_small_county(county="320831", x0=119.0, y0=33.0):
    """A 2×2 km-ish county: one town, two communities, each with two grids (a 2×2 block of cells).

    Layout (0.01° cells):        grid codes
        +-----+-----+           ...001001001 | ...001001002   (community 001, north row)
        |  A1 |  A2 |           ...001002001 | ...001002002   (community 002, south row)
        +-----+-----+
        |  B1 |  B2 |
        +-----+-----+
    """
    d = 0.01
    town = county + "101"
    c1, c2 = town + "001", town + "002"
    units = [
        UnitInput(county, "测试县", box(x0, y0, x0 + 2 * d, y0 + 2 * d)),
        UnitInput(town, "测试镇", box(x0, y0, x0 + 2 * d, y0 + 2 * d)),
        UnitInput(c1, "北村", box(x0, y0 + d, x0 + 2 * d, y0 + 2 * d)),
        UnitInput(c2, "南村", box(x0, y0, x0 + 2 * d, y0 + d)),
        UnitInput(c1 + "001", "北村一网格", box(x0, y0 + d, x0 + d, y0 + 2 * d)),
        UnitInput(c1 + "002", "北村二网格", box(x0 + d, y0 + d, x0 + 2 * d, y0 + 2 * d)),
        UnitInput(c2 + "001", "南村一网格", box(x0, y0, x0 + d, y0 + d)),
        UnitInput(c2 + "002", "南村二网格", box(x0 + d, y0, x0 + 2 * d, y0 + d)),
    ]
    do_upsert_units(units, source="tests")
    return units
