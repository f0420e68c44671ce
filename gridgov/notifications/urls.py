from django.urls import path

from . import api

urlpatterns = [
    path("notifications/", api.NotificationListView.as_view(), name="notification-list"),
    path("notifications/unread-count/", api.UnreadCountView.as_view(), name="notification-unread-count"),
    path("notifications/read/", api.MarkReadView.as_view(), name="notification-read"),
    path("notifications/<int:pk>/read/", api.MarkReadView.as_view(), name="notification-read-one"),
]
