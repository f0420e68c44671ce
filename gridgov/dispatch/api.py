"""Dispatch API under /api/v1/: thin views over access (scope), actions and selectors.

Every transition is one POST; a conflict (someone else acted first, or a stale `version`) is HTTP 409
with {errors: [{field, code, message, message_en, state, version}]}.
"""
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from gridgov.cases import access as case_access
from gridgov.departments.models import Department
from gridgov.core.errors import FieldError
from gridgov.grids.locate import locate

from . import access, actions, contracts, routing, selectors
from .models import Dispatch, Suspension, Whistle
from .serializers import (DecideRequest, DispatchDetailSerializer, DispatchSerializer, EscalateRequest,
                          CloseRequest, FeedbackRequest, RerouteRequest, ResumeRequest, StartRequest,
                          ReturnRequest, SuspendRequest, SuspensionSerializer, TriageSerializer, VerifyRequest,
                          VersionRequest, WhistleRequest, WhistleSerializer, events_data)

ERRORS = {400: OpenApiResponse(OpenApiTypes.OBJECT, description="{errors: [{field, code, message, message_en}]}"),
          403: OpenApiResponse(OpenApiTypes.OBJECT), 404: OpenApiResponse(OpenApiTypes.OBJECT),
          409: OpenApiResponse(OpenApiTypes.OBJECT, description="conflict: someone acted first / stale version")}
TAGS = ["dispatch"]
TRUE, FALSE = {"1", "true", "yes", "on", "是"}, {"0", "false", "no", "off", "否"}


class Page(LimitOffsetPagination):
    default_limit = 50
    max_limit = 500


def _bool(data, field):
    """A declared boolean (contracts.py), required."""
    name, zh = field.name, field.zh
    value = data.get(name)
    if isinstance(value, bool):
        return value
    text = str(value if value is not None else "").strip().lower()
    if text in TRUE:
        return True
    if text in FALSE:
        return False
    raise FieldError(name, "required" if not text else "not_boolean", f"请指明{zh}（true/false）",
                     f"{name} must be true or false")


def _version(data, field=contracts.VERSION):
    name = field.name
    value = data.get(name)
    if value in (None, ""):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        raise FieldError(name, "not_integer", f"{name} 应为整数", f"{name} must be a whole number")


def _codes(data, name):
    """Department codes from a JSON list, a form's repeated field, or one "a;b" string."""
    value = data.getlist(name) if hasattr(data, "getlist") else data.get(name)
    if value in (None, ""):
        return []
    if isinstance(value, str):
        value = [value]
    codes = [c.strip() for item in value for c in str(item).replace("；", ";").split(";") if c.strip()]
    found = {d.code: d for d in Department.objects.filter(code__in=codes)}
    for code in codes:
        if code not in found:
            raise FieldError(name, "unknown_department", f"部门 {code} 不存在", f"department {code} does not exist")
    return [found[c] for c in codes]


def _dispatch_response(request, dispatch, status=200):
    d = selectors.with_related(Dispatch.objects.filter(pk=dispatch.pk)).get()
    context = {"request": request, "events": selectors.dispatch_history(d), "suspension": selectors.live_suspension(d)}
    return Response(DispatchDetailSerializer(d, context=context).data, status=status)


def _case_dispatches_payload(request, case):
    visible = access.visible_dispatches(request.user)
    whistle = Whistle.objects.filter(case=case).select_related("whistled_by").first()
    return {"case": case.number, "status": case.status,
            "whistle": WhistleSerializer(whistle).data if whistle else None,
            "dispatches": DispatchSerializer(selectors.case_dispatches(case, visible), many=True,
                                             context={"request": request}).data,
            "events": events_data(selectors.case_history(case), request.user, case)
            if access.sees_case_history(request.user, case) else []}


# --- cases: whistle, file, escalate, close, re-route, dispatches --------------------------------------

class WhistleView(APIView):
    @extend_schema(summary="Blow the whistle on a case / 吹哨", request=WhistleRequest,
                   responses={201: OpenApiTypes.OBJECT, **ERRORS}, tags=TAGS)
    def post(self, request, number):
        case = case_access.get_visible_case(request.user, number)
        data = request.data
        result = actions.do_whistle(case, request.user, data.get("level") or contracts.WHISTLE["level"].default,
                                    data.get("note", ""))
        return Response(_whistle_payload(request, result), status=201)


class FileCaseView(APIView):
    @extend_schema(summary="File and dispatch a case (command centre) / 立案派遣", request=WhistleRequest,
                   responses={201: OpenApiTypes.OBJECT, **ERRORS}, tags=TAGS)
    def post(self, request, number):
        case = case_access.get_visible_case(request.user, number)
        data = request.data
        result = actions.do_file_case_by_command_centre(case, request.user, data.get("level") or contracts.WHISTLE["level"].default,
                                                        data.get("note", ""))
        return Response(_whistle_payload(request, result), status=201)


def _whistle_payload(request, result):
    route = result.route
    return {"whistle": WhistleSerializer(result.whistle).data, "explain": routing.explain(route),
            "is_diversion": route.is_diversion, "legal_basis": route.legal_basis,
            "dispatches": DispatchSerializer(result.dispatches, many=True, context={"request": request}).data,
            "triage": TriageSerializer(result.triage).data if result.triage else None}


class EscalateView(APIView):
    @extend_schema(summary="Escalate the whistle one level / 升级吹哨", request=EscalateRequest,
                   responses={200: WhistleSerializer, **ERRORS}, tags=TAGS)
    def post(self, request, number):
        case = case_access.get_visible_case(request.user, number)
        whistle, _made = actions.do_escalate(case, request.user, request.data.get("note", ""),
                                             expected_level=request.data.get("expected_level") or None)
        return Response(WhistleSerializer(whistle).data)


class CloseCaseView(APIView):
    @extend_schema(summary="Close a verified case (command centre) / 结案", request=CloseRequest,
                   responses={200: OpenApiTypes.OBJECT, **ERRORS}, tags=TAGS)
    def post(self, request, number):
        case = case_access.get_visible_case(request.user, number)
        case = actions.do_close(case, request.user, request.data.get("note", ""))
        return Response(_case_dispatches_payload(request, case))


class RerouteView(APIView):
    @extend_schema(summary="Re-route a triaged or returned case (command centre) / 改派", request=RerouteRequest,
                   responses={201: DispatchSerializer(many=True), **ERRORS}, tags=TAGS)
    def post(self, request, number):
        access.require_command(request.user, "改派", "re-route cases")
        case = case_access.get_visible_case(request.user, number)
        data = request.data
        lead = _codes(data, "lead")
        if len(lead) > 1:
            raise FieldError("lead", "one_lead", "主办单位只能有一个", "exactly one lead department")
        made = actions.do_reroute(case, request.user, lead=lead[0] if lead else None, assists=_codes(data, "assists"),
                                  notified=_codes(data, "notified"), note=data.get("note", ""),
                                  legal_basis=data.get("legal_basis", ""))
        return Response(DispatchSerializer(made, many=True, context={"request": request}).data, status=201)


class CaseDispatchesView(APIView):
    @extend_schema(summary="A case's whistle, dispatches and history / 案卷派遣情况",
                   responses={200: OpenApiTypes.OBJECT, **ERRORS}, tags=TAGS)
    def get(self, request, number):
        case = case_access.get_visible_case(request.user, number)
        return Response(_case_dispatches_payload(request, case))


# --- routing preview ---------------------------------------------------------------------------------

class RoutingPreviewView(APIView):
    @extend_schema(
        summary="Where would this go? / 派遣预览",
        description="Locates the point, resolves the routing table for the category and shows the lead, assists, "
                    "notified, legal basis, every matching rule (best first) and the due times if dispatched now.",
        parameters=[OpenApiParameter("lon", float, required=True), OpenApiParameter("lat", float, required=True),
                    OpenApiParameter("datum", str, enum=["wgs84", "cgcs2000", "gcj02", "bd09"], default="wgs84"),
                    OpenApiParameter("category", str, required=True),
                    OpenApiParameter("urgency", str, enum=["normal", "urgent", "emergency"])],
        responses={200: OpenApiTypes.OBJECT, **ERRORS}, tags=TAGS)
    def get(self, request):
        q = request.query_params
        located = locate(q.get("lon"), q.get("lat"), q.get("datum") or "wgs84")
        category = selectors.preview_category(q.get("category"))
        preview = selectors.routing_preview(category, located.unit.code, q.get("urgency"))
        route, limits, urgency = preview["route"], preview["limits"], preview["urgency"]
        accept_due, feedback_due = preview["accept_due"], preview["feedback_due"]

        def dept(d):
            return {"code": d.code, "name": d.name, "kind": d.kind}

        return Response({
            "grid": located.as_dict(), "category": {"code": category.code, "name": category.name},
            "matched": route.matched, "triage_reason": route.triage_reason or None, "explain": preview["explain"],
            "lead": dept(route.lead) if route.lead else None, "assists": [dept(d) for d in route.assists],
            "notified": [dept(d) for d in route.notified], "legal_basis": route.legal_basis,
            "is_diversion": route.is_diversion,
            "limits": {"response": str(limits.response or "") or None, "handling": str(limits.handling or "") or None,
                       "urgency": urgency, "urgency_steps": limits.steps},
            "due_if_dispatched_now": {"accept_due": accept_due and timezone.localtime(accept_due).isoformat(),
                                      "feedback_due": feedback_due and timezone.localtime(feedback_due).isoformat()},
            "candidates": [{"rule": r.pk, "version": r.version, "category": r.category.code, "area": r.area_code,
                            "area_name": r.area.name, "lead": dept(r.lead)} for r in route.candidates],
        })


# --- dispatches --------------------------------------------------------------------------------------

class DispatchListView(APIView):
    @extend_schema(
        summary="Dispatch queue / 派遣队列",
        description="Open dispatches visible to you (responders: your departments), most urgent first, then the due "
                    "time that matters now (acceptance or handling), earliest first.",
        parameters=[OpenApiParameter("department", str, description="department code"),
                    OpenApiParameter("state", str, description="comma-separated states; default: every open state"),
                    OpenApiParameter("role", str, enum=["lead", "assist", "notified"])],
        responses={200: DispatchSerializer(many=True), **ERRORS}, tags=TAGS)
    def get(self, request):
        q = request.query_params
        queryset = access.visible_dispatches(request.user)
        code = (q.get("department") or "").strip()
        if code:
            queryset = queryset.filter(department__code=code)
        queryset = selectors.queue(queryset, selectors.parse_states(q.get("state")), (q.get("role") or "").strip())
        paginator = Page()
        page = paginator.paginate_queryset(queryset, request, view=self)
        return paginator.get_paginated_response(DispatchSerializer(page, many=True, context={"request": request}).data)


class DispatchDetailView(APIView):
    @extend_schema(summary="One dispatch with its history / 派遣单详情",
                   responses={200: DispatchDetailSerializer, **ERRORS}, tags=TAGS)
    def get(self, request, pk):
        return _dispatch_response(request, access.get_visible_dispatch(request.user, pk))


def _transition_view(name, summary, request_serializer, run, parsers=None):
    class View(APIView):
        parser_classes = parsers or [JSONParser, FormParser, MultiPartParser]

        @extend_schema(summary=summary, request=request_serializer, responses={200: DispatchDetailSerializer, **ERRORS},
                       tags=TAGS, operation_id=f"dispatch_{name}")
        def post(self, request, pk):
            dispatch = access.get_visible_dispatch(request.user, pk, Dispatch.objects.select_related("case",
                                                                                                  "department"))
            return _dispatch_response(request, run(request, dispatch))

    View.__name__ = f"Dispatch{name.title().replace('_', '')}View"
    return View


AcceptView = _transition_view("accept", "Accept / report in (签收/报到)", VersionRequest, lambda r, d: actions.do_accept(
    d, r.user, _version(r.data)))
StartView = _transition_view("start", "Start handling / 开始处置", StartRequest, lambda r, d: actions.do_start(
    d, r.user, _version(r.data), r.data.get("note", "")))
FeedbackView = _transition_view("feedback", "Feed back with after-photos / 反馈", FeedbackRequest,
                                lambda r, d: actions.do_feed_back(d, r.user, r.data.get("text", ""),
                                                                  r.FILES.getlist("photos"), _version(r.data)),
                                parsers=[MultiPartParser, FormParser, JSONParser])
VerifyView = _transition_view("verify", "Verify on site / 核查（不通过则返工）", VerifyRequest,
                              lambda r, d: actions.do_verify(d, r.user, _bool(r.data, contracts.VERIFY["passed"]),
                                                             r.data.get("note", ""), _version(r.data)))
ReturnView = _transition_view("return", "Return as not ours, with the reason / 退回", ReturnRequest,
                              lambda r, d: actions.do_return(d, r.user, r.data.get("reason", ""), _version(r.data)))
ResumeView = _transition_view("resume", "Resume after a suspension / 恢复办理", ResumeRequest,
                              lambda r, d: actions.do_resume(d, r.user, r.data.get("note", "")))


class SuspendView(APIView):
    @extend_schema(summary="Ask to suspend (缓办/挂账) / 申请缓办挂账", request=SuspendRequest,
                   responses={201: SuspensionSerializer, **ERRORS}, tags=TAGS)
    def post(self, request, pk):
        dispatch = access.get_visible_dispatch(request.user, pk, Dispatch.objects.select_related("case", "department"))
        s = actions.do_request_suspension(dispatch, request.user, request.data.get("kind", ""),
                                          request.data.get("reason", ""))
        return Response(SuspensionSerializer(s).data, status=201)


class SuspensionListView(APIView):
    @extend_schema(summary="Suspension requests waiting for a decision / 待审批缓办挂账",
                   responses={200: SuspensionSerializer(many=True), **ERRORS}, tags=TAGS)
    def get(self, request):
        return Response(SuspensionSerializer(selectors.pending_suspensions(access.visible_suspensions(request.user)),
                                             many=True).data)


class SuspensionDecideView(APIView):
    @extend_schema(summary="Approve or refuse a suspension (command centre) / 审批缓办挂账", request=DecideRequest,
                   responses={200: SuspensionSerializer, **ERRORS}, tags=TAGS)
    def post(self, request, pk):
        s = access.visible_suspensions(request.user).filter(pk=pk).first()
        if s is None:
            raise case_access.NotFound("suspension", "not_found", "申请不存在或无权查看",
                                       "no such request, or not visible to you")
        s = actions.do_approve_suspension(s, request.user, _bool(request.data, contracts.DECIDE["approved"]),
                                          request.data.get("note", ""))
        return Response(SuspensionSerializer(Suspension.objects.get(pk=s.pk)).data)


# --- triage -----------------------------------------------------------------------------

class TriageListView(APIView):
    @extend_schema(summary="Triage queue (no rule, returned) / 待分拨队列",
                   responses={200: TriageSerializer(many=True), **ERRORS}, tags=TAGS)
    def get(self, request):
        if not access.sees_everything(request.user):
            raise case_access.Forbidden(None, "forbidden", "只有指挥中心可以查看待分拨队列",
                                        "only the command centre sees the triage queue")
        paginator = Page()
        page = paginator.paginate_queryset(selectors.triage_queue(access.visible_triage(request.user)), request,
                                           view=self)
        return paginator.get_paginated_response(TriageSerializer(page, many=True, context={"request": request}).data)
