"""Warnings (预警), near-overdue reminders (临近超期提醒) and supervision notices (督办).

- WarningConfig (one row, id 1) and WorkPeriod: the warning settings and the working calendar as a
  table of working periods with cumulative working minutes, written by gridgov.alerts.worktime so the
  SQL functions of migration 0002 (alerts_stage_level, alerts_case_colour, ...) can count working time
  and colour cases inside PostgreSQL. Derived data: rebuilt whenever settings or the calendar change.
- AlertSent: one row per (dispatch, stage, kind) ever sent. The unique constraint is the claim: the
  sweep inserts it with ON CONFLICT DO NOTHING in the same transaction as the notifications, so two
  workers, or a restart half-way, never send one twice, and a rolled-back sweep leaves nothing claimed.
- Supervision: a 督办 notice on an overdue dispatch — written automatically by the sweep when a stage
  goes overdue, or by the command centre by hand; the department acknowledges it.
"""
from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class WarningConfig(models.Model):
    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    calendar_key = models.CharField(max_length=64, blank=True)
    periods_from = models.DateTimeField(null=True)
    periods_to = models.DateTimeField(null=True)
    day_minutes = models.FloatField(default=450)
    near_fraction = models.FloatField(default=0.25)
    near_min_minutes = models.FloatField(default=0)
    default_colour = models.CharField(max_length=10, default="blue")
    multi_colour = models.CharField(max_length=10, blank=True, default="yellow")
    diversion_colour = models.CharField(max_length=10, blank=True, default="orange")
    refreshed_at = models.DateTimeField(null=True)

    class Meta:
        verbose_name = _("预警参数（自动生成）")
        verbose_name_plural = _("预警参数（自动生成）")
        default_permissions = ("view",)
        constraints = [models.CheckConstraint(condition=Q(id=1), name="alerts_config_singleton")]


class WorkPeriod(models.Model):
    """One working period of one working day; cum_before = working minutes from the first period to start_at."""

    start_at = models.DateTimeField(unique=True)
    end_at = models.DateTimeField()
    cum_before = models.FloatField()

    class Meta:
        default_permissions = ()
        ordering = ["start_at"]


class Stage(models.TextChoices):
    ACCEPT = "accept", _("签收")
    FEEDBACK = "feedback", _("办结反馈")


class AlertKind(models.TextChoices):
    NEAR = "near", _("临近超期提醒")
    OVERDUE = "overdue", _("超期督办")


class AlertSent(models.Model):
    dispatch = models.ForeignKey("dispatch.Dispatch", verbose_name=_("派遣单"), on_delete=models.PROTECT,
                                 related_name="alerts_sent")
    stage = models.CharField(_("环节"), max_length=10, choices=Stage.choices)
    kind = models.CharField(_("类型"), max_length=10, choices=AlertKind.choices)
    due_at = models.DateTimeField(_("期限"))
    sent_at = models.DateTimeField(_("发送时间"))
    recipients = models.PositiveIntegerField(_("通知人数"), default=0)
    supervision = models.OneToOneField("Supervision", verbose_name=_("督办单"), null=True, blank=True,
                                       on_delete=models.PROTECT, related_name="alert")

    class Meta:
        verbose_name = _("已发预警")
        verbose_name_plural = _("已发预警")
        ordering = ["-sent_at", "-id"]
        default_permissions = ("view",)
        constraints = [
            models.UniqueConstraint(fields=["dispatch", "stage", "kind"], name="alerts_sent_once"),
            models.CheckConstraint(condition=Q(stage__in=Stage.values), name="alerts_sent_stage_valid"),
            models.CheckConstraint(condition=Q(kind__in=AlertKind.values), name="alerts_sent_kind_valid"),
        ]

    def __str__(self):
        return f"#{self.dispatch_id} {self.get_stage_display()} {self.get_kind_display()}"


class SupervisionSource(models.TextChoices):
    AUTO = "auto", _("超期自动督办")
    MANUAL = "manual", _("指挥中心督办")


class Supervision(models.Model):
    """督办: the command centre presses a department about a dispatch (automatically once it is overdue)."""

    case = models.ForeignKey("cases.Case", verbose_name=_("案卷"), on_delete=models.PROTECT,
                             related_name="supervisions")
    dispatch = models.ForeignKey("dispatch.Dispatch", verbose_name=_("派遣单"), on_delete=models.PROTECT,
                                 related_name="supervisions")
    department = models.ForeignKey("departments.Department", verbose_name=_("被督办单位"), on_delete=models.PROTECT,
                                   related_name="supervisions")
    source = models.CharField(_("来源"), max_length=10, choices=SupervisionSource.choices)
    stage = models.CharField(_("环节"), max_length=10, choices=Stage.choices, blank=True)
    due_at = models.DateTimeField(_("原期限"), null=True, blank=True)
    message = models.TextField(_("督办内容"))
    issued_at = models.DateTimeField(_("督办时间"))
    issued_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("督办人"), null=True, blank=True,
                                  on_delete=models.PROTECT, related_name="+", help_text=_("空为系统自动督办"))
    acknowledged_at = models.DateTimeField(_("回复时间"), null=True, blank=True)
    acknowledged_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("回复人"), null=True, blank=True,
                                        on_delete=models.PROTECT, related_name="+")
    response = models.TextField(_("回复"), blank=True)

    class Meta:
        verbose_name = _("督办单")
        verbose_name_plural = _("督办单")
        ordering = ["-issued_at", "-id"]
        indexes = [models.Index(fields=["department", "acknowledged_at"], name="supervision_dept_open_idx")]
        constraints = [
            models.CheckConstraint(condition=Q(source__in=SupervisionSource.values), name="supervision_source_valid"),
            models.CheckConstraint(condition=~Q(message=""), name="supervision_has_message"),
            models.CheckConstraint(condition=Q(acknowledged_at__isnull=True) | ~Q(response=""),
                                   name="supervision_ack_has_response"),
        ]

    def __str__(self):
        return f"督办 {self.case_id} {self.department_id} {self.issued_at:%Y-%m-%d %H:%M}"
