"""Grid API: locate a point, list grid units (GeoJSON built in PostGIS), one unit."""
import json

from django.db import connection
from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.decorators import api_view
from rest_framework.response import Response

from gridgov.core.errors import FieldError

from .locate import locate
from .models import GridUnit, Level

_unit_ref = inline_serializer("UnitRef", {"code": serializers.CharField(), "name": serializers.CharField(),
                                          "level": serializers.IntegerField(),
                                          "level_name": serializers.CharField()})


@extend_schema(
    summary="Locate a point in its grid / 定位网格",
    parameters=[
        OpenApiParameter("lon", float, required=True, description="longitude / 经度"),
        OpenApiParameter("lat", float, required=True, description="latitude / 纬度"),
        OpenApiParameter("datum", str, enum=["wgs84", "cgcs2000", "gcj02", "bd09"], default="wgs84"),
    ],
    responses={200: inline_serializer("Located", {
        "code": serializers.CharField(), "name": serializers.CharField(), "level": serializers.IntegerField(),
        "level_name": serializers.CharField(), "ancestors": _unit_ref.__class__(many=True),
        "point": serializers.DictField()}), 400: OpenApiTypes.OBJECT, 404: OpenApiTypes.OBJECT},
)
@api_view(["GET"])
def locate_view(request):
    q = request.query_params
    return Response(locate(q.get("lon"), q.get("lat"), q.get("datum") or "wgs84").as_dict())


_LIST_SQL = """
    SELECT json_build_object('type', 'FeatureCollection', 'features', coalesce(json_agg(
        json_build_object('type', 'Feature', 'id', code,
            'geometry', ST_AsGeoJSON(CASE WHEN %(simplify)s > 0 THEN ST_SimplifyPreserveTopology(geom, %(simplify)s)
                                          ELSE geom END, 7)::json,
            'properties', json_build_object('code', code, 'name', name, 'level', level,
                'parent', left(code, greatest(length(code) - 3, 0)), 'area_m2', round(area_m2::numeric),
                'population', population)) ORDER BY code), '[]'::json))
    FROM grids_gridunit
    WHERE is_active AND (%(level)s::int IS NULL OR level = %(level)s::int)
      AND code LIKE %(prefix)s
      AND (%(bbox)s::text IS NULL OR geom && ST_MakeEnvelope(%(x0)s, %(y0)s, %(x1)s, %(y1)s, 4326))
"""


def _bbox(value):
    if not value:
        return None
    try:
        parts = [float(p) for p in value.split(",")]
    except ValueError:
        parts = []
    if len(parts) != 4 or not (parts[0] < parts[2] and parts[1] < parts[3]):
        raise FieldError("bbox", "invalid_bbox", "bbox 应为 minlon,minlat,maxlon,maxlat",
                         "bbox must be minlon,minlat,maxlon,maxlat")
    return parts


@extend_schema(
    summary="Grid units as GeoJSON / 网格 GeoJSON",
    parameters=[
        OpenApiParameter("level", int, enum=[1, 2, 3, 4]),
        OpenApiParameter("code_prefix", str, description="e.g. 320831101 for one town"),
        OpenApiParameter("bbox", str, description="minlon,minlat,maxlon,maxlat"),
        OpenApiParameter("simplify", float, description="tolerance in degrees, 0 = exact"),
    ],
    responses={200: OpenApiTypes.OBJECT},
)
@api_view(["GET"])
def grid_list_view(request):
    q = request.query_params
    level = q.get("level")
    if level not in (None, "") and level not in {str(v) for v in Level.values}:
        raise FieldError("level", "invalid_level", "level 应为 1–4", "level must be 1-4")
    prefix = q.get("code_prefix", "")
    if prefix and not prefix.isdigit():
        raise FieldError("code_prefix", "invalid_prefix", "code_prefix 只能包含数字", "code_prefix must be digits")
    bbox = _bbox(q.get("bbox"))
    try:
        simplify = max(0.0, min(float(q.get("simplify") or 0), 0.01))
    except ValueError:
        raise FieldError("simplify", "not_a_number", "simplify 应为数字", "simplify must be a number")
    params = {"level": int(level) if level else None, "prefix": prefix + "%", "simplify": simplify,
              "bbox": "y" if bbox else None, "x0": None, "y0": None, "x1": None, "y1": None}
    if bbox:
        params.update(dict(zip(("x0", "y0", "x1", "y1"), bbox)))
    with connection.cursor() as cur:
        cur.execute(_LIST_SQL, params)
        body = cur.fetchone()[0]
    if not isinstance(body, str):
        body = json.dumps(body, ensure_ascii=False)
    return HttpResponse(body, content_type="application/geo+json")


@extend_schema(summary="One grid unit / 单个网格", responses={200: OpenApiTypes.OBJECT, 404: OpenApiTypes.OBJECT})
@api_view(["GET"])
def grid_detail_view(request, code):
    unit = GridUnit.objects.filter(code=code).first()
    if unit is None:
        raise FieldError("code", "not_found", f"网格 {code} 不存在", f"grid {code} does not exist")
    data = {"code": unit.code, "name": unit.name, "level": unit.level,
            "level_name": str(Level(unit.level).label), "area_m2": unit.area_m2, "population": unit.population,
            "parent": unit.parent.code if unit.parent_id else None,
            "children": list(unit.children.filter(is_active=True).values("code", "name")),
            "workers": [{"username": w.username, "name": str(w)} for w in unit.workers.all()],
            "boundary_versions": list(unit.boundaries.values("valid_from", "valid_to", "source", "area_m2")),
            "geometry": json.loads(unit.geom.geojson)}
    return Response(data)
