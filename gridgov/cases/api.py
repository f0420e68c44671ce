"""Case API under /api/v1/: thin views over access (scope), inputs (parsing), actions and selectors."""
from django.http import FileResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from gridgov.grids.locate import validate_point
from geodata.datums import to_wgs84
from gridgov.core.errors import FieldError

from . import access, selectors
from .actions import do_create_case, do_update_case
from .conf import max_clock_skew_s
from .inputs import parse_case_changes, parse_case_input
from .models import Case, Category, CategoryLevel
from .serializers import (CandidateSerializer, CaseCreateRequestSerializer, CaseDetailSerializer, CaseSerializer,
                          CaseUpdateRequestSerializer, CategorySerializer)

ERRORS = {400: OpenApiResponse(OpenApiTypes.OBJECT, description="{errors: [{field, code, message, message_en}]}"),
          403: OpenApiResponse(OpenApiTypes.OBJECT), 404: OpenApiResponse(OpenApiTypes.OBJECT)}
LIST_FILTERS = [
    OpenApiParameter("grid", str, description="grid-unit code or prefix / 网格编码前缀"),
    OpenApiParameter("category", str, description="category code (a group includes its items) / 分类编码"),
    OpenApiParameter("status", str, description="comma-separated statuses"),
    OpenApiParameter("channel", str, description="comma-separated channels"),
    OpenApiParameter("since", OpenApiTypes.DATETIME, description="received at or after"),
    OpenApiParameter("until", OpenApiTypes.DATETIME, description="received before"),
    OpenApiParameter("bbox", str, description="minlon,minlat,maxlon,maxlat (WGS-84)"),
    OpenApiParameter("flagged", bool, description="only cases with photo location/time flags"),
]


class CasePagination(LimitOffsetPagination):
    default_limit = 50
    max_limit = 500


def _paginated(request, view, queryset):
    paginator = CasePagination()
    page = paginator.paginate_queryset(queryset, request, view=view)
    return paginator.get_paginated_response(CaseSerializer(page, many=True, context={"request": request}).data)


class CaseListCreateView(APIView):
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    @extend_schema(summary="List cases in my scope / 案卷列表", parameters=LIST_FILTERS,
                   responses={200: CaseSerializer(many=True), **ERRORS}, tags=["cases"])
    def get(self, request):
        queryset = selectors.filter_cases(access.visible_cases(request.user), request.query_params)
        return _paginated(request, self, selectors.list_queryset(queryset))

    @extend_schema(
        summary="Report a case / 上报案卷",
        description="JSON, or multipart/form-data with `photos` and `after_photos` files (at most `maxItems` each: "
                    "GRIDGOV_PHOTO_MAX_COUNT). Idempotent on "
                    "client_uuid: 201 when created, 200 with the same case when it already exists. "
                    "resolved_on_spot=true (就地解决) closes the case at once and needs resolution_note and an "
                    "after-photo.",
        request={"application/json": CaseCreateRequestSerializer,
                 "multipart/form-data": CaseCreateRequestSerializer},
        responses={201: CaseSerializer, 200: CaseSerializer, 409: OpenApiTypes.OBJECT, **ERRORS},
        tags=["cases"])
    def post(self, request):
        access.require_report(request.user)
        inp = parse_case_input(request.data, request.FILES, max_skew_s=max_clock_skew_s())
        result = do_create_case(request.user, inp)  # committed when it returns
        case = result.case  # the reporter's own case: in their scope by definition
        if not result.created:
            case = selectors.list_queryset(Case.objects.filter(pk=case.pk)).get()
        data = CaseSerializer(case, context={"request": request}).data
        return Response(data, status=201 if result.created else 200,
                        headers={"Location": f"/api/v1/cases/{case.number}/"})


class MyCasesView(APIView):
    @extend_schema(summary="Cases I reported / 我的上报", parameters=LIST_FILTERS,
                   responses={200: CaseSerializer(many=True), **ERRORS}, tags=["cases"])
    def get(self, request):
        queryset = selectors.filter_cases(selectors.my_cases(request.user), request.query_params)
        return _paginated(request, self, selectors.list_queryset(queryset))


class CaseDetailView(APIView):
    @extend_schema(summary="One case with photos and history / 案卷详情", responses={200: CaseDetailSerializer, **ERRORS},
                   tags=["cases"])
    def get(self, request, number):
        case = access.get_visible_case(request.user, number, selectors.detail_queryset(Case.objects.all()))
        return Response(CaseDetailSerializer(case, context={"request": request}).data)

    @extend_schema(summary="Correct a case (command centre) / 修改案卷", request=CaseUpdateRequestSerializer,
                   responses={200: CaseDetailSerializer, **ERRORS}, tags=["cases"])
    def patch(self, request, number):
        case = access.get_visible_case(request.user, number)
        access.require_edit(request.user)
        changes, note = parse_case_changes(request.data)
        do_update_case(request.user, case, changes, note=note)
        case = access.get_visible_case(request.user, number, selectors.detail_queryset(Case.objects.all()))
        return Response(CaseDetailSerializer(case, context={"request": request}).data)


class DuplicateCandidatesView(APIView):
    @extend_schema(
        summary="Same problem? Open cases nearby / 附近是否已有同类案卷",
        description="Open cases of the category within its duplicate radius and time window, nearest first. "
                    "Report a repeat with follow_up_of=<number>.",
        parameters=[OpenApiParameter("lon", float, required=True), OpenApiParameter("lat", float, required=True),
                    OpenApiParameter("datum", str, enum=["wgs84", "cgcs2000", "gcj02", "bd09"], default="wgs84"),
                    OpenApiParameter("category", str, required=True, description="subcategory code")],
        responses={200: CandidateSerializer(many=True), **ERRORS}, tags=["cases"])
    def get(self, request):
        access.require_report(request.user)
        q = request.query_params
        lon, lat, datum = validate_point(q.get("lon"), q.get("lat"), q.get("datum") or "wgs84")
        code = (q.get("category") or "").strip()
        category = Category.objects.filter(code=code, level=CategoryLevel.ITEM).first()
        if category is None:
            raise FieldError("category", "unknown_category", f"小类 {code!r} 不存在", f"subcategory {code!r} does not exist")
        wlon, wlat = to_wgs84(lon, lat, datum)
        found = selectors.mark_out_of_scope(selectors.duplicate_candidates(wlon, wlat, category),
                                            access.visible_cases(request.user))
        return Response({"radius_m": category.duplicate_radius_m, "window_hours": category.duplicate_window_hours,
                         "results": CandidateSerializer(found, many=True).data})


class PhotoOriginalView(APIView):
    @extend_schema(summary="Original upload with EXIF (command centre) / 原始照片",
                   responses={(200, "application/octet-stream"): OpenApiTypes.BINARY, **ERRORS}, tags=["cases"])
    def get(self, request, number, photo_id):
        case = access.get_visible_case(request.user, number)
        if not access.can_see_original_photo(request.user, case):
            raise access.Forbidden(None, "forbidden", "无权查看原始照片", "you may not see original photos")
        photo = case.photos.filter(pk=photo_id).first()
        if photo is None:
            raise access.NotFound("photo", "not_found", "照片不存在", "no such photo")
        return FileResponse(photo.original.open("rb"), as_attachment=True,
                            filename=f"{case.number}-{photo.pk}.{photo.original_format}")


class CategoryListView(APIView):
    @extend_schema(summary="Categories, searchable / 案卷分类",
                   parameters=[OpenApiParameter("q", str, description="search words (name, keyword, code)"),
                               OpenApiParameter("leaves", bool, description="subcategories only")],
                   responses={200: CategorySerializer(many=True)}, tags=["categories"])
    def get(self, request):
        q = request.query_params
        leaves = (q.get("leaves") or "").lower() in ("1", "true", "yes")
        return Response(CategorySerializer(selectors.categories(q.get("q", ""), leaves_only=leaves), many=True).data)


class MeView(APIView):
    @extend_schema(summary="Who am I: role and assigned grids / 当前用户", tags=["cases"],
                   responses={200: OpenApiTypes.OBJECT})
    def get(self, request):
        user = request.user
        return Response({"username": user.username, "name": str(user), "role": access.role_of(user),
                         "can_report": access.can_report(user),
                         "grids": list(user.grids.filter(is_active=True).values("code", "name"))})
