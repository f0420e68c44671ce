"""The offline base map: roads, water, settlements and place names, one table (vector tiles in PostGIS)."""
from django.contrib.gis.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Kind(models.TextChoices):
    MAJOR_ROAD = "major_road", _("县道/干线公路")
    MINOR_ROAD = "minor_road", _("乡村道路")
    RIVER = "river", _("河流/干渠")
    LAKE = "lake", _("湖荡")
    BUILT_UP = "built_up", _("镇区建成区")
    SETTLEMENT = "settlement", _("村庄居民点")
    TOWN = "town", _("街道/镇驻地")
    VILLAGE = "village", _("村/社区")


ROAD_KINDS = (Kind.MAJOR_ROAD, Kind.MINOR_ROAD)
PLACE_KINDS = (Kind.TOWN, Kind.VILLAGE)


class BasemapFeature(models.Model):
    kind = models.CharField(_("类别"), max_length=16, choices=Kind.choices)
    name = models.CharField(_("名称"), max_length=80, blank=True, default="")
    geom = models.GeometryField(_("几何"), srid=4326)  # GiST index: GeoDjango's spatial_index default
    # the grid unit (town/village) a feature was generated for, by code; "" for roads and water
    unit_code = models.CharField(_("网格单元代码"), max_length=15, blank=True, default="")
    source = models.CharField(_("来源"), max_length=40)  # "demo:<county code>" = generated, not surveyed

    class Meta:
        verbose_name = _("底图要素")
        verbose_name_plural = _("底图要素")
        indexes = [models.Index(fields=["kind"], name="basemap_kind_idx")]
        constraints = [
            models.CheckConstraint(condition=Q(geom__isvalid=True), name="basemap_geom_valid"),
            models.CheckConstraint(condition=Q(kind__in=[k.value for k in Kind]), name="basemap_kind_known"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.name}"
