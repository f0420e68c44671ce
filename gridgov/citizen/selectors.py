"""Reads for the public form: the grid a QR code names, the category list, a case's public status."""
from django.db import connection
from django.db.models import Count, Q

from gridgov.cases.models import OPEN_STATUSES, Case, Category, CategoryLevel
from gridgov.grids.models import GridUnit, Level


def grid_with_point(code):
    """The active unit and a point on its surface (lon, lat), or None."""
    unit = GridUnit.objects.filter(code=code, is_active=True).only("id", "code", "name").first()
    if unit is None:
        return None
    with connection.cursor() as cur:
        cur.execute("SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_PointOnSurface(geom) AS p FROM grids_gridunit"
                    " WHERE id = %s) s", [unit.id])
        unit.surface_lon, unit.surface_lat = cur.fetchone()
    return unit


def printable_grids(code, limit=300):
    """The grids (level 4) to print for a unit: the grid itself, or every active grid under it."""
    return list(GridUnit.objects.filter(code__startswith=code, level=Level.GRID, is_active=True)
                .only("code", "name").order_by("code")[:limit])


def poster_units(prefix=""):
    """Communities (with their number of grids) to pick posters from, optionally under a street/town."""
    return list(GridUnit.objects.filter(level=Level.COMMUNITY, is_active=True, code__startswith=prefix)
                .annotate(grid_count=Count("children", filter=Q(children__is_active=True)))
                .only("code", "name").order_by("code")[:500])


def form_categories():
    """[(group name, [(code, name), …]), …] for a <select> with <optgroup>s."""
    groups = {}
    for c in (Category.objects.filter(is_active=True, level=CategoryLevel.ITEM, parent__is_active=True)
              .select_related("parent").order_by("parent__sort_order", "parent__code", "sort_order", "code")):
        groups.setdefault(c.parent.name, []).append((c.code, c.name))
    return list(groups.items())


def public_status(number):
    """Only what the reporter may see without logging in: number, status, category, dates."""
    case = (Case.objects.filter(number=str(number).upper()).select_related("category")
            .only("number", "status", "received_at", "closed_at", "updated_at", "category__name").first())
    if case is None:
        return None
    return {"number": case.number, "status": case.get_status_display(), "is_open": case.status in OPEN_STATUSES,
            "category": case.category.name if case.category_id else "", "received_at": case.received_at,
            "updated_at": case.updated_at, "closed_at": case.closed_at}
