from django.contrib import admin
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from leaflet.admin import LeafletGeoAdmin

from .models import GridBoundary, GridUnit


class ChildInline(admin.TabularInline):
    model = GridUnit
    fk_name = "parent"
    fields = ("code", "name", "level", "area_m2", "population")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True
    verbose_name_plural = _("下级单元")

    def has_add_permission(self, request, obj=None):
        return False


class BoundaryInline(admin.TabularInline):
    model = GridBoundary
    fields = ("name", "valid_from", "valid_to", "area_m2", "source")
    readonly_fields = fields
    extra = 0
    can_delete = False
    verbose_name_plural = _("边界历史版本")

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(GridUnit)
class GridUnitAdmin(LeafletGeoAdmin):
    list_display = ("code", "name", "level", "parent_link", "area_km2", "population", "is_active")
    list_filter = ("level", "is_active")
    search_fields = ("code", "name")
    readonly_fields = ("area_m2", "parent_link")
    raw_id_fields = ("parent",)
    filter_horizontal = ("workers",)
    list_per_page = 50
    inlines = [ChildInline, BoundaryInline]
    # Boundaries change through import_grids (which versions them); the admin map is for looking.
    settings_overrides = {"DEFAULT_ZOOM": 12}

    @admin.display(description=_("上级"), ordering="parent__code")
    def parent_link(self, obj):
        if not obj.parent_id:
            return "—"
        return format_html('<a href="../{}/change/">{} {}</a>', obj.parent_id, obj.parent.code, obj.parent.name)

    @admin.display(description=_("面积(km²)"), ordering="area_m2")
    def area_km2(self, obj):
        return None if obj.area_m2 is None else round(obj.area_m2 / 1e6, 3)

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("parent")

admin.site.site_header = _("gridgov 网格化治理平台")
admin.site.site_title = _("gridgov")
admin.site.index_title = _("管理")
