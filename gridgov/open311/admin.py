from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from .actions import do_issue_api_key
from .models import ApiKey, Jurisdiction, ServiceAttribute


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    list_display = ("name", "prefix", "channel", "is_active", "created_at", "last_used_at")
    list_filter = ("is_active", "channel")
    readonly_fields = ("prefix", "created_at", "last_used_at")
    fields = ("name", "channel", "is_active", "prefix", "created_at", "last_used_at")

    def save_model(self, request, obj, form, change):
        if change:
            return super().save_model(request, obj, form, change)
        key, raw = do_issue_api_key(obj.name, obj.channel)
        obj.pk, obj.prefix, obj.key_hash, obj.user_id = key.pk, key.prefix, key.key_hash, key.user_id
        messages.warning(request, _("新密钥（仅显示这一次，请立即复制给接入方）：%(key)s") % {"key": raw})

    def has_delete_permission(self, request, obj=None):
        return False  # revoke (is_active) instead: cases keep their reporter


@admin.register(Jurisdiction)
class JurisdictionAdmin(admin.ModelAdmin):
    list_display = ("jurisdiction_id", "name", "area_code", "is_active")


@admin.register(ServiceAttribute)
class ServiceAttributeAdmin(admin.ModelAdmin):
    list_display = ("category", "code", "description", "datatype", "required", "order")
    list_filter = ("datatype", "required")
    autocomplete_fields = ()
    raw_id_fields = ("category",)
