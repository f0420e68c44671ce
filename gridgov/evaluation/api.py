"""Evaluation API (dispatchers, monitors, leaders, admins).

GET  /api/v1/evaluation/?period_start=2026-01-01&period_end=2026-01-31&by=department|street&format=json|csv|xlsx
     → the ranking (晾晒): rows with rank, score, rates and the counts behind them; CSV and XLSX as files.
POST /api/v1/evaluation/ratings/   {"case": "<number>", "source": "reporter|verifier", "level": "...",
                                    "comment": ""}   → 201 the rating
"""
from datetime import timedelta

from django.http import HttpResponse
from rest_framework import renderers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from gridgov.accounts.models import Role
from gridgov.cases.access import visible_cases
from gridgov.core.errors import Forbidden, NotFound
from gridgov.core.roles import role_of
from gridgov.core.errors import FieldError

from .actions import do_rate_case
from .export import as_dict, to_csv, to_xlsx
from .metrics import parse_period
from .ranking import ranking

CAN_SEE = {Role.DISPATCHER, Role.MONITOR, Role.LEADER, Role.ADMIN}


class _FileRenderer(renderers.BaseRenderer):
    """Lets ?format=csv / xlsx through DRF's content negotiation; the view returns the bytes itself."""

    charset = None

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return data if isinstance(data, bytes) else b""


class CSVRenderer(_FileRenderer):
    media_type, format = "text/csv", "csv"


class XLSXRenderer(_FileRenderer):
    media_type, format = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx"


class EvaluationView(APIView):
    renderer_classes = [renderers.JSONRenderer, renderers.BrowsableAPIRenderer, CSVRenderer, XLSXRenderer]

    def get(self, request):
        if role_of(request.user) not in CAN_SEE:
            raise Forbidden(None, "forbidden", "只有指挥中心、监督中心和领导可以查看考核评价",
                            "only the command centre, monitors and leaders may see the evaluation")
        q = request.query_params
        fmt = q.get("format") or "json"
        if fmt not in ("json", "csv", "xlsx", "api"):
            raise FieldError("format", "invalid_choice", "format 应为 json、csv 或 xlsx", "format must be json, csv or xlsx")
        start, end = q.get("period_start"), q.get("period_end")
        by = q.get("by") or "department"
        rows = ranking(start, end, by=by)
        if fmt in ("csv", "xlsx"):
            s, e = parse_period(start, end)
            name = f"evaluation-{by}-{s:%Y%m%d}-{e - timedelta(days=1):%Y%m%d}"
            body = to_csv(rows) if fmt == "csv" else to_xlsx(rows)
            ctype = CSVRenderer.media_type + "; charset=utf-8" if fmt == "csv" else XLSXRenderer.media_type
            response = HttpResponse(body, content_type=ctype)
            response["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
            return response
        s, e = parse_period(start, end)
        return Response({"period_start": start, "period_end": end, "by": by, "as_of_end": e.isoformat(),
                         "results": [as_dict(u) for u in rows]})


class RatingView(APIView):
    def post(self, request):
        data = request.data if isinstance(request.data, dict) else {}
        number = str(data.get("case") or "").strip()
        case = visible_cases(request.user).filter(number=number).first() if number else None
        if case is None:
            raise NotFound("case", "not_found", f"案卷 {number or '（空）'} 不存在或无权查看",
                           f"case {number!r} does not exist or is not visible to you")
        rating = do_rate_case(case, request.user, data.get("source"), data.get("level"), data.get("comment", ""))
        return Response({"id": rating.pk, "case": case.number, "source": rating.source, "level": rating.level,
                         "comment": rating.comment, "rated_at": rating.rated_at}, status=status.HTTP_201_CREATED)
