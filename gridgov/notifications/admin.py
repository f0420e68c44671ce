from django.contrib import admin

from .models import Delivery


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    list_display = ["id", "channel", "status", "attempts", "address", "next_attempt_at", "sent_at", "created_at"]
    list_filter = ["channel", "status"]
    search_fields = ["address", "notification__message"]
    readonly_fields = [f.name for f in Delivery._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
