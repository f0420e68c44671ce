"""Reads for the field pages."""
from django.contrib.gis.db.models import Extent


def assigned_extent(user):
    """(minlon, minlat, maxlon, maxlat) of the grids a worker is assigned to, or None."""
    if not user.is_authenticated:
        return None
    return user.grids.filter(is_active=True).aggregate(extent=Extent("geom"))["extent"]
