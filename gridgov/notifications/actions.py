"""Writes: marking in-app notifications read."""
from django.db import transaction
from django.utils import timezone

from gridgov.core.errors import NotFound
from gridgov.dispatch.models import Notification
from gridgov.core.errors import FieldError

MAX_IDS = 500


def do_mark_read(user, ids=None, all_unread=False):
    """Mark the user's notifications read: the given ids (each must be theirs), or every unread one.
    Idempotent (already read stays with its first read time). Returns how many changed."""
    if not all_unread:
        if not isinstance(ids, (list, tuple)) or not ids:
            raise FieldError("ids", "required", "请指定要标记为已读的通知，或选择全部已读",
                             "give the notification ids to mark read, or all=true")
        if len(ids) > MAX_IDS:
            raise FieldError("ids", "too_many", f"一次最多标记 {MAX_IDS} 条", f"at most {MAX_IDS} ids at once")
        try:
            ids = sorted({int(i) for i in ids})
        except (TypeError, ValueError):
            raise FieldError("ids", "invalid", "通知编号应为整数", "notification ids must be integers")
    with transaction.atomic():
        qs = Notification.objects.filter(recipient=user)
        if not all_unread:
            mine = set(qs.filter(pk__in=ids).values_list("pk", flat=True))
            missing = [i for i in ids if i not in mine]
            if missing:
                raise NotFound("ids", "not_found", f"通知 {missing[0]} 不存在", f"notification {missing[0]} not found",
                               missing=missing)
            qs = qs.filter(pk__in=ids)
        return qs.filter(read_at__isnull=True).update(read_at=timezone.now())
