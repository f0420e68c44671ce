from django.contrib import admin, messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from leaflet.admin import LeafletGeoAdmin

from gridgov.core.errors import FieldError
from gridgov.security.adminlog import log_admin_import

from .actions import EDITABLE, do_import_categories, do_save_category, do_update_case
from .categories import export_csv, parse_csv
from .models import Case, CaseEvent, CasePhoto, Category


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "parent", "kind", "default_urgency", "response", "handling", "warning_colour",
                    "duplicate_radius_m", "is_active")
    list_filter = ("level", "kind", "default_urgency", "warning_colour", "is_active")
    search_fields = ("code", "name", "keywords")
    raw_id_fields = ("parent",)
    actions = ["export_selected"]
    change_list_template = "admin/cases/category/change_list.html"

    @admin.display(description=_("响应时限"))
    def response(self, obj):
        return f"{obj.response_limit} {obj.get_response_limit_unit_display()}" if obj.response_limit else "—"

    @admin.display(description=_("处置时限"))
    def handling(self, obj):
        return f"{obj.handling_limit} {obj.get_handling_limit_unit_display()}" if obj.handling_limit else "—"

    def save_model(self, request, obj, form, change):
        do_save_category(request.user, obj)

    def has_delete_permission(self, request, obj=None):
        return False  # cases refer to categories: deactivate instead

    @admin.action(description=_("导出所选分类为 CSV"))
    def export_selected(self, request, queryset):
        return _csv_response(export_csv(queryset))

    def get_urls(self):
        return [path("import-csv/", self.admin_site.admin_view(self.import_view), name="cases_category_import"),
                path("export-csv/", self.admin_site.admin_view(self.export_view), name="cases_category_export"),
                ] + super().get_urls()

    def export_view(self, request):
        return _csv_response(export_csv())

    def import_view(self, request):
        if not self.has_change_permission(request):
            return redirect("admin:cases_category_changelist")
        if request.method == "POST" and request.FILES.get("file"):
            try:
                summary = do_import_categories(parse_csv(request.FILES["file"].read()), actor=request.user)
            except FieldError as exc:
                messages.error(request, exc.message_zh)
            else:
                log_admin_import(request, Category, request.FILES["file"].name, summary)
                messages.success(request, _("导入完成：新增 %(created)s，更新 %(changed)s，未变 %(unchanged)s") % summary)
                return redirect("admin:cases_category_changelist")
        return render(request, "admin/cases/category/import.html",
                      {**self.admin_site.each_context(request), "opts": self.model._meta, "title": _("导入分类 CSV")})


def _csv_response(text):
    response = HttpResponse("\ufeff" + text, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="categories.csv"'
    return response


class PhotoInline(admin.TabularInline):
    model = CasePhoto
    fields = ("preview", "kind", "original_format", "original_size", "exif_taken_at", "distance_m", "time_offset_s")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    @admin.display(description=_("照片"))
    def preview(self, obj):
        # height="" rather than style="": the CSP (style-src 'self') refuses style attributes
        return format_html('<a href="{}"><img src="{}" height="80" alt=""></a>', obj.image.url, obj.thumbnail.url)


@admin.register(Case)
class CaseAdmin(LeafletGeoAdmin):
    list_display = ("number", "received_at", "category", "grid_name", "status", "urgency", "priority", "channel",
                    "reporter", "flagged")
    list_filter = ("status", "channel", "urgency", "resolved_on_spot", "category__parent")
    search_fields = ("number", "grid_code", "grid_name", "description")
    date_hierarchy = "received_at"
    list_select_related = ("category", "reporter")
    inlines = [PhotoInline]
    editable_fields = ("category", "description", "urgency", "address", "contact_name", "contact_phone")
    readonly_fields = ("number", "status", "client_uuid", "point", "input_datum", "input_lon", "input_lat", "gps_accuracy_m",
                       "grid", "grid_code", "grid_name", "ancestors", "priority", "channel", "reporter",
                       "resolved_on_spot", "resolution_note", "closed_at", "follow_up_of", "repeat_count", "flags",
                       "occurred_at", "reported_at", "received_at", "history_link")

    @admin.display(boolean=True, description=_("异常标记"))
    def flagged(self, obj):
        return bool(obj.flags)

    @admin.display(description=_("审计记录"))
    def history_link(self, obj):
        return format_html('<a href="../../../caseevent/?case_id={}">{}</a>', obj.pk, _("查看"))

    def get_fields(self, request, obj=None):
        return list(self.editable_fields) + list(self.readonly_fields)

    def has_add_permission(self, request):
        return False  # cases are reported through the API and the mobile page

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        changes = {}
        for name in form.changed_data:
            if name in EDITABLE:
                value = form.cleaned_data[name]
                changes[name] = value.code if isinstance(value, Category) else value
        if changes:
            do_update_case(request.user, obj, changes, note="admin")


@admin.register(CaseEvent)
class CaseEventAdmin(admin.ModelAdmin):
    list_display = ("case_id", "at", "kind", "actor_label", "action", "db_user")
    list_filter = ("kind",)
    search_fields = ("=case_id", "actor_label")
    readonly_fields = ("case_id", "at", "kind", "actor", "actor_label", "action", "db_user", "before", "after")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
