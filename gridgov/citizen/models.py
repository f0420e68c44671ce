"""One row per accepted public report: the rate limits count these (per IP, per phone).

IP and phone are kept only as keyed hashes (HMAC with SECRET_KEY): enough to count, not to read.
"""
from django.db import models
from django.utils.translation import gettext_lazy as _


class Submission(models.Model):
    at = models.DateTimeField(_("提交时间"), db_index=True)
    ip_hash = models.CharField(max_length=64, db_index=True)
    phone_hash = models.CharField(max_length=64, blank=True, db_index=True)
    grid_code = models.CharField(_("网格编码"), max_length=15)
    case = models.OneToOneField("cases.Case", on_delete=models.PROTECT, related_name="citizen_submission")

    class Meta:
        verbose_name = _("扫码上报记录")
        verbose_name_plural = _("扫码上报记录")
        ordering = ["-at"]
        default_permissions = ("view",)
