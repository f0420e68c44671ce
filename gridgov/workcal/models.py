"""Working calendar overrides and the time-limit unit vocabulary.

CalendarDay rows are the official schedule entered by an administrator; they win over the
chinese_calendar library and over the Monday–Friday fallback (see calendar.py).
"""
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _


class CalendarDay(models.Model):
    date = models.DateField(_("日期"), unique=True)
    is_workday = models.BooleanField(_("是否工作日"))
    note = models.CharField(_("说明"), max_length=200, blank=True, help_text=_("如：春节放假、国庆调休上班"))
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("日历例外（官方安排）")
        verbose_name_plural = _("日历例外（官方安排）")
        ordering = ["date"]

    def __str__(self):
        kind = _("上班") if self.is_workday else _("休息")
        return f"{self.date.isoformat()} {kind} {self.note}".strip()


class LimitUnit(models.TextChoices):
    MINUTES = "minutes", _("分钟")
    HOURS = "hours", _("小时")
    WORK_HOURS = "work_hours", _("工作时")
    WORK_DAYS = "work_days", _("工作日")


def time_limit_fields(verbose_name, null=False):
    """Two model fields (amount, unit) for one time limit; a model may declare several:

        accept_amount, accept_unit = time_limit_fields(_("签收时限"))
        handle_amount, handle_unit = time_limit_fields(_("办结时限"), null=True)

    Read them back with TimeLimit.from_fields(obj.accept_amount, obj.accept_unit).
    """
    amount = models.PositiveIntegerField(
        verbose_name, null=null, blank=null, validators=[MinValueValidator(1)]
    )
    unit = models.CharField(
        format_lazy("{}单位", verbose_name), max_length=10, choices=LimitUnit.choices,
        blank=null, default="" if null else LimitUnit.WORK_HOURS,
    )
    return amount, unit


class TimeLimitMixin(models.Model):
    """Abstract mixin for a model with a single time limit (limit_amount + limit_unit)."""

    limit_amount, limit_unit = time_limit_fields(_("时限"))

    class Meta:
        abstract = True
        constraints = [
            models.CheckConstraint(
                condition=Q(limit_amount__gt=0) & Q(limit_unit__in=LimitUnit.values),
                name="%(app_label)s_%(class)s_time_limit_valid",
            ),
        ]

    @property
    def time_limit(self):
        from .limits import TimeLimit

        return TimeLimit.from_fields(self.limit_amount, self.limit_unit)
