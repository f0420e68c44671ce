"""Offline base map API (/api/v1/geo/): vector tiles, place names, reverse lookup of an address.

Signed-in users only (DRF default). No personal data: the base map is roads, water, settlements and names.
"""
import hashlib

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.decorators import api_view
from rest_framework.response import Response

from . import selectors, tiles


def _etag(*parts):
    return '"%s"' % hashlib.blake2s("|".join(map(str, parts)).encode(), digest_size=8).hexdigest()


def _cached(request, etag, make, content_type):
    if request.headers.get("If-None-Match") == etag:
        response = HttpResponse(status=304)
    else:
        response = HttpResponse(make(), content_type=content_type)
    response["ETag"] = etag
    response["Cache-Control"] = "private, max-age=3600"
    return response


@extend_schema(summary="Offline base map vector tile / 离线底图矢量瓦片", responses={200: OpenApiTypes.BINARY})
@api_view(["GET"])
def tile_view(request, z, x, y):
    tiles.check_tile(z, x, y)
    etag = _etag("basemap", tiles.data_version(), z, x, y)
    return _cached(request, etag, lambda: tiles.basemap_tile(z, x, y), tiles.CONTENT_TYPE)


@extend_schema(summary="Place names of the base map / 底图地名 (GeoJSON)", responses={200: OpenApiTypes.OBJECT})
@api_view(["GET"])
def places_view(request):
    etag = _etag("places", tiles.data_version())
    return _cached(request, etag, selectors.places_geojson, "application/geo+json")


@extend_schema(
    summary="Reverse lookup: nearest road and village / 逆地理编码（最近道路与村庄）",
    parameters=[
        OpenApiParameter("lon", float, required=True), OpenApiParameter("lat", float, required=True),
        OpenApiParameter("datum", str, enum=["wgs84", "cgcs2000", "gcj02", "bd09"], default="wgs84"),
    ],
    responses={200: OpenApiTypes.OBJECT, 400: OpenApiTypes.OBJECT},
)
@api_view(["GET"])
def reverse_view(request):
    q = request.query_params
    return Response(selectors.reverse_lookup(q.get("lon"), q.get("lat"), q.get("datum") or "wgs84"))
