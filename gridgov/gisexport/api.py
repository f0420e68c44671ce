"""GET /api/v1/export/cases.{geojson,csv,gpkg,shp.zip} and /api/v1/export/grids.{…} for QGIS/ArcGIS.

Cases are filtered like the case list (grid, category, status, channel, since, until, bbox,
flagged) within the requester's scope; personal data masked per role. ?encoding=gbk for CSV and
Shapefile (a .cpg is written). Large sets stream: nothing is built in memory.
"""
from django.http import FileResponse, StreamingHttpResponse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.permissions import IsAuthenticated
from rest_framework.views import APIView

from gridgov.cases.api import LIST_FILTERS

from . import selectors, writers

CONTENT_TYPES = {"geojson": "application/geo+json", "csv": "text/csv", "gpkg": "application/geopackage+sqlite3",
                 "shp.zip": "application/zip"}
ENCODING = OpenApiParameter("encoding", str, description="utf-8 (default) or gbk: CSV and Shapefile")


def _respond(fmt, layer, rows_for, fields, geometry_type, encoding):
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    filename = f"{layer}-{stamp}.{fmt}"
    if fmt == "geojson":
        response = StreamingHttpResponse(
            (p.encode("utf-8") for p in writers.geojson_chunks(rows_for("geojson"), fields, layer)),
            content_type=CONTENT_TYPES[fmt])
    elif fmt == "csv":
        charset = writers.ENCODINGS[encoding][1]
        response = StreamingHttpResponse(
            writers.csv_chunks(rows_for("wkt"), fields, selectors.TEXT_FIELDS, encoding=encoding),
            content_type=f"text/csv; charset={charset}")
    else:
        f = writers.ogr_file(rows_for("geojson"), fields, layer, fmt, geometry_type, encoding)
        return FileResponse(f, as_attachment=True, filename=filename, content_type=CONTENT_TYPES[fmt])
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


class CaseExportView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(parameters=[*LIST_FILTERS, ENCODING], responses={200: OpenApiTypes.BINARY})
    def get(self, request, fmt):
        writers.check_format(fmt)
        encoding = writers.check_encoding(request.query_params.get("encoding"))
        params = request.query_params
        selectors.case_rows(request.user, params, "wkt").close()  # check the filters before streaming
        return _respond(fmt, "cases", lambda geometry: selectors.case_rows(request.user, params, geometry),
                        selectors.CASE_FIELDS, "POINT", encoding)


class GridExportView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(parameters=[OpenApiParameter("level", int), OpenApiParameter("code_prefix", str), ENCODING],
                   responses={200: OpenApiTypes.BINARY})
    def get(self, request, fmt):
        writers.check_format(fmt)
        encoding = writers.check_encoding(request.query_params.get("encoding"))
        params = request.query_params
        selectors.grid_rows(params).close()
        return _respond(fmt, "grids", lambda geometry: selectors.grid_rows(params, geometry),
                        selectors.GRID_FIELDS, "MULTIPOLYGON", encoding)
