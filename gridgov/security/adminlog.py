"""Admin audit: every bulk action and import done in the admin leaves a LogEntry row.

Django's admin logs add/change/delete itself (including delete_selected). Other bulk actions and the
custom import pages write nothing on their own; install() wraps every ModelAdmin's actions so a
finished action logs one CHANGE row per selected object (a single summary row beyond
MAX_ROWS_PER_ACTION objects), and import views call log_admin_import(). Logins, logouts and lockouts
are in django-axes' tables (axes_accesslog, axes_accessfailurelog, axes_accessattempt).
"""
import functools
import json

from django.contrib import admin
from django.contrib.admin.models import ADDITION, CHANGE, LogEntry
from django.contrib.contenttypes.models import ContentType

MAX_ROWS_PER_ACTION = 1000
SELF_LOGGING_ACTIONS = {"delete_selected"}  # Django logs each deletion itself


def log_bulk_action(request, queryset, name, description):
    user_id = request.user.pk
    count = queryset.count()
    message = f"批量操作 / bulk action: {description} ({name}), {count}"
    if count <= MAX_ROWS_PER_ACTION:
        LogEntry.objects.log_actions(user_id, queryset, CHANGE, change_message=message)
        return
    LogEntry.objects.create(user_id=user_id, content_type=ContentType.objects.get_for_model(queryset.model),
                            object_id=None, object_repr=f"{count} × {queryset.model._meta.verbose_name}"[:200],
                            action_flag=CHANGE, change_message=message)


def log_admin_import(request, model, filename, summary, *, flag=ADDITION, obj=None):
    """One row for an import done through an admin page: who, which file, what it did."""
    text = f"导入 / import {filename}: " + ", ".join(f"{k} {v}" for k, v in dict(summary or {}).items())
    return LogEntry.objects.create(
        user_id=request.user.pk, content_type=ContentType.objects.get_for_model(model),
        object_id=None if obj is None else str(obj.pk),
        object_repr=(str(obj) if obj is not None else f"导入 {filename}")[:200],
        action_flag=flag, change_message=text)


def _logged(func, name, description):
    @functools.wraps(func)
    def run(modeladmin, request, queryset):
        if name in SELF_LOGGING_ACTIONS:
            return func(modeladmin, request, queryset)
        selected = list(queryset.values_list("pk", flat=True))
        response = func(modeladmin, request, queryset)
        log_bulk_action(request, queryset.model._default_manager.filter(pk__in=selected), name, str(description))
        return response
    return run


def install():
    """Wrap ModelAdmin.get_actions once, for every admin (current and future)."""
    if getattr(admin.ModelAdmin.get_actions, "_gridgov_logged", False):
        return
    original = admin.ModelAdmin.get_actions

    @functools.wraps(original)
    def get_actions(self, request):
        actions = original(self, request)
        return {key: (_logged(func, name, desc), name, desc) for key, (func, name, desc) in actions.items()}

    get_actions._gridgov_logged = True
    admin.ModelAdmin.get_actions = get_actions
