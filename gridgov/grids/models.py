"""Grid units (单元网格): district → street/town → community/village → grid, one table.

Codes follow DB11/T 2157-2023: 6-digit county (GB/T 2260) + 3 street/town (GB/T 10114:
001–099 street, 100–199 town, 200–399 township) + 3 community/village + 3 grid. A parent's code
is the prefix of its children's, so ancestors are found from the code alone.
"""
import re

from django.conf import settings
from django.contrib.gis.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Level(models.IntegerChoices):
    DISTRICT = 1, _("区/县")
    STREET = 2, _("街道/镇")
    COMMUNITY = 3, _("社区/村")
    GRID = 4, _("网格")


CODE_LENGTH = {Level.DISTRICT: 6, Level.STREET: 9, Level.COMMUNITY: 12, Level.GRID: 15}
LEVEL_BY_CODE_LENGTH = {n: lvl for lvl, n in CODE_LENGTH.items()}
CODE_RE = re.compile(r"^\d{6}(\d{3}){0,3}$")


def level_for_code(code):
    """The level a code of this length belongs to, or None if the code is malformed."""
    if not isinstance(code, str) or not CODE_RE.match(code):
        return None
    return LEVEL_BY_CODE_LENGTH.get(len(code))


def parent_code(code):
    return code[:-3] if len(code) > 6 else None


def ancestor_codes(code):
    """Codes of all ancestors, district first."""
    return [code[:n] for n in (6, 9, 12) if n < len(code)]


class GridUnit(models.Model):
    code = models.CharField(_("编码"), max_length=15, unique=True)
    name = models.CharField(_("名称"), max_length=100)
    level = models.PositiveSmallIntegerField(_("层级"), choices=Level.choices)
    parent = models.ForeignKey(
        "self", verbose_name=_("上级"), null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    # Current boundary. Earlier boundaries are kept in GridBoundary (see there).
    geom = models.MultiPolygonField(_("边界"), srid=settings.GRIDGOV_STORAGE_SRID)
    # On the spheroid (ST_Area(geography)), in m²; maintained by actions, never square degrees.
    area_m2 = models.FloatField(_("面积(平方米)"), null=True, blank=True, editable=False)
    population = models.PositiveIntegerField(_("人口"), null=True, blank=True)
    workers = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("网格员"), blank=True, related_name="grids"
    )
    is_active = models.BooleanField(_("启用"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("网格单元")
        verbose_name_plural = _("网格单元")
        ordering = ["code"]
        indexes = [
            models.Index(fields=["level", "code"], name="grid_level_code_idx"),
            models.Index(models.F("code").desc(), name="grid_code_desc_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(geom__isvalid=True), name="grid_geom_valid"),
            models.CheckConstraint(
                condition=(
                    Q(level=Level.DISTRICT, code__regex=r"^[0-9]{6}$", parent__isnull=True)
                    | Q(level=Level.STREET, code__regex=r"^[0-9]{9}$", parent__isnull=False)
                    | Q(level=Level.COMMUNITY, code__regex=r"^[0-9]{12}$", parent__isnull=False)
                    | Q(level=Level.GRID, code__regex=r"^[0-9]{15}$", parent__isnull=False)
                ),
                name="grid_code_matches_level",
            ),
        ]

    def __str__(self):
        return f"{self.code} {self.name}"


class GridBoundary(models.Model):
    """Every boundary a unit has had, MapIt-style: [valid_from, valid_to). The open one is current.

    Re-importing a changed boundary closes the current row and opens a new one, so a case filed
    last year is still shown in the grid (and shape) it was filed in.
    """

    unit = models.ForeignKey(GridUnit, on_delete=models.CASCADE, related_name="boundaries")
    geom = models.MultiPolygonField(srid=settings.GRIDGOV_STORAGE_SRID)
    area_m2 = models.FloatField(null=True, editable=False)
    name = models.CharField(max_length=100)
    valid_from = models.DateTimeField()
    valid_to = models.DateTimeField(null=True, blank=True)
    source = models.CharField(max_length=255, blank=True)

    class Meta:
        verbose_name = _("网格边界版本")
        verbose_name_plural = _("网格边界版本")
        ordering = ["unit", "-valid_from"]
        constraints = [
            models.CheckConstraint(condition=Q(geom__isvalid=True), name="boundary_geom_valid"),
            models.UniqueConstraint(
                fields=["unit"], condition=Q(valid_to__isnull=True), name="one_current_boundary"
            ),
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gt=models.F("valid_from")),
                name="boundary_period_ordered",
            ),
        ]
