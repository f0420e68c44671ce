"""Delivery of notifications through channels other than the in-app list.

The in-app notice itself is gridgov.dispatch.models.Notification (written by gridgov.dispatch.notify);
it is the record. For every other channel configured (email by default; SMS or WeChat Work when a
deployment adds them, gridgov.notifications.channels) one Delivery row is written in the same
transaction, and a background job sends it after commit, with retries (gridgov.notifications.delivery).
"""
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("待发送")
    SENT = "sent", _("已发送")
    FAILED = "failed", _("发送失败")
    SKIPPED = "skipped", _("无需发送")


class Delivery(models.Model):
    notification = models.ForeignKey("dispatch.Notification", verbose_name=_("通知"), on_delete=models.CASCADE,
                                     related_name="deliveries")
    channel = models.CharField(_("渠道"), max_length=30)
    status = models.CharField(_("状态"), max_length=10, choices=DeliveryStatus.choices,
                              default=DeliveryStatus.PENDING)
    attempts = models.PositiveSmallIntegerField(_("尝试次数"), default=0)
    next_attempt_at = models.DateTimeField(_("下次尝试时间"))
    last_error = models.TextField(_("最近错误"), blank=True)
    address = models.CharField(_("地址"), max_length=255, blank=True)
    sent_at = models.DateTimeField(_("发送时间"), null=True, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("通知投递")
        verbose_name_plural = _("通知投递")
        ordering = ["-created_at", "-id"]
        default_permissions = ("view",)
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="delivery_due_idx",
                                condition=Q(status="pending"))]
        constraints = [
            models.UniqueConstraint(fields=["notification", "channel"], name="delivery_once_per_channel"),
            models.CheckConstraint(condition=Q(status__in=DeliveryStatus.values), name="delivery_status_valid"),
        ]

    def __str__(self):
        return f"{self.channel} → {self.notification_id} ({self.status})"
