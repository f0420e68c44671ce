"""Departments (承办单位) that cases are routed to, their hierarchy, jurisdiction and responders.

Jurisdiction is a set of grid units at any level; a unit covers all its descendants, which share
its code as a prefix (see gridgov.grids.models), so "does department D cover grid G" is a prefix
test on codes, done in SQL by gridgov.departments.selectors.departments_covering.
"""
from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

CODE_REGEX = r"^[A-Za-z0-9][A-Za-z0-9_.-]{1,39}$"


class Kind(models.TextChoices):
    BUREAU = "bureau", _("区直部门")
    STREET = "street", _("街镇")
    SQUAD = "squad", _("站所中队")
    UTILITY = "utility", _("权属单位")
    DIVERSION = "diversion", _("诉讼仲裁复议渠道")
    COMMAND = "command", _("指挥中心")


class Department(models.Model):
    name = models.CharField(_("名称"), max_length=100)
    code = models.CharField(_("简码"), max_length=40, unique=True,
                            help_text=_("字母、数字、点、横线、下划线，2–40 位，如 cgzf、town-320831101"))
    kind = models.CharField(_("类型"), max_length=16, choices=Kind.choices)
    parent = models.ForeignKey("self", verbose_name=_("上级单位"), null=True, blank=True,
                               on_delete=models.PROTECT, related_name="children")
    jurisdiction = models.ManyToManyField("grids.GridUnit", verbose_name=_("管辖范围"), blank=True,
                                          related_name="departments",
                                          help_text=_("所管辖的网格单元（任意层级；含其全部下级）"))
    contact_phone = models.CharField(_("联系电话"), max_length=40, blank=True)
    is_active = models.BooleanField(_("启用"), default=True)
    members = models.ManyToManyField(settings.AUTH_USER_MODEL, through="Membership", related_name="departments",
                                     verbose_name=_("部门人员"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("部门")
        verbose_name_plural = _("部门")
        ordering = ["kind", "code"]
        constraints = [
            models.CheckConstraint(condition=Q(code__regex=CODE_REGEX), name="department_code_format"),
            models.CheckConstraint(condition=~Q(parent=models.F("id")), name="department_not_own_parent"),
            models.CheckConstraint(condition=Q(kind__in=Kind.values), name="department_kind_valid"),
        ]

    def __str__(self):
        return self.name

    def ancestors(self):
        """Parents up to the root, nearest first (a few queries; hierarchies are shallow)."""
        chain, node = [], self.parent
        while node is not None and len(chain) < 20:
            chain.append(node)
            node = node.parent
        return chain


class Membership(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("人员"), on_delete=models.CASCADE,
                             related_name="department_memberships")
    department = models.ForeignKey(Department, verbose_name=_("部门"), on_delete=models.CASCADE,
                                   related_name="memberships")
    is_lead = models.BooleanField(_("负责人"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("部门人员")
        verbose_name_plural = _("部门人员")
        ordering = ["department", "-is_lead", "user"]
        constraints = [models.UniqueConstraint(fields=["user", "department"], name="one_membership_per_department")]

    def __str__(self):
        return f"{self.department} · {self.user}" + (" (负责人)" if self.is_lead else "")
