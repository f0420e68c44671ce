"""{% nav_links point name %}: 高德/百度 navigation links for a [lon, lat] WGS-84 point (console case pages)."""
from django import template

from gridgov.basemap.navigation import navigation_links

register = template.Library()


@register.inclusion_tag("basemap/_nav_links.html")
def nav_links(point, name=""):
    links = None
    if point and len(point) == 2:
        links = navigation_links(float(point[0]), float(point[1]), name)
    return {"links": links}
