from django.contrib import admin

from .models import AlertSent, Supervision


@admin.register(AlertSent)
class AlertSentAdmin(admin.ModelAdmin):
    list_display = ["id", "dispatch", "stage", "kind", "due_at", "sent_at", "recipients"]
    list_filter = ["stage", "kind"]
    readonly_fields = [f.name for f in AlertSent._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Supervision)
class SupervisionAdmin(admin.ModelAdmin):
    list_display = ["id", "case", "department", "source", "stage", "due_at", "issued_at", "acknowledged_at"]
    list_filter = ["source", "stage", "department"]
    search_fields = ["case__number", "message", "response"]
    readonly_fields = [f.name for f in Supervision._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
