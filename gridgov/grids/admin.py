from django.conf import settings
from django.contrib import admin
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from leaflet.admin import LeafletGeoAdmin

from .actions import UnitInput, do_upsert_units
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
    change_list_template = "admin/grids/gridunit_change_list.html"
    filter_horizontal = ("workers",)
    list_per_page = 50
    inlines = [ChildInline, BoundaryInline]
    settings_overrides = {"DEFAULT_ZOOM": 12}

    def get_readonly_fields(self, request, obj=None):
        # Code, level and parent are the unit's identity (the code encodes the hierarchy).
        return self.readonly_fields + (("code", "level", "parent") if obj else ("level", "parent"))

    def save_model(self, request, obj, form, change):
        # Through the same action as imports: a changed boundary is versioned, area recomputed.
        do_upsert_units([UnitInput(obj.code, obj.name, obj.geom, obj.population, ref="admin: ")],
                        source=f"admin:{request.user.username}")
        saved = GridUnit.objects.get(code=obj.code)
        obj.pk, obj.id, obj.area_m2 = saved.pk, saved.pk, saved.area_m2
        if obj.is_active != saved.is_active:
            GridUnit.objects.filter(pk=saved.pk).update(is_active=obj.is_active)

    def get_urls(self):
        return [path("map/", self.admin_site.admin_view(self.map_view), name="grids_gridunit_map")] + super().get_urls()

    def map_view(self, request):
        code = request.GET.get("code")
        if code:  # a click on a grid in the map: go to its change page
            unit = GridUnit.objects.filter(code=code).first()
            if unit:
                return redirect(reverse("admin:grids_gridunit_change", args=[unit.pk]))
        config = {"api": reverse("grid-list"), "change": reverse("admin:grids_gridunit_map"),
                  "tiles": [[name, url] for name, url, _opts in settings.LEAFLET_CONFIG.get("TILES", [])],
                  "all": str(_("全县")), "units": str(_("个单元")), "pop": str(_("人口"))}
        context = {**self.admin_site.each_context(request), "title": _("网格地图"), "config": config,
                   "opts": self.model._meta}
        return TemplateResponse(request, "admin/grids/map.html", context)

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
