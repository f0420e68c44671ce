"""Reads: a user's in-app inbox and unread badge count (the Notification rows of gridgov.dispatch)."""
from gridgov.dispatch.models import Notification


def inbox(user, unread_only=False, kind=None):
    qs = Notification.objects.filter(recipient=user).select_related("case", "department")
    if unread_only:
        qs = qs.filter(read_at__isnull=True)
    if kind:
        qs = qs.filter(kind=kind)
    return qs.order_by("-created_at", "-id")


def unread_count(user):
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()
