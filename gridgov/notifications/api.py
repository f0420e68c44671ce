"""In-app notifications API: the unread list, the badge count, mark read.

GET  /api/v1/notifications/?unread=1&kind=&limit=&offset=   → {count, unread_count, results: [...]}
GET  /api/v1/notifications/unread-count/                    → {unread_count}
POST /api/v1/notifications/read/        {"ids": [1, 2]} or {"all": true}  → {marked, unread_count}
POST /api/v1/notifications/<id>/read/                       → {marked, unread_count}
"""
from rest_framework import serializers
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.response import Response
from rest_framework.views import APIView

from gridgov.dispatch.models import Notification

from .actions import do_mark_read
from .channels import kind_label
from .selectors import inbox, unread_count


class NotificationSerializer(serializers.ModelSerializer):
    case_number = serializers.CharField(source="case.number", default=None)
    department = serializers.CharField(source="department.name", default=None)
    kind_label = serializers.SerializerMethodField()
    is_read = serializers.SerializerMethodField()

    class Meta:
        model = Notification
        fields = ["id", "kind", "kind_label", "message", "case_number", "department", "created_at", "read_at",
                  "is_read"]

    def get_kind_label(self, obj):
        return kind_label(obj.kind)

    def get_is_read(self, obj):
        return obj.read_at is not None


def _truthy(value):
    return str(value or "").lower() in ("1", "true", "yes", "on")


class NotificationListView(APIView):
    def get(self, request):
        qs = inbox(request.user, unread_only=_truthy(request.query_params.get("unread")),
                   kind=request.query_params.get("kind") or None)
        paginator = LimitOffsetPagination()
        page = paginator.paginate_queryset(qs, request, view=self)
        response = paginator.get_paginated_response(NotificationSerializer(page, many=True).data)
        response.data["unread_count"] = unread_count(request.user)
        return response


class UnreadCountView(APIView):
    def get(self, request):
        return Response({"unread_count": unread_count(request.user)})


class MarkReadView(APIView):
    def post(self, request, pk=None):
        if pk is not None:
            marked = do_mark_read(request.user, [pk])
        else:
            data = request.data if isinstance(request.data, dict) else {}
            marked = do_mark_read(request.user, data.get("ids"), all_unread=_truthy(data.get("all")))
        return Response({"marked": marked, "unread_count": unread_count(request.user)})
