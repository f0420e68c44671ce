"""GET /api/v1/classify/?text=… → the top 3 category suggestions (command centre, intake forms)."""
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from .suggest import low_confidence_threshold, suggest


class ClassifyView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(parameters=[OpenApiParameter("text", str, required=True, description="问题描述 / case text")],
                   responses={200: OpenApiTypes.OBJECT})
    def get(self, request):
        top = suggest(request.query_params.get("text", ""))
        threshold = low_confidence_threshold()
        return Response({
            "suggestions": [{"code": c, "name": n, "confidence": p} for c, n, p in top],
            "needs_confirmation": top[0][2] < threshold,
            "threshold": threshold,
        })
