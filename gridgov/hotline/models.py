"""12345 hotline batches: one HotlineBatch per uploaded file, one HotlineTicket per imported ticket.

HotlineTicket.ticket_no is unique: importing a file again (or an overlapping export from the
hotline system) skips the tickets already imported.
"""
from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from gridgov.cases.models import private_storage


class BatchStatus(models.TextChoices):
    PENDING = "pending", _("待导入")
    RUNNING = "running", _("导入中")
    DONE = "done", _("已完成")
    FAILED = "failed", _("失败")


class HotlineBatch(models.Model):
    source = models.FileField(_("导入文件"), upload_to="hotline/", storage=private_storage, blank=True)
    original_name = models.CharField(_("文件名"), max_length=255)
    datum = models.CharField(_("默认坐标系"), max_length=20, default="wgs84")
    dry_run = models.BooleanField(_("试运行（不写入）"), default=False)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("导入人"), null=True,
                                    on_delete=models.SET_NULL, related_name="+")
    status = models.CharField(_("状态"), max_length=10, choices=BatchStatus.choices, default=BatchStatus.PENDING)
    total_rows = models.PositiveIntegerField(_("总行数"), default=0)
    processed_rows = models.PositiveIntegerField(_("已处理行数"), default=0)
    created_count = models.PositiveIntegerField(_("新建案卷"), default=0)
    skipped_count = models.PositiveIntegerField(_("已导入跳过"), default=0)
    error_count = models.PositiveIntegerField(_("错误行数"), default=0)
    unconfirmed_count = models.PositiveIntegerField(_("分类待确认"), default=0)
    error_report = models.FileField(_("错误报告"), upload_to="hotline/errors/", storage=private_storage, blank=True)
    message = models.TextField(_("说明"), blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    started_at = models.DateTimeField(_("开始时间"), null=True, blank=True)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("热线导入批次")
        verbose_name_plural = _("热线导入批次")
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.original_name} ({self.get_status_display()})"

    @property
    def percent(self):
        return round(100 * self.processed_rows / self.total_rows) if self.total_rows else 0


class HotlineTicket(models.Model):
    ticket_no = models.CharField(_("工单号"), max_length=64, unique=True)
    case = models.OneToOneField("cases.Case", verbose_name=_("案卷"), on_delete=models.PROTECT,
                                related_name="hotline_ticket")
    batch = models.ForeignKey(HotlineBatch, verbose_name=_("批次"), on_delete=models.PROTECT, related_name="tickets")
    located_by = models.CharField(_("定位方式"), max_length=12)  # coordinates / name

    class Meta:
        verbose_name = _("热线工单")
        verbose_name_plural = _("热线工单")
